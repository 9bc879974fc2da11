// PublicTree::Build::bulk (the O(N) build of a received tree) against Build::per_node (the
// build before issue 15, one change at a time): the same tree in every observable way, the same
// errors for the same bad input, and the same behaviour under later changes.
#include <gtest/gtest.h>

#include "mls/treesync/public_tree.h"
#include "tests/mls/treesync/tree_fixture.h"

namespace conclave::mls {
namespace {

using testing::TreeFixture;
using Build = PublicTree::Build;

Bytes bytes_of(ByteView v) { return Bytes(v.begin(), v.end()); }

// expect_same compares everything the subtree counts, the key index, the hash cache and the
// snapshot decide: node contents, tree hashes, resolutions, filtered direct paths, key lookups
// and the (empty) change list.
void expect_same(const PublicTree& a, const PublicTree& b) {
  ASSERT_EQ(a.leaf_count(), b.leaf_count());
  ASSERT_EQ(a.node_width(), b.node_width());
  EXPECT_EQ(a.encode(), b.encode());
  EXPECT_EQ(bytes_of(a.root_hash()), bytes_of(b.root_hash()));
  for (std::uint32_t i = 0; i < a.node_width(); ++i) {
    const NodeIndex x{i};
    ASSERT_EQ(a.blank(x), b.blank(x)) << i;
    EXPECT_EQ(bytes_of(a.tree_hash(x)), bytes_of(b.tree_hash(x))) << i;
    EXPECT_EQ(a.resolution(x), b.resolution(x)) << i;
    if (a.blank(x)) continue;
    const ByteView key = a.encryption_key(x);
    EXPECT_EQ(a.nodes_with_encryption_key(key), b.nodes_with_encryption_key(key)) << i;
  }
  for (std::uint32_t l = 0; l < a.leaf_count().value(); ++l) {
    EXPECT_EQ(a.filtered_direct_path(LeafIndex{l}), b.filtered_direct_path(LeafIndex{l})) << l;
    if (a.blank(LeafIndex{l})) continue;
    const ByteView key = a.signature_key(LeafIndex{l});
    EXPECT_EQ(a.leaves_with_signature_key(key), b.leaves_with_signature_key(key)) << l;
  }
  EXPECT_EQ(a.non_blank_leaves(), b.non_blank_leaves());
  EXPECT_TRUE(a.dirty().empty());
  EXPECT_TRUE(b.dirty().empty());
}

TEST(TreeBuild, BulkMatchesPerNodeOnVariedTrees) {
  TreeFixture fx(9);
  for (std::uint32_t n : {1u, 2u, 3u, 5u, 12u, 40u, 300u}) {
    SCOPED_TRACE(n);
    PublicTree tree = fx.build_tree(n, 3);
    // Blanks in the middle and unmerged leaves above them, as removals and adds leave them.
    if (n >= 12) {
      ASSERT_TRUE(tree.remove(LeafIndex{n / 2}));
      ASSERT_TRUE(tree.remove(LeafIndex{1}));
      ASSERT_TRUE(tree.add(fx.new_member("late").leaf));
    }
    const Bytes wire = tree.encode();
    auto bulk = PublicTree::decode(fx.suite(), wire, Build::bulk);
    auto per_node = PublicTree::decode(fx.suite(), wire, Build::per_node);
    ASSERT_TRUE(bulk);
    ASSERT_TRUE(per_node);
    expect_same(*bulk, *per_node);
    auto from_structs = PublicTree::from_nodes(fx.suite(), tree.to_nodes(), Build::bulk);
    ASSERT_TRUE(from_structs);
    expect_same(*from_structs, *per_node);

    // Later changes see the same counts (leftmost blank leaf, truncation, filtered paths).
    const LeafNode next = fx.new_member("next").leaf;
    for (PublicTree* t : {&*bulk, &*per_node}) {
      ASSERT_TRUE(t->add(next));
      const auto last = t->non_blank_leaves().back();
      if (last.value != 0) {
        ASSERT_TRUE(t->remove(last));
      }
    }
    EXPECT_EQ(bulk->dirty(), per_node->dirty());
    (void)bulk->take_changes();
    (void)per_node->take_changes();
    expect_same(*bulk, *per_node);
  }
}

TEST(TreeBuild, BulkDecodeFailsLikePerNode) {
  TreeFixture fx(10);
  const PublicTree tree = fx.build_tree(6, 2);
  const Bytes wire = tree.encode();
  auto outcome = [&](ByteView w, Build b) {
    auto t = PublicTree::decode(fx.suite(), w, b);
    return t ? std::error_code() : t.error();
  };
  // Every truncation, every single-byte change and trailing data: same success or same error.
  for (std::size_t len = 0; len <= wire.size(); ++len) {
    const ByteView w(wire.data(), len);
    EXPECT_EQ(outcome(w, Build::bulk), outcome(w, Build::per_node)) << "length " << len;
  }
  for (std::size_t i = 0; i < wire.size(); ++i) {
    for (std::uint8_t flip : {0x01, 0x80, 0xff}) {
      Bytes bad = wire;
      bad[i] ^= flip;
      EXPECT_EQ(outcome(bad, Build::bulk), outcome(bad, Build::per_node)) << i << " ^ " << +flip;
    }
  }
  Bytes trailing = wire;
  trailing.push_back(0);
  EXPECT_EQ(outcome(trailing, Build::bulk), Errc::trailing_data);
  EXPECT_EQ(outcome(trailing, Build::per_node), Errc::trailing_data);
}

}  // namespace
}  // namespace conclave::mls
