#include "mls/treesync/public_tree.h"

#include <gtest/gtest.h>

#include <bit>

#include "tests/mls/treesync/tree_fixture.h"

namespace conclave::mls {
namespace {

using testing::TreeFixture;

std::vector<std::uint32_t> values(const std::vector<NodeIndex>& v) {
  std::vector<std::uint32_t> out;
  for (NodeIndex x : v) out.push_back(x.value);
  return out;
}

Bytes hash_of(ByteView v) { return Bytes(v.begin(), v.end()); }

TEST(PublicTree, ResolutionWithUnmergedLeaves) {
  TreeFixture fx;
  PublicTree tree = fx.build_tree(4, 0);
  ASSERT_TRUE(tree.remove(LeafIndex{2}));
  fx.public_commit(tree, LeafIndex{0}, *fx.members()[0].signer);
  // Leaf 0's filtered direct path is 1 and 3 (node 5's subtree still holds leaf 3).
  EXPECT_FALSE(tree.blank(NodeIndex{1}));
  EXPECT_FALSE(tree.blank(NodeIndex{3}));
  EXPECT_TRUE(tree.blank(NodeIndex{5}));
  // A new member takes blank leaf 2 and is unmerged at the non-blank root.
  const auto added = tree.add(fx.new_member("new").leaf);
  ASSERT_TRUE(added);
  EXPECT_EQ(added->value, 2u);
  ASSERT_EQ(tree.unmerged_leaves(NodeIndex{3}).size(), 1u);
  EXPECT_EQ(tree.unmerged_leaves(NodeIndex{3})[0], LeafIndex{2});
  EXPECT_EQ(values(tree.resolution(NodeIndex{3})), (std::vector<std::uint32_t>{3, 4}));
  EXPECT_EQ(values(tree.resolution(NodeIndex{5})), (std::vector<std::uint32_t>{4, 6}));
  EXPECT_EQ(values(tree.resolution(NodeIndex{1})), (std::vector<std::uint32_t>{1}));
  const LeafIndex joiner[] = {LeafIndex{2}};
  EXPECT_EQ(values(tree.resolution(NodeIndex{3}, joiner)), (std::vector<std::uint32_t>{3}));
  EXPECT_EQ(values(tree.resolution(NodeIndex{5}, joiner)), (std::vector<std::uint32_t>{6}));
  // An update by leaf 2 blanks its direct path, unmerged lists included.
  ASSERT_TRUE(tree.update(LeafIndex{2}, fx.new_member("new2").leaf));
  EXPECT_TRUE(tree.blank(NodeIndex{3}));
  EXPECT_EQ(values(tree.resolution(NodeIndex{3})), (std::vector<std::uint32_t>{1, 4, 6}));
}

TEST(PublicTree, ExtensionAndTruncation) {
  TreeFixture fx;
  PublicTree tree = fx.build_tree(1, 0);
  EXPECT_EQ(tree.leaf_count().value(), 1u);
  const std::uint32_t expected_leaves[] = {2, 4, 4, 8, 8, 8, 8, 16};
  for (std::uint32_t want : expected_leaves) {
    ASSERT_TRUE(tree.add(fx.new_member("x").leaf));
    EXPECT_EQ(tree.leaf_count().value(), want);
    EXPECT_EQ(tree.node_width(), 2 * want - 1);
  }
  // 9 members in a 16-leaf tree; removing leaf 8 empties the right half.
  ASSERT_TRUE(tree.remove(LeafIndex{8}));
  EXPECT_EQ(tree.leaf_count().value(), 8u);
  // Removing leaf 5 keeps 8 leaves: the right half still holds leaves 4, 6, 7.
  ASSERT_TRUE(tree.remove(LeafIndex{5}));
  EXPECT_EQ(tree.leaf_count().value(), 8u);
  for (std::uint32_t l : {7u, 6u}) ASSERT_TRUE(tree.remove(LeafIndex{l}));
  EXPECT_EQ(tree.leaf_count().value(), 8u);
  ASSERT_TRUE(tree.remove(LeafIndex{4}));
  EXPECT_EQ(tree.leaf_count().value(), 4u);
  // The next add reuses the leftmost blank leaf before extending.
  ASSERT_TRUE(tree.remove(LeafIndex{1}));
  EXPECT_EQ(tree.add(fx.new_member("y").leaf)->value, 1u);
  // Trailing blanks are omitted on the wire, and the tree decodes back to the same shape.
  ASSERT_TRUE(tree.remove(LeafIndex{3}));
  EXPECT_EQ(tree.leaf_count().value(), 4u);
  EXPECT_EQ(tree.to_nodes().size(), 5u);
  auto back = PublicTree::decode(fx.suite(), tree.encode());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->leaf_count().value(), 4u);
  EXPECT_EQ(hash_of(back->root_hash()), hash_of(tree.root_hash()));
}

TEST(PublicTree, EncodedSizeIsTheEncodingsLength) {
  TreeFixture fx(5);
  // Small trees (2-byte vector length) and past 16,384 bytes (4-byte length).
  for (std::uint32_t n : {1u, 2u, 3u, 40u, 300u}) {
    PublicTree tree = fx.build_tree(n, 3);
    EXPECT_EQ(tree.encoded_size(), tree.encode().size()) << n;
    if (n > 2) {
      ASSERT_TRUE(tree.remove(LeafIndex{n - 1}));  // trailing blanks are not encoded
      EXPECT_EQ(tree.encoded_size(), tree.encode().size()) << n;
    }
  }
}

TEST(PublicTree, RejectsBadShapesAndProposals) {
  TreeFixture fx;
  PublicTree tree = fx.build_tree(3, 0);
  EXPECT_EQ(tree.update(LeafIndex{3}, fx.new_member("a").leaf).error(), Errc::invalid_proposal);
  EXPECT_EQ(tree.remove(LeafIndex{3}).error(), Errc::invalid_proposal);
  EXPECT_EQ(tree.remove(LeafIndex{4}).error(), Errc::invalid_proposal);
  RatchetTree nodes = tree.to_nodes();
  nodes.push_back(std::nullopt);  // a trailing blank must not be sent (§12.4.3.3)
  EXPECT_EQ(PublicTree::from_nodes(fx.suite(), nodes).error(), Errc::invalid_tree);
  nodes.pop_back();
  nodes[1] = nodes[0];  // a leaf in a parent slot
  EXPECT_EQ(PublicTree::from_nodes(fx.suite(), nodes).error(), Errc::invalid_tree);
  EXPECT_EQ(PublicTree::from_nodes(fx.suite(), RatchetTree{}).error(), Errc::invalid_tree);
}

TEST(PublicTree, CachedHashesMatchFullRecomputation) {
  TreeFixture fx(42);
  PublicTree tree = fx.build_tree(20, 4);
  std::mt19937 pick(7);
  for (int step = 0; step < 300; ++step) {
    const auto occupied = tree.non_blank_leaves();
    const LeafIndex l = occupied[pick() % occupied.size()];
    switch (pick() % 4) {
      case 0:
        ASSERT_TRUE(tree.add(fx.new_member("a" + std::to_string(step)).leaf));
        break;
      case 1:
        if (occupied.size() > 2) {
          ASSERT_TRUE(tree.remove(l));
        }
        break;
      case 2: {
        LeafNode leaf = fx.new_member("u" + std::to_string(step)).leaf;
        ASSERT_TRUE(tree.update(l, leaf));
        break;
      }
      default: {
        auto m = fx.new_member("c");
        LeafNode leaf = *tree.leaf_node(l);
        leaf.signature_key = m.signer->public_key();
        tree.set_leaf(l, leaf);
        fx.public_commit(tree, l, *m.signer);
        break;
      }
    }
    auto fresh = PublicTree::decode(fx.suite(), tree.encode());
    ASSERT_TRUE(fresh) << step;
    ASSERT_EQ(hash_of(tree.root_hash()), hash_of(fresh->root_hash())) << "step " << step;
    if (step % 25 == 0) {
      for (std::uint32_t i = 0; i < tree.node_width(); ++i) {
        ASSERT_EQ(hash_of(tree.tree_hash(NodeIndex{i})), hash_of(fresh->tree_hash(NodeIndex{i})))
            << "step " << step << " node " << i;
      }
    }
  }
}

TEST(PublicTree, ChangedNodesOfAPathUpdateAreLogarithmic) {
  TreeFixture fx;
  PublicTree tree = fx.build_tree(1024, 0);
  (void)tree.take_changes();
  fx.public_commit(tree, LeafIndex{517}, *fx.members()[517].signer);
  const TreeChanges changes = tree.take_changes();
  // The leaf and at most its 10 direct-path nodes.
  EXPECT_LE(changes.changed.size(), 11u);
  EXPECT_GE(changes.changed.size(), 2u);
  EXPECT_TRUE(std::is_sorted(changes.changed.begin(), changes.changed.end()));
  EXPECT_TRUE(tree.dirty().empty());
  // Removing the last member truncates: no reported index lies beyond the new width.
  ASSERT_TRUE(tree.remove(LeafIndex{1023}));
  ASSERT_TRUE(tree.remove(LeafIndex{1022}));
  const TreeChanges after = tree.take_changes();
  for (NodeIndex x : after.changed) EXPECT_LT(x.value, node_width(after.leaf_count));
  // Without take_changes() (a client never calls it) the record stays bounded by the width.
  for (std::uint32_t i = 0; i < 200; ++i) {
    fx.public_commit(tree, LeafIndex{i % 16}, *fx.members()[i % 16].signer);
  }
  EXPECT_LE(tree.dirty().size(), 16u * 2 + 10u);
}

TEST(PublicTree, PathUpdateHashesCostLogarithmicWork) {
  // After one path update only the path's hashes are recomputed: the cached sibling hashes
  // are reused, so a second root_hash() call with no change is free and a path update touches
  // O(log N) cache entries (checked indirectly: root hashes agree with a fresh tree).
  TreeFixture fx;
  PublicTree tree = fx.build_tree(256, 5);
  const Bytes before = hash_of(tree.root_hash());
  fx.public_commit(tree, LeafIndex{100}, *fx.members()[100].signer);
  EXPECT_NE(hash_of(tree.root_hash()), before);
  auto fresh = PublicTree::decode(fx.suite(), tree.encode());
  EXPECT_EQ(hash_of(tree.root_hash()), hash_of(fresh->root_hash()));
}

TEST(PublicTree, MergeUpdatePathRejectsBadParentHash) {
  TreeFixture fx;
  PublicTree tree = fx.build_tree(8, 0);
  PublicTree sender_view = tree;
  fx.public_commit(sender_view, LeafIndex{3}, *fx.members()[3].signer);
  UpdatePath path{*sender_view.leaf_node(LeafIndex{3}), {}};
  for (NodeIndex x : sender_view.filtered_direct_path(LeafIndex{3})) {
    path.nodes.push_back({to_bytes(sender_view.encryption_key(x)), {}});
  }
  PublicTree ok = tree;
  ASSERT_TRUE(ok.merge_update_path(LeafIndex{3}, path));
  EXPECT_EQ(hash_of(ok.root_hash()), hash_of(sender_view.root_hash()));

  UpdatePath tampered = path;
  tampered.nodes[1].encryption_key[0] ^= 1;
  PublicTree bad = tree;
  EXPECT_EQ(bad.merge_update_path(LeafIndex{3}, tampered).error(), Errc::parent_hash_mismatch);
  EXPECT_EQ(hash_of(bad.root_hash()), hash_of(tree.root_hash()));  // unchanged on error

  UpdatePath short_path = path;
  short_path.nodes.pop_back();
  EXPECT_EQ(bad.merge_update_path(LeafIndex{3}, short_path).error(), Errc::invalid_commit);
}

TEST(PublicTree, CompactMemoryForLargeRooms) {
  TreeFixture fx;
  PublicTree tree = fx.build_tree(2000, 3);
  (void)tree.root_hash();
  // About 250 bytes per member plus hashes: well under 400 bytes per leaf.
  EXPECT_LT(tree.memory_bytes(), 2000u * 400u);
}

}  // namespace
}  // namespace conclave::mls
