// Group creation, own proposals and commits, Welcome, application messages (mls/group/group.h).
#include <gtest/gtest.h>

#include "tests/mls/group/group_harness.h"

namespace conclave::mls {
namespace {

using testing::new_member;
using testing::SeededRng;
using testing::suite1;

Bytes str(std::string_view s) { return Bytes(s.begin(), s.end()); }

Proposal add_of(const KeyPackageBundle& b) { return Proposal{Add{b.key_package}}; }

struct Pair {
  Group alice;
  Group bob;
};

Pair two_members(SeededRng& rng, GroupOptions opts = {}) {
  opts.rng = &rng;
  auto a_kp = new_member(suite1(), "alice", rng);
  auto b_kp = new_member(suite1(), "bob", rng);
  auto alice = Group::create(suite1(), str("group"), a_kp, {}, opts);
  EXPECT_TRUE(alice);
  CommitOptions co;
  co.proposals.push_back(add_of(b_kp));
  auto out = alice->commit(std::move(co));
  EXPECT_TRUE(out) << out.error().message();
  EXPECT_TRUE(out->welcome);
  auto bob = Group::join(suite1(), *out->welcome, b_kp.key_package, b_kp.clone().secrets,
                         std::nullopt, {}, opts);
  EXPECT_TRUE(bob) << bob.error().message();
  Group a2 = std::move(out->staged).merge();
  return Pair{std::move(a2), std::move(*bob)};
}

TEST(GroupCreate, OneMemberGroupAtEpochZero) {
  SeededRng rng(1);
  auto kp = new_member(suite1(), "alice", rng);
  auto g = Group::create(suite1(), str("g"), kp);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->epoch(), 0u);
  EXPECT_EQ(g->tree().leaf_count().value(), 1u);
  EXPECT_TRUE(g->context().confirmed_transcript_hash.empty());
  auto gi = g->group_info();
  ASSERT_TRUE(gi);
  auto pub = PublicGroup::from_group_info(suite1(), *gi, std::nullopt);
  ASSERT_TRUE(pub) << pub.error().message();
  EXPECT_EQ(pub->tree_hash(), g->context().tree_hash);
}

TEST(GroupCreate, RejectsMismatchedSignatureKey) {
  SeededRng rng(2);
  auto a = new_member(suite1(), "alice", rng);
  auto b = new_member(suite1(), "bob", rng);
  a.secrets.signature_private_key = b.secrets.signature_private_key.clone();
  EXPECT_EQ(Group::create(suite1(), str("g"), a).error(), Errc::invalid_key);
}

TEST(GroupCommit, AddWelcomeJoinAgree) {
  SeededRng rng(3);
  auto [alice, bob] = two_members(rng);
  EXPECT_EQ(alice.epoch(), 1u);
  EXPECT_EQ(bob.epoch(), 1u);
  EXPECT_EQ(alice.context(), bob.context());
  EXPECT_TRUE(std::ranges::equal(alice.epoch_authenticator(), bob.epoch_authenticator()));
  EXPECT_EQ(bob.own_leaf().value, 1u);
}

TEST(GroupCommit, ApplicationMessagesBothWays) {
  SeededRng rng(4);
  auto [alice, bob] = two_members(rng);
  auto m = alice.protect(str("hello"), str("aad"));
  ASSERT_TRUE(m);
  auto got = bob.unprotect_application(*m);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->data, str("hello"));
  EXPECT_EQ(got->authenticated_data, str("aad"));
  EXPECT_EQ(got->sender.value, 0u);
  // replay fails
  EXPECT_FALSE(bob.unprotect_application(*m));
  auto r = bob.protect(str("hi"));
  ASSERT_TRUE(r);
  auto back = alice.unprotect_application(*r);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->data, str("hi"));
}

TEST(GroupCommit, GarbledCiphertextDoesNotBurnTheGeneration) {
  SeededRng rng(5);
  auto [alice, bob] = two_members(rng);
  auto m = alice.protect(str("secret text"));
  ASSERT_TRUE(m);
  MlsMessage bad = *m;
  auto& pm = std::get<PrivateMessage>(bad.message);
  pm.ciphertext.back() ^= 1;  // the tag fails; sender data (sample unchanged) still decrypts
  EXPECT_EQ(bob.unprotect_application(bad).error(), Errc::decryption_failed);
  auto got = bob.unprotect_application(*m);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->data, str("secret text"));
}

TEST(GroupCommit, ReceiverProcessesCommitAndExporterAgrees) {
  SeededRng rng(6);
  auto [alice, bob] = two_members(rng);
  auto out = bob.commit();
  ASSERT_TRUE(out) << out.error().message();
  auto staged = alice.stage_commit(out->message);
  ASSERT_TRUE(staged) << staged.error().message();
  alice = std::move(*staged).merge();
  bob = std::move(out->staged).merge();
  EXPECT_EQ(alice.epoch(), 2u);
  EXPECT_EQ(alice.context(), bob.context());
  auto ea = alice.exporter("label", str("ctx"), 32);
  auto eb = bob.exporter("label", str("ctx"), 32);
  ASSERT_TRUE(ea && eb);
  EXPECT_TRUE(std::ranges::equal(ea->view(), eb->view()));
}

TEST(GroupCommit, UpdateProposalByReference) {
  SeededRng rng(7);
  auto [alice, bob] = two_members(rng);
  auto prop = bob.propose_update();
  ASSERT_TRUE(prop) << prop.error().message();
  ASSERT_TRUE(alice.handle_proposal(*prop));
  auto out = alice.commit();
  ASSERT_TRUE(out) << out.error().message();
  auto staged = bob.stage_commit(out->message);
  ASSERT_TRUE(staged) << staged.error().message();
  bob = std::move(*staged).merge();
  alice = std::move(out->staged).merge();
  EXPECT_EQ(alice.context(), bob.context());
  EXPECT_TRUE(std::ranges::equal(alice.epoch_authenticator(), bob.epoch_authenticator()));
  // Bob's new leaf key must work: a commit by Alice encrypts to it.
  auto out2 = alice.commit();
  ASSERT_TRUE(out2);
  auto staged2 = bob.stage_commit(out2->message);
  ASSERT_TRUE(staged2) << staged2.error().message();
}

TEST(GroupCommit, EncryptedHandshakeAndRemove) {
  SeededRng rng(8);
  GroupOptions opts;
  opts.encrypt_handshake = true;
  auto [alice, bob] = two_members(rng, opts);
  auto prop = alice.propose(Proposal{Remove{1}});
  ASSERT_TRUE(prop) << prop.error().message();
  EXPECT_TRUE(std::holds_alternative<PrivateMessage>(prop->message));
  ASSERT_TRUE(bob.handle_proposal(*prop));
  auto out = alice.commit();
  ASSERT_TRUE(out) << out.error().message();
  auto staged = bob.stage_commit(out->message);
  ASSERT_TRUE(staged) << staged.error().message();
  EXPECT_TRUE(staged->removes_self());
  alice = std::move(out->staged).merge();
  EXPECT_EQ(alice.tree().leaf_count().value(), 1u);
  auto m = alice.protect(str("after"));
  ASSERT_TRUE(m);
  EXPECT_FALSE(bob.unprotect_application(*m));  // bob is still in the old epoch
}

TEST(GroupCommit, CommitWithoutPathWhenNotRequired) {
  SeededRng rng(9);
  auto [alice, bob] = two_members(rng);
  auto carol = new_member(suite1(), "carol", rng);
  CommitOptions co;
  co.force_path = false;
  co.proposals.push_back(add_of(carol));
  auto out = alice.commit(std::move(co));
  ASSERT_TRUE(out) << out.error().message();
  const auto& pm = std::get<PublicMessage>(out->message.message);
  EXPECT_FALSE(std::get<Commit>(pm.content.content.value).path);
  auto staged = bob.stage_commit(out->message);
  ASSERT_TRUE(staged) << staged.error().message();
  auto c =
      Group::join(suite1(), *out->welcome, carol.key_package, carol.clone().secrets, std::nullopt);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->context(), staged->context());
}

TEST(GroupCommit, WelcomeWithoutTreeNeedsTheTree) {
  SeededRng rng(10);
  auto [alice, bob] = two_members(rng);
  auto carol = new_member(suite1(), "carol", rng);
  CommitOptions co;
  co.ratchet_tree_in_welcome = false;
  co.proposals.push_back(add_of(carol));
  auto out = alice.commit(std::move(co));
  ASSERT_TRUE(out);
  EXPECT_FALSE(
      Group::join(suite1(), *out->welcome, carol.key_package, carol.clone().secrets, std::nullopt));
  Group next = std::move(out->staged).merge();
  auto c = Group::join(suite1(), *out->welcome, carol.key_package, carol.clone().secrets,
                       next.tree().to_nodes());
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->context(), next.context());
}

}  // namespace
}  // namespace conclave::mls

namespace conclave::mls {
namespace {

Bytes hex(std::string_view h) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// RFC 9180 Appendix A.1.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM), base mode:
// the receiver's exported values.
TEST(HpkeExport, Rfc9180AppendixA11ExportedValues) {
  const Bytes sk = hex("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8");
  const Bytes enc = hex("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
  const Bytes info = hex("4f6465206f6e2061204772656369616e2055726e");
  const struct {
    const char* ctx;
    const char* value;
  } cases[] = {
      {"", "3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee"},
      {"00", "2e8f0b54673c7029649d4eb9d5e33bf1872cf76d623ff164ac185da9e88c21a5"},
      {"54657374436f6e74657874",
       "e9e43065102c3836401bed8c3c3c75ae46be1639869391d62c61f1ec7af54931"},
  };
  for (const auto& c : cases) {
    auto got = suite1().hpke_export_receiver(sk, enc, info, hex(c.ctx), 32);
    ASSERT_TRUE(got);
    EXPECT_EQ(to_bytes(got->view()), hex(c.value)) << c.ctx;
  }
  // The sender side with the vector's ephemeral ikmE yields the same enc and value.
  struct FixedRng : Rng {
    Bytes bytes;
    void fill(std::span<std::uint8_t> out) override {
      std::copy_n(bytes.begin(), out.size(), out.begin());
    }
  } fixed;
  fixed.bytes = hex("7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234");
  const Bytes pk = hex("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d");
  auto sent = suite1().hpke_export_sender(pk, info, {}, 32, fixed);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->first, enc);
  EXPECT_EQ(to_bytes(sent->second.view()), hex(cases[0].value));
  EXPECT_FALSE(suite1().hpke_export_receiver(sk, enc, info, {}, 255 * 32 + 1));
}

TEST(ExternalCommit, JoinAcceptedByMembersAndPublicGroup) {
  SeededRng rng(20);
  auto [alice, bob] = two_members(rng);
  auto gi = alice.group_info(true);
  ASSERT_TRUE(gi);
  auto ds = PublicGroup::from_group_info(suite1(), *gi, std::nullopt);
  ASSERT_TRUE(ds);
  auto carol_kp = new_member(suite1(), "carol", rng);
  auto ext = Group::join_external(suite1(), *gi, std::nullopt, carol_kp);
  ASSERT_TRUE(ext) << ext.error().message();
  auto staged_ds = ds->stage_commit(ext->first);
  ASSERT_TRUE(staged_ds) << staged_ds.error().message();
  auto sa = alice.stage_commit(ext->first);
  ASSERT_TRUE(sa) << sa.error().message();
  auto sb = bob.stage_commit(ext->first);
  ASSERT_TRUE(sb) << sb.error().message();
  Group carol = std::move(ext->second).merge();
  alice = std::move(*sa).merge();
  bob = std::move(*sb).merge();
  EXPECT_EQ(carol.context(), alice.context());
  EXPECT_EQ(carol.context(), bob.context());
  EXPECT_EQ(staged_ds->report().tree_hash, carol.context().tree_hash);
  EXPECT_TRUE(std::ranges::equal(carol.epoch_authenticator(), alice.epoch_authenticator()));
  auto m = carol.protect(str("hi from carol"));
  ASSERT_TRUE(m);
  EXPECT_TRUE(alice.unprotect_application(*m));
  // A second joiner against the new epoch is accepted too.
  auto gi2 = alice.group_info(true);
  auto dave_kp = new_member(suite1(), "dave", rng);
  auto ext2 = Group::join_external(suite1(), *gi2, std::nullopt, dave_kp);
  ASSERT_TRUE(ext2);
  EXPECT_TRUE(bob.stage_commit(ext2->first));
}

TEST(ExternalCommit, ResyncRemovesTheOldLeaf) {
  SeededRng rng(21);
  auto [alice, bob] = two_members(rng);
  auto gi = alice.group_info(false);
  ASSERT_TRUE(gi);
  auto bob_again = new_member(suite1(), "bob", rng);
  auto ext =
      Group::join_external(suite1(), *gi, alice.tree().to_nodes(), bob_again, bob.own_leaf());
  ASSERT_TRUE(ext) << ext.error().message();
  auto sa = alice.stage_commit(ext->first);
  ASSERT_TRUE(sa) << sa.error().message();
  auto sb = bob.stage_commit(ext->first);
  ASSERT_TRUE(sb) << sb.error().message();
  EXPECT_TRUE(sb->removes_self());
  alice = std::move(*sa).merge();
  Group bob2 = std::move(ext->second).merge();
  EXPECT_EQ(alice.context(), bob2.context());
  EXPECT_EQ(alice.tree().non_blank_leaves().size(), 2u);
  EXPECT_EQ(bob2.own_leaf().value, 1u);  // the freed leaf is reused
}

TEST(ExternalCommit, RequiresExternalPub) {
  SeededRng rng(22);
  auto [alice, bob] = two_members(rng);
  auto gi = alice.group_info(true);
  ASSERT_TRUE(gi);
  std::erase_if(gi->extensions, [](const Extension& e) { return e.extension_type == 4; });
  auto kp = new_member(suite1(), "carol", rng);
  EXPECT_EQ(Group::join_external(suite1(), *gi, std::nullopt, kp).error(), Errc::invalid_value);
}

}  // namespace
}  // namespace conclave::mls
