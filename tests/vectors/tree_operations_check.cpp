// tree-operations.json: apply one Add, Update or Remove proposal from proposal_sender to
// tree_before (RFC 9420 §12.1.1-§12.1.3) and compare the resulting tree and both tree hashes.
#include <string>
#include <variant>

#include "mls/crypto/cipher_suite.h"
#include "mls/framing/proposal.h"
#include "mls/treesync/public_tree.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

namespace {

mls::Status apply(mls::PublicTree& tree, const mls::Proposal& proposal, mls::LeafIndex sender) {
  if (const auto* add = std::get_if<mls::Add>(&proposal.value)) {
    auto leaf = tree.add(add->key_package.leaf_node);
    if (!leaf) return mls::fail(leaf.error());
    return {};
  }
  if (const auto* update = std::get_if<mls::Update>(&proposal.value)) {
    return tree.update(sender, update->leaf_node);
  }
  if (const auto* remove = std::get_if<mls::Remove>(&proposal.value)) {
    return tree.remove(mls::LeafIndex{remove->removed});
  }
  return mls::fail(mls::Errc::unsupported);
}

}  // namespace

void check_tree_operations(const nlohmann::json& file, Report& report) {
  std::size_t index = 0;
  for (const auto& tc : file) {
    const std::string at = "case " + std::to_string(index++) + ": ";
    const mls::CipherSuite* suite = case_suite(tc, at, report);
    if (suite == nullptr) continue;
    auto tree = mls::PublicTree::decode(*suite, hex_field(tc, "tree_before"));
    const auto proposal = mls::decode<mls::Proposal>(hex_field(tc, "proposal"));
    if (!tree || !proposal) {
      report.fail(at + "tree_before or proposal does not decode");
      continue;
    }
    report.expect(same(tree->root_hash(), hex_field(tc, "tree_hash_before")),
                  at + "tree_hash_before");
    const mls::LeafIndex sender{tc.at("proposal_sender").get<std::uint32_t>()};
    const auto applied = apply(*tree, *proposal, sender);
    if (!applied) {
      report.fail(at + "proposal rejected: " + applied.error().message());
      continue;
    }
    report.expect(tree->encode() == hex_field(tc, "tree_after"), at + "tree_after");
    report.expect(same(tree->root_hash(), hex_field(tc, "tree_hash_after")),
                  at + "tree_hash_after");
    // The cached hash must equal a from-scratch computation over the resulting tree.
    auto fresh = mls::PublicTree::decode(*suite, tree->encode());
    report.expect(fresh && same(fresh->root_hash(), hex_field(tc, "tree_hash_after")),
                  at + "tree_hash_after (fresh tree)");
  }
}

}  // namespace conclave::vectors
