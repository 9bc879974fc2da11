// tree-validation.json: decode each tree, compare the resolution and tree hash of every node,
// then run the joiner's whole-tree validation (RFC 9420 §7.9.2, §12.4.3.1) with the group_id.
#include <string>

#include "mls/codec/hex.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/treesync/public_tree.h"
#include "mls/treesync/tree_validation.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_tree_validation(const nlohmann::json& file, Report& report) {
  std::size_t index = 0;
  for (const auto& tc : file) {
    const std::string at = "case " + std::to_string(index++) + ": ";
    const mls::CipherSuite* suite = case_suite(tc, at, report);
    if (suite == nullptr) continue;
    auto tree = mls::PublicTree::decode(*suite, hex_field(tc, "tree"));
    if (!tree) {
      report.fail(at + "tree does not decode: " + tree.error().message());
      continue;
    }
    report.expect(tree->encode() == hex_field(tc, "tree"), at + "re-encoding");

    const auto& resolutions = tc.at("resolutions");
    const auto& hashes = tc.at("tree_hashes");
    report.expect(resolutions.size() == tree->node_width() && hashes.size() == tree->node_width(),
                  at + "node count");
    for (std::uint32_t i = 0; i < resolutions.size() && i < tree->node_width(); ++i) {
      std::vector<std::uint32_t> got;
      for (mls::NodeIndex x : tree->resolution(mls::NodeIndex{i})) got.push_back(x.value);
      report.expect(got == resolutions[i].get<std::vector<std::uint32_t>>(),
                    at + "resolution of node " + std::to_string(i));
    }
    for (std::uint32_t i = 0; i < hashes.size() && i < tree->node_width(); ++i) {
      const auto expected = mls::from_hex(hashes[i].get<std::string>());
      const auto got = tree->tree_hash(mls::NodeIndex{i});
      report.expect(expected && mls::Bytes(got.begin(), got.end()) == *expected,
                    at + "tree hash of node " + std::to_string(i));
    }

    const mls::Bytes group_id = hex_field(tc, "group_id");
    const mls::LeafValidationContext ctx{group_id, {}, std::nullopt};
    const auto valid = mls::validate_tree(*tree, ctx);
    report.expect(valid.has_value(),
                  at + "validation: " + (valid ? std::string() : valid.error().message()));
  }
}

}  // namespace conclave::vectors
