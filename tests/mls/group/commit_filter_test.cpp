// Group::commit leaves out invalid cached proposals (RFC 9420 §12.2) instead of failing, while an
// invalid by-value list still fails the commit.
#include <gtest/gtest.h>

#include "mls/group/group.h"
#include "tests/mls/group/group_harness.h"

namespace conclave::mls {
namespace {

using testing::new_member;
using testing::SeededRng;
using testing::suite1;

using Room = testing::ThreeMembers;

Room three_members(SeededRng& rng) { return testing::three_members(rng, "filter"); }

// A second KeyPackage for bob's identity and signature key: its Add duplicates a member.
KeyPackageBundle duplicate_of_bob(const Room& room, Rng& rng) {
  auto kp = make_key_package(suite1(), room.bob_kp.key_package.leaf_node.credential,
                             room.bob_kp.secrets.signature_private_key.clone(), rng);
  EXPECT_TRUE(kp);
  return std::move(*kp);
}

std::size_t proposals_in(const MlsMessage& m) {
  const auto& pm = std::get<PublicMessage>(m.message);
  return std::get<Commit>(pm.content.content.value).proposals.size();
}

TEST(CommitFilter, InvalidCachedAddIsLeftOutAndOthersAccept) {
  SeededRng rng(201);
  Room room = three_members(rng);
  auto dup = duplicate_of_bob(room, rng);
  // Bob proposes adding his own signature key again (valid on its own, VAL-PR-01; invalid in a
  // commit, VAL-CM-04); carol proposes an Update, which is valid.
  auto bad = room.bob.propose(Proposal{Add{dup.key_package}});
  ASSERT_TRUE(bad) << bad.error().message();
  auto upd = room.carol.propose_update();
  ASSERT_TRUE(upd);
  for (Group* g : {&room.alice, &room.carol}) ASSERT_TRUE(g->handle_proposal(*bad));
  for (Group* g : {&room.alice, &room.bob}) ASSERT_TRUE(g->handle_proposal(*upd));

  auto out = room.alice.commit();
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_FALSE(out->welcome);                 // the Add was left out
  EXPECT_EQ(proposals_in(out->message), 1u);  // carol's Update stayed in
  auto at_bob = room.bob.stage_commit(out->message);
  auto at_carol = room.carol.stage_commit(out->message);
  ASSERT_TRUE(at_bob) << at_bob.error().message();
  ASSERT_TRUE(at_carol) << at_carol.error().message();
  Group alice = std::move(out->staged).merge();
  Group bob = std::move(*at_bob).merge();
  Group carol = std::move(*at_carol).merge();
  EXPECT_EQ(alice.context(), bob.context());
  EXPECT_EQ(alice.context(), carol.context());
  EXPECT_TRUE(std::ranges::equal(alice.epoch_authenticator(), carol.epoch_authenticator()));
  EXPECT_EQ(alice.tree().non_blank_leaves().size(), 3u);
}

TEST(CommitFilter, SameKeyPackageProposedTwiceIsAddedOnce) {
  SeededRng rng(202);
  Room room = three_members(rng);
  auto dave = new_member(suite1(), "dave", rng);
  auto p1 = room.bob.propose(Proposal{Add{dave.key_package}});
  auto p2 = room.carol.propose(Proposal{Add{dave.key_package}});
  ASSERT_TRUE(p1 && p2);
  ASSERT_TRUE(room.alice.handle_proposal(*p1));
  ASSERT_TRUE(room.alice.handle_proposal(*p2));
  ASSERT_TRUE(room.carol.handle_proposal(*p1));
  ASSERT_TRUE(room.bob.handle_proposal(*p2));
  auto out = room.alice.commit();
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(proposals_in(out->message), 1u);
  ASSERT_TRUE(out->welcome);
  auto at_bob = room.bob.stage_commit(out->message);
  ASSERT_TRUE(at_bob) << at_bob.error().message();
  GroupOptions opts;
  opts.rng = &rng;
  auto joined = Group::join(suite1(), *out->welcome, dave.key_package, dave.clone().secrets,
                            std::nullopt, {}, opts);
  ASSERT_TRUE(joined) << joined.error().message();
  Group alice = std::move(out->staged).merge();
  EXPECT_EQ(alice.context(), joined->context());
  EXPECT_EQ(alice.tree().non_blank_leaves().size(), 4u);
}

TEST(CommitFilter, ByValueRemoveWinsOverCachedRemoveOfTheSameLeaf) {
  SeededRng rng(203);
  Room room = three_members(rng);
  auto rm = room.bob.propose(Proposal{Remove{2}});
  ASSERT_TRUE(rm);
  ASSERT_TRUE(room.alice.handle_proposal(*rm));
  CommitOptions co;
  co.proposals.push_back(Proposal{Remove{2}});
  auto out = room.alice.commit(std::move(co));
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(proposals_in(out->message), 1u);
  auto at_bob = room.bob.stage_commit(out->message);
  ASSERT_TRUE(at_bob) << at_bob.error().message();
  auto at_carol = room.carol.stage_commit(out->message);
  ASSERT_TRUE(at_carol);
  EXPECT_TRUE(at_carol->removes_self());
}

TEST(CommitFilter, RemoveWinsOverUpdateOfTheSameLeaf) {
  SeededRng rng(204);
  Room room = three_members(rng);
  auto upd = room.carol.propose_update();
  auto rm = room.bob.propose(Proposal{Remove{2}});
  ASSERT_TRUE(upd && rm);
  ASSERT_TRUE(room.alice.handle_proposal(*upd));
  ASSERT_TRUE(room.alice.handle_proposal(*rm));
  ASSERT_TRUE(room.bob.handle_proposal(*upd));
  auto out = room.alice.commit();
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(proposals_in(out->message), 1u);
  auto at_bob = room.bob.stage_commit(out->message);
  ASSERT_TRUE(at_bob) << at_bob.error().message();
  Group alice = std::move(out->staged).merge();
  EXPECT_TRUE(alice.tree().blank(LeafIndex{2}));
}

TEST(CommitFilter, InvalidByValueProposalsStillFailTheCommit) {
  SeededRng rng(205);
  Room room = three_members(rng);
  auto dup = duplicate_of_bob(room, rng);
  CommitOptions co;
  co.proposals.push_back(Proposal{Add{dup.key_package}});
  auto out = room.alice.commit(std::move(co));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error(), Errc::invalid_commit);
  CommitOptions self_remove;
  self_remove.proposals.push_back(Proposal{Remove{0}});
  EXPECT_FALSE(room.alice.commit(std::move(self_remove)));
  // An invalid cached proposal does not make a valid by-value list fail.
  auto bad = room.bob.propose(Proposal{Add{dup.key_package}});
  ASSERT_TRUE(bad);
  ASSERT_TRUE(room.alice.handle_proposal(*bad));
  auto dave = new_member(suite1(), "dave", rng);
  CommitOptions ok;
  ok.proposals.push_back(Proposal{Add{dave.key_package}});
  auto good = room.alice.commit(std::move(ok));
  ASSERT_TRUE(good) << good.error().message();
  EXPECT_EQ(proposals_in(good->message), 1u);
  ASSERT_TRUE(room.bob.stage_commit(good->message));
}

}  // namespace
}  // namespace conclave::mls
