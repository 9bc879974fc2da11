#include "mls/treesync/treekem.h"

#include <gtest/gtest.h>

#include "mls/treesync/tree_validation.h"
#include "tests/mls/treesync/tree_fixture.h"

namespace conclave::mls {
namespace {

using testing::TestMember;
using testing::TreeFixture;

// A small group where every member keeps its own copy of the tree and its private state.
class TreeKemGroup : public ::testing::Test {
 protected:
  struct View {
    PublicTree tree;
    TreePrivate priv;
  };

  void SetUp() override {
    members_.push_back(fx_.new_member("m0"));
    PublicTree tree = PublicTree::with_creator(fx_.suite(), members_[0].leaf);
    views_.push_back({tree, TreePrivate(LeafIndex{0}, members_[0].encryption_priv.clone())});
    context_.cipher_suite = static_cast<std::uint16_t>(fx_.suite().id());
    context_.group_id = fx_.group_id();
  }

  // add_member adds a member in every view (the joiner gets a copy of the tree) and returns
  // its leaf.
  LeafIndex add_member() {
    members_.push_back(fx_.new_member("m" + std::to_string(members_.size())));
    LeafIndex l{};
    for (View& v : views_) l = *v.tree.add(members_.back().leaf);
    views_.push_back({views_[0].tree, TreePrivate(l, members_.back().encryption_priv.clone())});
    return l;
  }

  // commit: member `c` creates a path, everybody else processes it; all commit secrets agree.
  void commit(std::size_t c, std::span<const LeafIndex> joiners = {}) {
    ++context_.epoch;
    auto created = create_update_path(views_[c].tree, views_[c].priv,
                                      *views_[c].tree.leaf_node(views_[c].priv.own_leaf()),
                                      *members_[c].signer, context_, joiners, fx_.rng());
    ASSERT_TRUE(created) << created.error().message();
    for (std::size_t m = 0; m < views_.size(); ++m) {
      if (m == c) continue;
      const LeafIndex own = views_[m].priv.own_leaf();
      if (std::find(joiners.begin(), joiners.end(), own) != joiners.end()) {
        ASSERT_TRUE(views_[m].tree.merge_update_path(views_[c].priv.own_leaf(), created->path));
        continue;
      }
      auto got = process_update_path(views_[m].tree, views_[m].priv, views_[c].priv.own_leaf(),
                                     created->path, context_, joiners);
      ASSERT_TRUE(got) << "member " << m << ": " << got.error().message();
      EXPECT_TRUE(ct_equal(got->commit_secret.view(), created->commit_secret.view()));
      EXPECT_EQ(to_bytes(views_[m].tree.root_hash()), to_bytes(views_[c].tree.root_hash()));
      EXPECT_TRUE(views_[m].priv.check_consistent(views_[m].tree)) << "member " << m;
    }
    EXPECT_TRUE(views_[c].priv.check_consistent(views_[c].tree));
    const LeafValidationContext ctx{fx_.group_id(), {}, std::nullopt};
    EXPECT_TRUE(validate_tree(views_[c].tree, ctx));
    last_ = std::move(*created);
  }

  TreeFixture fx_{11};
  std::vector<TestMember> members_;
  std::vector<View> views_;
  GroupContext context_;
  std::optional<CreatedUpdatePath> last_;
};

TEST_F(TreeKemGroup, EveryMemberDerivesTheSameCommitSecret) {
  for (int i = 0; i < 6; ++i) add_member();
  commit(0);
  commit(3);
  const LeafIndex joiner = add_member();  // unmerged at the non-blank parents above it
  EXPECT_FALSE(views_[0].tree.unmerged_leaves(views_[0].tree.root()).empty());
  commit(5);  // the joiner is in a copath resolution as an unmerged leaf
  ASSERT_TRUE(views_[0].tree.remove(LeafIndex{2}));
  for (std::size_t m = 1; m < views_.size(); ++m) ASSERT_TRUE(views_[m].tree.remove(LeafIndex{2}));
  views_.erase(views_.begin() + 2);
  members_.erase(members_.begin() + 2);
  for (View& v : views_) v.priv.forget_blank(v.tree);
  commit(1);
  commit(views_.size() - 1);  // the former joiner commits
  (void)joiner;
}

TEST_F(TreeKemGroup, JoinersAreLeftOutOfTheEncryptions) {
  for (int i = 0; i < 3; ++i) add_member();
  commit(0);
  const LeafIndex joiner = add_member();
  ASSERT_EQ(joiner.value, 4u);
  const LeafIndex joiners[] = {joiner};
  commit(0, joiners);
  std::size_t total = 0;
  for (const auto& n : last_->path.nodes) total += n.encrypted_path_secret.size();
  // Filtered direct path 1, 3, 7: leaf 1 for node 1, leaves 2 and 3 (node 5 is blank) for node 3,
  // and nothing for the root, whose copath child holds only the joiner.
  EXPECT_EQ(total, 3u);
  EXPECT_TRUE(last_->path.nodes.back().encrypted_path_secret.empty());
}

TEST_F(TreeKemGroup, TamperedPathRejected) {
  for (int i = 0; i < 3; ++i) add_member();
  commit(1);
  ++context_.epoch;
  PublicTree sender_tree = views_[2].tree;
  TreePrivate sender_priv = views_[2].priv.clone();
  auto created = create_update_path(sender_tree, sender_priv, *sender_tree.leaf_node(LeafIndex{2}),
                                    *members_[2].signer, context_, {}, fx_.rng());
  ASSERT_TRUE(created);

  UpdatePath wrong_key = created->path;  // changes the parent hash chain
  wrong_key.nodes.back().encryption_key[0] ^= 1;
  PublicTree t1 = views_[0].tree;
  TreePrivate p1 = views_[0].priv.clone();
  EXPECT_EQ(process_update_path(t1, p1, LeafIndex{2}, wrong_key, context_, {}).error(),
            Errc::parent_hash_mismatch);

  UpdatePath missing = created->path;  // one ciphertext too few for the resolution
  missing.nodes.back().encrypted_path_secret.pop_back();
  PublicTree t2 = views_[0].tree;
  TreePrivate p2 = views_[0].priv.clone();
  EXPECT_EQ(process_update_path(t2, p2, LeafIndex{2}, missing, context_, {}).error(),
            Errc::invalid_commit);

  GroupContext other = context_;  // a different provisional context: decryption fails
  other.epoch += 7;
  PublicTree t3 = views_[0].tree;
  TreePrivate p3 = views_[0].priv.clone();
  EXPECT_EQ(process_update_path(t3, p3, LeafIndex{2}, created->path, other, {}).error(),
            Errc::decryption_failed);

  PublicTree t4 = views_[2].tree;  // the sender does not process its own path
  TreePrivate p4 = views_[2].priv.clone();
  EXPECT_EQ(process_update_path(t4, p4, LeafIndex{2}, created->path, context_, {}).error(),
            Errc::invalid_commit);
}

TEST(TreePrivateTest, ConsistencyCheckCatchesWrongKeys) {
  TreeFixture fx;
  PublicTree tree = fx.build_tree(4, 0);
  TreePrivate priv(LeafIndex{1}, fx.members()[1].encryption_priv.clone());
  EXPECT_TRUE(priv.check_consistent(tree));
  TreePrivate wrong(LeafIndex{2}, fx.members()[1].encryption_priv.clone());
  EXPECT_EQ(wrong.check_consistent(tree).error(), Errc::invalid_key);
  // A path secret for a node the tree holds blank is inconsistent.
  ASSERT_TRUE(priv.set_path_secret(fx.suite(), NodeIndex{1}, Secret(fx.rng().bytes(32))));
  EXPECT_EQ(priv.check_consistent(tree).error(), Errc::invalid_key);
  priv.forget_blank(tree);
  EXPECT_TRUE(priv.held().empty());
}

}  // namespace
}  // namespace conclave::mls
