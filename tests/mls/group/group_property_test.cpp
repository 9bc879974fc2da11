// Property tests with fixed seeds: random rooms of up to 64 members under random adds, removes,
// updates and commits by random members. After every commit every member and the delivery
// service's PublicGroup agree on epoch, tree hash and (members) epoch authenticator, and a
// removed member can no longer decrypt.
#include <gtest/gtest.h>

#include <map>

#include "tests/mls/group/group_harness.h"

namespace conclave::mls {
namespace {

using testing::new_member;
using testing::SeededRng;
using testing::suite1;

class Room {
 public:
  explicit Room(std::uint64_t seed, bool encrypt) : rng_(seed) {
    opts_.rng = &rng_;
    opts_.encrypt_handshake = encrypt;
    auto creator = new_member(suite1(), "m0", rng_);
    auto g = Group::create(suite1(), Bytes{'r', 'o', 'o', 'm'}, creator, {}, opts_);
    EXPECT_TRUE(g);
    auto gi = g->group_info(true);
    EXPECT_TRUE(gi);
    auto ds = PublicGroup::from_group_info(suite1(), *gi, std::nullopt);
    EXPECT_TRUE(ds);
    ds_.emplace(std::move(*ds));
    members_.emplace(0, std::move(*g));
  }

  std::size_t size() const { return members_.size(); }

  std::uint32_t random_member() {
    auto it = members_.begin();
    std::advance(it, rng_.below(static_cast<std::uint32_t>(members_.size())));
    return it->first;
  }

  // external runs an external commit: a new member joins, or (resync) a member rejoins and
  // removes its old leaf. Every member and the delivery service process it.
  void external(bool resync) {
    const std::uint32_t source = random_member();
    auto gi = members_.at(source).group_info(true);
    ASSERT_TRUE(gi);
    std::optional<LeafIndex> old;
    if (resync && members_.size() > 1) {
      std::uint32_t who = random_member();
      while (who == source) who = random_member();
      old = LeafIndex{who};
    }
    std::string name(1, 'x');
    name += std::to_string(next_name_++);
    auto kp = new_member(suite1(), name, rng_);
    auto ext = Group::join_external(suite1(), *gi, std::nullopt, kp, old, opts_);
    ASSERT_TRUE(ext) << ext.error().message();
    auto staged_ds = ds_->stage_commit(ext->first);
    ASSERT_TRUE(staged_ds) << staged_ds.error().message();
    ds_.emplace(std::move(*staged_ds).merge());
    for (auto& [leaf, g] : members_) {
      auto staged = g.stage_commit(ext->first);
      ASSERT_TRUE(staged) << staged.error().message();
      ASSERT_EQ(staged->removes_self(), old && old->value == leaf);
      if (!staged->removes_self()) g = std::move(*staged).merge();
    }
    if (old) members_.erase(old->value);
    Group joined = std::move(ext->second).merge();
    const std::uint32_t leaf = joined.own_leaf().value;
    ASSERT_FALSE(members_.contains(leaf));
    members_.emplace(leaf, std::move(joined));
    check_agreement();
  }

  // step runs one random operation ending in a commit.
  void step() {
    const std::uint32_t committer = random_member();
    CommitOptions co;
    std::vector<KeyPackageBundle> joining;
    const std::uint32_t op = rng_.below(4);
    if ((op == 0 && members_.size() < 64) || members_.size() == 1) {
      const std::uint32_t n = 1 + rng_.below(3);
      for (std::uint32_t i = 0; i < n && members_.size() + joining.size() < 64; ++i) {
        std::string name(1, 'm');
        name += std::to_string(next_name_++);
        joining.push_back(new_member(suite1(), name, rng_));
        co.proposals.push_back(Proposal{Add{joining.back().key_package}});
      }
    } else if (op == 1) {
      std::uint32_t victim = random_member();
      while (victim == committer) victim = random_member();
      co.proposals.push_back(Proposal{Remove{victim}});
    } else if (op == 2) {
      std::uint32_t proposer = random_member();
      if (proposer != committer) {
        auto msg = members_.at(proposer).propose_update();
        ASSERT_TRUE(msg) << msg.error().message();
        for (auto& [leaf, g] : members_) {
          if (leaf != proposer) {
            ASSERT_TRUE(g.handle_proposal(*msg));
          }
        }
        if (!opts_.encrypt_handshake) {
          ASSERT_TRUE(ds_->handle_proposal(*msg));
        }
      }
    }
    co.force_path = rng_.below(4) != 0;
    auto out = members_.at(committer).commit(std::move(co));
    ASSERT_TRUE(out) << out.error().message();
    if (!opts_.encrypt_handshake) {
      auto staged = ds_->stage_commit(out->message);
      ASSERT_TRUE(staged) << staged.error().message();
      ds_.emplace(std::move(*staged).merge());
    }
    std::vector<std::uint32_t> removed;
    for (auto& [leaf, g] : members_) {
      if (leaf == committer) continue;
      auto staged = g.stage_commit(out->message);
      ASSERT_TRUE(staged) << "leaf " << leaf << ": " << staged.error().message();
      if (staged->removes_self()) {
        removed.push_back(leaf);
      } else {
        g = std::move(*staged).merge();
      }
    }
    members_.at(committer) = std::move(out->staged).merge();
    std::vector<Group> gone;
    for (std::uint32_t leaf : removed) {
      gone.push_back(std::move(members_.at(leaf)));
      members_.erase(leaf);
    }
    for (KeyPackageBundle& b : joining) {
      ASSERT_TRUE(out->welcome);
      auto g = Group::join(suite1(), *out->welcome, b.key_package, std::move(b.secrets),
                           std::nullopt, {}, opts_);
      ASSERT_TRUE(g) << g.error().message();
      const std::uint32_t leaf = g->own_leaf().value;
      ASSERT_FALSE(members_.contains(leaf));
      members_.emplace(leaf, std::move(*g));
    }
    check_agreement();
    // A removed member cannot read what is sent in the new epoch.
    if (!gone.empty()) {
      auto msg = members_.at(committer).protect(Bytes{'x'});
      ASSERT_TRUE(msg);
      for (Group& g : gone) EXPECT_FALSE(g.unprotect_application(*msg));
      for (auto& [leaf, g] : members_) {
        if (leaf == committer) continue;
        auto got = g.unprotect_application(*msg);
        ASSERT_TRUE(got) << got.error().message();
      }
    }
  }

  void check_agreement() {
    const Group& first = members_.begin()->second;
    for (const auto& [leaf, g] : members_) {
      ASSERT_EQ(g.own_leaf().value, leaf);
      ASSERT_EQ(g.context(), first.context());
      ASSERT_TRUE(std::ranges::equal(g.epoch_authenticator(), first.epoch_authenticator()));
      ASSERT_EQ(g.tree().root_hash(), first.context().tree_hash);
    }
    if (!opts_.encrypt_handshake) {
      ASSERT_EQ(ds_->epoch(), first.epoch());
      ASSERT_EQ(ds_->tree_hash(), first.context().tree_hash);
      ASSERT_EQ(ds_->members().size(), members_.size());
    }
  }

 private:
  SeededRng rng_;
  GroupOptions opts_;
  std::map<std::uint32_t, Group> members_;
  std::optional<PublicGroup> ds_;
  int next_name_ = 1;
};

void run(std::uint64_t seed, bool encrypt, int steps) {
  Room room(seed, encrypt);
  std::size_t largest = 0;
  for (int i = 0; i < steps; ++i) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " step " << i);
    room.step();
    if (::testing::Test::HasFatalFailure()) return;
    largest = std::max(largest, room.size());
  }
  EXPECT_GT(largest, 4u);
}

TEST(GroupProperty, RandomOperationsSeed1) { run(1, false, 80); }

TEST(GroupProperty, ExternalJoinsAndResyncsMixedWithCommits) {
  Room room(5, false);
  SeededRng pick(55);
  for (int i = 0; i < 40; ++i) {
    SCOPED_TRACE(::testing::Message() << "step " << i);
    const std::uint32_t op = pick.below(4);
    if (op == 0) {
      room.external(false);
    } else if (op == 1) {
      room.external(true);
    } else {
      room.step();
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
}
TEST(GroupProperty, RandomOperationsSeed2) { run(2, false, 80); }
TEST(GroupProperty, RandomOperationsEncryptedHandshakeSeed3) { run(3, true, 60); }

// Grow to 64 members mostly by adds, then churn.
TEST(GroupProperty, SixtyFourMembers) {
  Room room(4, false);
  for (int i = 0; i < 200 && room.size() < 64; ++i) {
    SCOPED_TRACE(::testing::Message() << "grow step " << i);
    room.step();
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GE(room.size(), 20u);
}

}  // namespace
}  // namespace conclave::mls
