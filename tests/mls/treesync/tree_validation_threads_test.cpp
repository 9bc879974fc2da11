// Whole-tree validation with several threads reports exactly what the single-threaded check
// reports: on every tree of the official tree-validation and treekem vectors (read from
// $MLS_TEST_VECTORS or the configured folder, never copied here), on corrupted copies of them
// that must fail, and on a larger tree where several leaves fail in different ways, so that
// "the first failing check" is observable.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "mls/codec/hex.h"
#include "mls/treesync/public_tree.h"
#include "mls/treesync/tree_validation.h"
#include "tests/mls/treesync/tree_fixture.h"

namespace conclave::mls {
namespace {

using testing::TreeFixture;

// More threads than this machine's cores too: the interleavings must not matter.
constexpr unsigned kThreadCounts[] = {2, 3, 8};

nlohmann::json vector_file(const std::string& name) {
  const char* env = std::getenv("MLS_TEST_VECTORS");
  const std::filesystem::path dir =
      env != nullptr && *env != '\0' ? std::filesystem::path(env) : CONCLAVE_VECTORS_DIR;
  std::ifstream in(dir / name);
  if (!in) throw std::runtime_error("missing vector file " + (dir / name).string());
  return nlohmann::json::parse(in);
}

Bytes hex(const nlohmann::json& tc, const char* field) {
  return *from_hex(tc.at(field).get<std::string>());
}

std::error_code outcome(const Status& s) { return s ? std::error_code() : s.error(); }

// same_with_threads runs validate_tree with 1 thread and with each count of kThreadCounts on a
// fresh copy of the tree each time (so no run profits from another's hash cache), and returns
// the single-threaded outcome after checking that the others agree.
std::error_code same_with_threads(const PublicTree& tree, const LeafValidationContext& ctx,
                                  std::optional<ByteView> expected_hash = std::nullopt) {
  const PublicTree one_copy = *PublicTree::decode(tree.suite(), tree.encode());
  const std::error_code one = outcome(validate_tree(one_copy, ctx, expected_hash, 1));
  for (unsigned t : kThreadCounts) {
    const PublicTree copy = *PublicTree::decode(tree.suite(), tree.encode());
    EXPECT_EQ(outcome(validate_tree(copy, ctx, expected_hash, t)), one) << t << " threads";
    const PublicTree copy2 = *PublicTree::decode(tree.suite(), tree.encode());
    EXPECT_EQ(outcome(verify_parent_hashes(copy2, t)), outcome(verify_parent_hashes(one_copy, 1)))
        << t << " threads, parent hashes";
  }
  return one;
}

template <class F>
PublicTree edited(const PublicTree& tree, F edit) {
  RatchetTree nodes = tree.to_nodes();
  edit(nodes);
  return *PublicTree::from_nodes(tree.suite(), nodes);
}

LeafNode& leaf_at(RatchetTree& nodes, LeafIndex l) {
  return std::get<LeafNode>(nodes[to_node(l).value]->value);
}

// An extension type no leaf lists: a group requiring it fails every leaf's capability check
// (invalid_value), without touching any signature.
std::vector<Extension> requiring_unknown_extension() {
  RequiredCapabilities rc;
  rc.extension_types = {0xff0a};
  return {Extension{kRequiredCapabilitiesExtension, encode(rc)}};
}

// check_vector_tree: the tree as given, then corrupted ways whose single-threaded outcome is
// known, each compared across thread counts.
void check_vector_tree(const PublicTree& tree, const Bytes& group_id) {
  const LeafValidationContext ctx{group_id, {}, std::nullopt};
  EXPECT_EQ(same_with_threads(tree, ctx), std::error_code());
  EXPECT_EQ(same_with_threads(tree, ctx, tree.root_hash()), std::error_code());
  Bytes wrong_hash = Bytes(tree.root_hash());
  wrong_hash[0] ^= 1;
  EXPECT_EQ(same_with_threads(tree, ctx, wrong_hash), Errc::tree_hash_mismatch);

  const std::vector<LeafIndex> leaves = tree.non_blank_leaves();
  const LeafIndex first = leaves.front();
  const LeafIndex last = leaves.back();
  auto bad_signature = [](LeafIndex l) {
    return [l](RatchetTree& n) { leaf_at(n, l).signature[5] ^= 1; };
  };
  const PublicTree last_bad = edited(tree, bad_signature(last));
  EXPECT_EQ(same_with_threads(last_bad, ctx), Errc::bad_signature);
  // Every leaf fails the required capability; the last also its signature. The first leaf in
  // index order decides: invalid_value, unless the last leaf is also the first.
  const std::vector<Extension> required = requiring_unknown_extension();
  const LeafValidationContext strict{group_id, required, std::nullopt};
  EXPECT_EQ(same_with_threads(last_bad, strict),
            first == last ? Errc::bad_signature : Errc::invalid_value);
  EXPECT_EQ(same_with_threads(edited(tree, bad_signature(first)), strict), Errc::bad_signature);

  // A parent hash broken in a non-blank parent (if the tree has one): parent_hash_mismatch,
  // unless a bad leaf signature comes first (leaves are checked before parent hashes).
  for (std::uint32_t x = 1; x < tree.node_width(); x += 2) {
    if (tree.blank(NodeIndex{x})) continue;
    auto break_parent = [x](RatchetTree& n) {
      std::get<ParentNode>(n[x]->value).encryption_key[0] ^= 1;
    };
    EXPECT_EQ(same_with_threads(edited(tree, break_parent), ctx), Errc::parent_hash_mismatch);
    const PublicTree both = edited(tree, [&](RatchetTree& n) {
      break_parent(n);
      bad_signature(last)(n);
    });
    EXPECT_EQ(same_with_threads(both, ctx), Errc::bad_signature);
    break;
  }
}

TEST(TreeValidationThreads, TreeValidationVectors) {
  const nlohmann::json file = vector_file("tree-validation.json");
  ASSERT_FALSE(file.empty());
  std::size_t index = 0;
  for (const auto& tc : file) {
    SCOPED_TRACE("tree-validation case " + std::to_string(index++));
    const auto suite = CipherSuite::get(tc.at("cipher_suite").get<std::uint16_t>());
    ASSERT_TRUE(suite);
    auto tree = PublicTree::decode(**suite, hex(tc, "tree"));
    ASSERT_TRUE(tree);
    check_vector_tree(*tree, hex(tc, "group_id"));
  }
}

TEST(TreeValidationThreads, TreeKemVectors) {
  const nlohmann::json file = vector_file("treekem.json");
  ASSERT_FALSE(file.empty());
  std::size_t index = 0;
  for (const auto& tc : file) {
    SCOPED_TRACE("treekem case " + std::to_string(index++));
    const auto suite = CipherSuite::get(tc.at("cipher_suite").get<std::uint16_t>());
    ASSERT_TRUE(suite);
    auto tree = PublicTree::decode(**suite, hex(tc, "ratchet_tree"));
    ASSERT_TRUE(tree);
    check_vector_tree(*tree, hex(tc, "group_id"));
  }
}

TEST(TreeValidationThreads, BulkBuildMatchesPerNodeOnVectors) {
  for (const char* name : {"tree-validation.json", "treekem.json"}) {
    for (const auto& tc : vector_file(name)) {
      const auto suite = CipherSuite::get(tc.at("cipher_suite").get<std::uint16_t>());
      ASSERT_TRUE(suite);
      const Bytes wire = hex(tc, tc.contains("tree") ? "tree" : "ratchet_tree");
      auto bulk = PublicTree::decode(**suite, wire, PublicTree::Build::bulk);
      auto per_node = PublicTree::decode(**suite, wire, PublicTree::Build::per_node);
      ASSERT_TRUE(bulk && per_node) << name;
      // The bulk build keeps the bytes as read, per_node re-encodes: equal when decoding is
      // exact.
      EXPECT_EQ(bulk->encode(), per_node->encode()) << name;
      EXPECT_EQ(bulk->encode(), wire) << name;
      EXPECT_EQ(Bytes(bulk->root_hash()), Bytes(per_node->root_hash())) << name;
    }
  }
}

// A tree large enough for the hash cache to be filled by several threads (512 leaves: subtrees
// on separate chunks) and for the leaves to be spread over many batches, with two failing
// leaves far apart: the lower index decides, whichever thread gets to it.
class LargeTree : public ::testing::Test {
 protected:
  LargeTree() : tree_(fx_.build_tree(300, 3)) {}
  LeafValidationContext ctx() const { return {fx_.group_id(), {}, std::nullopt}; }

  // with_bad_capabilities: leaf `l` carries a non-default extension missing from its
  // capabilities (invalid_value), re-signed so that its signature stays valid.
  PublicTree with_bad_capabilities(const PublicTree& tree, LeafIndex l) {
    LeafNode leaf = *tree.leaf_node(l);
    leaf.extensions.push_back(Extension{0xff0b, {}});
    const bool committed = std::holds_alternative<CommitSource>(leaf.source.value);
    EXPECT_TRUE(sign_leaf_node(*fx_.members()[l.value].signer, leaf,
                               committed ? ByteView(fx_.group_id()) : ByteView(),
                               committed ? l.value : 0));
    return edited(tree, [&](RatchetTree& n) { leaf_at(n, l) = leaf; });
  }
  PublicTree with_bad_signature(const PublicTree& tree, LeafIndex l) {
    return edited(tree, [&](RatchetTree& n) { leaf_at(n, l).signature[0] ^= 1; });
  }

  TreeFixture fx_;
  PublicTree tree_;
};

TEST_F(LargeTree, ValidTreePassesWithAnyThreadCount) {
  EXPECT_EQ(same_with_threads(tree_, ctx(), tree_.root_hash()), std::error_code());
}

TEST_F(LargeTree, FirstFailingLeafDecides) {
  const PublicTree sig_then_caps =
      with_bad_capabilities(with_bad_signature(tree_, LeafIndex{40}), LeafIndex{250});
  EXPECT_EQ(same_with_threads(sig_then_caps, ctx()), Errc::bad_signature);
  const PublicTree caps_then_sig =
      with_bad_signature(with_bad_capabilities(tree_, LeafIndex{40}), LeafIndex{250});
  EXPECT_EQ(same_with_threads(caps_then_sig, ctx()), Errc::invalid_value);
  // A failure late in the index order still wins over a parent-hash failure (checked after
  // the leaves).
  const PublicTree leaf_and_parent =
      edited(with_bad_signature(tree_, LeafIndex{299}), [](RatchetTree& n) {
        for (std::size_t x = 1; x < n.size(); x += 2) {
          if (n[x]) {
            std::get<ParentNode>(n[x]->value).encryption_key[0] ^= 1;
            return;
          }
        }
      });
  EXPECT_EQ(same_with_threads(leaf_and_parent, ctx()), Errc::bad_signature);
}

TEST_F(LargeTree, ParallelHashCacheMatchesSerial) {
  const PublicTree serial = *PublicTree::decode(tree_.suite(), tree_.encode());
  const PublicTree parallel = *PublicTree::decode(tree_.suite(), tree_.encode());
  parallel.fill_hash_cache(4);
  for (std::uint32_t i = 0; i < serial.node_width(); ++i) {
    EXPECT_EQ(Bytes(parallel.tree_hash(NodeIndex{i})), Bytes(serial.tree_hash(NodeIndex{i}))) << i;
  }
}

TEST(ValidationThreads, AutoUsesOneThreadForSmallTrees) {
  EXPECT_EQ(validation_threads(3, *LeafCount::create(2)), 3u);
  EXPECT_EQ(validation_threads(0, *LeafCount::create(kParallelValidationLeaves / 2)), 1u);
  EXPECT_GE(validation_threads(0, *LeafCount::create(kParallelValidationLeaves)), 1u);
}

}  // namespace
}  // namespace conclave::mls
