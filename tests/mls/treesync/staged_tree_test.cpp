// Copy-on-write staging of PublicTree: a copy shares chunks with its source, changes on the copy
// leave the source alone, the reported changes are exactly the nodes that differ, the merged
// (kept) copy equals a tree built from scratch, and the key index follows every change.
#include <gtest/gtest.h>

#include <random>

#include "mls/treesync/public_tree.h"
#include "tests/mls/treesync/tree_fixture.h"

namespace conclave::mls {
namespace {

using testing::TreeFixture;

Bytes copy_of(ByteView v) { return Bytes(v.begin(), v.end()); }

// differing_nodes: the nodes below `after`'s width whose encoding differs from `before`'s.
std::vector<NodeIndex> differing_nodes(const PublicTree& before, const PublicTree& after) {
  std::vector<NodeIndex> out;
  for (std::uint32_t i = 0; i < after.node_width(); ++i) {
    const NodeIndex x{i};
    if (copy_of(before.encoding(x)) != copy_of(after.encoding(x))) out.push_back(x);
  }
  return out;
}

// A random step: a path update, an add, or a remove (never of the last member).
void random_step(TreeFixture& fx, PublicTree& tree, std::mt19937& gen) {
  const std::vector<LeafIndex> leaves = tree.non_blank_leaves();
  const LeafIndex pick = leaves[gen() % leaves.size()];
  switch (gen() % 3) {
    case 0:
      fx.public_commit(tree, pick, *fx.members()[pick.value].signer);
      break;
    case 1: {
      fx.members().push_back(fx.new_member("extra" + std::to_string(fx.members().size())));
      const auto l = tree.add(fx.members().back().leaf);
      ASSERT_TRUE(l);
      // members()[i] signs for leaf i: keep the signer at the index the leaf took.
      if (l->value < fx.members().size() - 1) {
        std::swap(fx.members()[l->value], fx.members().back());
        fx.members().pop_back();
      }
      break;
    }
    default:
      if (leaves.size() > 1) {
        ASSERT_TRUE(tree.remove(pick));
      }
      break;
  }
}

TEST(StagedTree, CopyIsUntouchedByChangesToTheOther) {
  TreeFixture fx;
  PublicTree base = fx.build_tree(600, 4);
  const Bytes wire = base.encode();
  const Bytes root = copy_of(base.root_hash());
  PublicTree staged = base;
  fx.public_commit(staged, LeafIndex{3}, *fx.members()[3].signer);
  ASSERT_TRUE(staged.remove(LeafIndex{599}));
  ASSERT_TRUE(staged.add(fx.new_member("late").leaf));
  EXPECT_NE(copy_of(staged.root_hash()), root);
  EXPECT_EQ(base.encode(), wire);
  EXPECT_EQ(copy_of(base.root_hash()), root);
  // And the other way round: changing the source leaves an earlier copy alone.
  const Bytes staged_wire = staged.encode();
  PublicTree again = staged;
  fx.public_commit(staged, LeafIndex{10}, *fx.members()[10].signer);
  EXPECT_EQ(again.encode(), staged_wire);
}

TEST(StagedTree, ReportedChangesAreExactlyTheNodesThatDiffer) {
  TreeFixture fx;
  PublicTree base = fx.build_tree(300, 3);
  (void)base.take_changes();
  std::mt19937 gen(7);
  for (int round = 0; round < 40; ++round) {
    PublicTree staged = base;
    EXPECT_TRUE(staged.dirty().empty());
    const int steps = 1 + static_cast<int>(gen() % 4);
    for (int s = 0; s < steps; ++s) random_step(fx, staged, gen);
    const TreeChanges changes = staged.take_changes();
    EXPECT_EQ(changes.leaf_count, staged.leaf_count());
    EXPECT_EQ(changes.changed, differing_nodes(base, staged)) << "round " << round;
    EXPECT_TRUE(staged.dirty().empty());
    base = std::move(staged);  // merge
  }
}

TEST(StagedTree, WritingANodeBackIsNotAChange) {
  TreeFixture fx;
  PublicTree base = fx.build_tree(16, 0);
  PublicTree staged = base;
  const LeafNode old_leaf = *staged.leaf_node(LeafIndex{5});
  LeafNode other = fx.new_member("other").leaf;
  staged.set_leaf(LeafIndex{5}, other);
  staged.set_leaf(LeafIndex{5}, old_leaf);
  EXPECT_TRUE(staged.dirty().empty());
}

TEST(StagedTree, MergedCopyEqualsTreeBuiltFromScratch) {
  TreeFixture fx;
  PublicTree base = fx.build_tree(500, 5);
  (void)base.root_hash();  // fill the hash cache so the copies share it
  std::mt19937 gen(11);
  for (int round = 0; round < 25; ++round) {
    PublicTree staged = base;
    // The source computes hashes while the copy changes (both fill caches of shared chunks).
    for (int s = 0; s < 3; ++s) {
      random_step(fx, staged, gen);
      (void)base.root_hash();
    }
    auto fresh = PublicTree::decode(fx.suite(), staged.encode());
    ASSERT_TRUE(fresh);
    ASSERT_EQ(staged.node_width(), fresh->node_width());
    for (std::uint32_t i = 0; i < staged.node_width(); i += 1 + (i % 7)) {
      ASSERT_EQ(copy_of(staged.tree_hash(NodeIndex{i})), copy_of(fresh->tree_hash(NodeIndex{i})))
          << "round " << round << " node " << i;
    }
    ASSERT_EQ(copy_of(staged.root_hash()), copy_of(fresh->root_hash()));
    // Discarded staging leaves the base consistent too.
    auto base_fresh = PublicTree::decode(fx.suite(), base.encode());
    ASSERT_EQ(copy_of(base.root_hash()), copy_of(base_fresh->root_hash()));
    if (round % 2 == 0) base = std::move(staged);
  }
}

TEST(StagedTree, HashCacheOfASharedChunkStaysRight) {
  // The source has stale hashes above a node; the copy changes under that node; then the
  // source recomputes its hashes. The copy must not see the source's hashes.
  TreeFixture fx;
  PublicTree base = fx.build_tree(1024, 2);
  (void)base.root_hash();
  fx.public_commit(base, LeafIndex{700}, *fx.members()[700].signer);  // invalidates its path
  PublicTree staged = base;
  // A leaf-only change: it writes no ancestor, only invalidates their hashes.
  staged.set_leaf(LeafIndex{701}, fx.new_member("replaced").leaf);
  (void)base.root_hash();
  auto fresh = PublicTree::decode(fx.suite(), staged.encode());
  EXPECT_EQ(copy_of(staged.root_hash()), copy_of(fresh->root_hash()));
  auto base_fresh = PublicTree::decode(fx.suite(), base.encode());
  EXPECT_EQ(copy_of(base.root_hash()), copy_of(base_fresh->root_hash()));
}

TEST(StagedTree, KeyIndexFindsRejectsAndForgets) {
  TreeFixture fx;
  PublicTree tree = fx.build_tree(64, 4);
  const LeafNode leaf9 = *tree.leaf_node(LeafIndex{9});
  EXPECT_EQ(tree.nodes_with_encryption_key(leaf9.encryption_key),
            std::vector<NodeIndex>{to_node(LeafIndex{9})});
  EXPECT_EQ(tree.leaves_with_signature_key(leaf9.signature_key),
            std::vector<LeafIndex>{LeafIndex{9}});
  // Parent nodes are indexed by their encryption key.
  const std::vector<NodeIndex> fdp = tree.filtered_direct_path(LeafIndex{8});
  ASSERT_FALSE(fdp.empty());
  const Bytes parent_key = copy_of(tree.encryption_key(fdp.back()));
  ASSERT_FALSE(parent_key.empty());  // the root, set by the last committer
  EXPECT_EQ(tree.nodes_with_encryption_key(parent_key), std::vector<NodeIndex>{fdp.back()});
  // A duplicate key shows up as two nodes: what the uniqueness checks reject.
  LeafNode dup = fx.new_member("dup").leaf;
  dup.encryption_key = leaf9.encryption_key;
  const auto at = tree.add(dup);
  ASSERT_TRUE(at);
  EXPECT_EQ(tree.nodes_with_encryption_key(leaf9.encryption_key).size(), 2u);
  EXPECT_EQ(tree.leaves_with_signature_key(dup.signature_key), std::vector<LeafIndex>{*at});
  // Removed leaves are forgotten; a copy's removal does not touch the source's index.
  PublicTree staged = tree;
  ASSERT_TRUE(staged.remove(LeafIndex{9}));
  EXPECT_TRUE(staged.leaves_with_signature_key(leaf9.signature_key).empty());
  EXPECT_EQ(staged.nodes_with_encryption_key(leaf9.encryption_key),
            std::vector<NodeIndex>{to_node(*at)});
  EXPECT_EQ(tree.leaves_with_signature_key(leaf9.signature_key),
            std::vector<LeafIndex>{LeafIndex{9}});
  // A path update replaces the old keys of the path.
  fx.public_commit(staged, LeafIndex{8}, *fx.members()[8].signer);
  EXPECT_TRUE(staged.nodes_with_encryption_key(parent_key).empty());
  EXPECT_TRUE(staged.nodes_with_encryption_key(Bytes(32, 0xab)).empty());
}

TEST(StagedTree, KeyIndexSurvivesTruncationAndDecode) {
  TreeFixture fx;
  PublicTree tree = fx.build_tree(9, 0);  // 16 leaves wide
  const LeafNode leaf8 = *tree.leaf_node(LeafIndex{8});
  ASSERT_TRUE(tree.remove(LeafIndex{8}));  // truncates to 8 leaves
  EXPECT_EQ(tree.leaf_count().value(), 8u);
  EXPECT_TRUE(tree.nodes_with_encryption_key(leaf8.encryption_key).empty());
  EXPECT_TRUE(tree.leaves_with_signature_key(leaf8.signature_key).empty());
  auto decoded = PublicTree::decode(fx.suite(), tree.encode());
  ASSERT_TRUE(decoded);
  const LeafNode leaf3 = *tree.leaf_node(LeafIndex{3});
  EXPECT_EQ(decoded->leaves_with_signature_key(leaf3.signature_key),
            std::vector<LeafIndex>{LeafIndex{3}});
}

}  // namespace
}  // namespace conclave::mls
