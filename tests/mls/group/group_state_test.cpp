// Persisting a Group and a KeyPackageBundle between runs (Group::serialize / restore,
// KeyPackageBundle::serialize / restore; mls/group/group_state.h).
#include "mls/group/group_state.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/mls/group/group_harness.h"

namespace conclave::mls {
namespace {

using testing::new_member;
using testing::SeededRng;
using testing::suite1;

Bytes str(std::string_view s) { return Bytes(s.begin(), s.end()); }

bool contains_bytes(const Bytes& hay, ByteView needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

// Three members: alice (leaf 0), bob (leaf 1), carol (leaf 2), all at the same epoch.
struct Trio {
  Group alice;
  Group bob;
  Group carol;
};

Trio three_members(SeededRng& rng, GroupOptions opts = {}) {
  auto m = testing::three_members(rng, "state-group", std::move(opts));
  return Trio{std::move(m.alice), std::move(m.bob), std::move(m.carol)};
}

Group round_trip(const Group& g, Rng& rng) {
  auto bytes = g.serialize();
  EXPECT_TRUE(bytes) << bytes.error().message();
  GroupOptions opts;
  opts.rng = &rng;
  auto back = Group::restore(*bytes, opts);
  EXPECT_TRUE(back) << back.error().message();
  return std::move(*back);
}

void expect_same_epoch(const Group& a, const Group& b) {
  EXPECT_EQ(a.context(), b.context());
  EXPECT_EQ(a.tree().root_hash(), b.tree().root_hash());
  EXPECT_TRUE(std::ranges::equal(a.epoch_authenticator(), b.epoch_authenticator()));
}

TEST(GroupState, RestoredMemberContinuesLikeItsNeverSerializedTwin) {
  SeededRng rng(101);
  auto [alice, bob, carol] = three_members(rng);
  // Some traffic first, so the secret tree holds ratchets and the cache a proposal.
  auto hello = alice.protect(str("hello"));
  ASSERT_TRUE(hello);
  ASSERT_TRUE(bob.unprotect_application(*hello));
  auto upd = carol.propose_update();
  ASSERT_TRUE(upd);
  ASSERT_TRUE(alice.handle_proposal(*upd));
  ASSERT_TRUE(bob.handle_proposal(*upd));

  Group bob2 = round_trip(bob, rng);  // bob keeps running as the twin
  expect_same_epoch(bob, bob2);
  EXPECT_EQ(bob2.own_leaf().value, 1u);
  EXPECT_EQ(bob.serialize().value(), bob2.serialize().value());

  // Alice commits carol's cached Update: twin and restored bob process it alike.
  auto c1 = alice.commit();
  ASSERT_TRUE(c1) << c1.error().message();
  auto s_bob = bob.stage_commit(c1->message);
  auto s_bob2 = bob2.stage_commit(c1->message);
  auto s_carol = carol.stage_commit(c1->message);
  ASSERT_TRUE(s_bob && s_bob2 && s_carol);
  alice = std::move(c1->staged).merge();
  bob = std::move(*s_bob).merge();
  bob2 = std::move(*s_bob2).merge();
  carol = std::move(*s_carol).merge();
  expect_same_epoch(alice, bob2);
  expect_same_epoch(bob, bob2);

  // The restored member commits; the others accept it.
  auto c2 = bob2.commit();
  ASSERT_TRUE(c2) << c2.error().message();
  auto a2 = alice.stage_commit(c2->message);
  auto k2 = carol.stage_commit(c2->message);
  ASSERT_TRUE(a2) << a2.error().message();
  ASSERT_TRUE(k2) << k2.error().message();
  alice = std::move(*a2).merge();
  carol = std::move(*k2).merge();
  bob2 = std::move(c2->staged).merge();
  expect_same_epoch(alice, bob2);
  expect_same_epoch(carol, bob2);

  // Application messages both ways.
  auto m = bob2.protect(str("from restored bob"));
  ASSERT_TRUE(m);
  auto got = alice.unprotect_application(*m);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->data, str("from restored bob"));
  auto r = carol.protect(str("to bob"));
  ASSERT_TRUE(r);
  auto back = bob2.unprotect_application(*r);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->data, str("to bob"));
}

TEST(GroupState, RestoredMemberRejectsAReplayedGeneration) {
  SeededRng rng(102);
  auto [alice, bob, carol] = three_members(rng);
  auto m = alice.protect(str("once"));
  ASSERT_TRUE(m);
  ASSERT_TRUE(bob.unprotect_application(*m));
  Group bob2 = round_trip(bob, rng);
  EXPECT_EQ(bob2.unprotect_application(*m).error(), Errc::generation_too_old);
}

TEST(GroupState, RestoredSenderDoesNotReuseAGeneration) {
  SeededRng rng(103);
  auto [alice, bob, carol] = three_members(rng);
  auto first = bob.protect(str("first"));
  ASSERT_TRUE(first);
  Group bob2 = round_trip(bob, rng);
  auto second = bob2.protect(str("second"));
  ASSERT_TRUE(second);
  // Alice takes generation 0 first; had the restored bob reused it, the second message would
  // be refused as an already consumed generation.
  ASSERT_TRUE(alice.unprotect_application(*first));
  auto got = alice.unprotect_application(*second);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->data, str("second"));
}

TEST(GroupState, OutOfOrderMessageStillDecryptsAfterRestore) {
  SeededRng rng(104);
  auto [alice, bob, carol] = three_members(rng);
  auto m0 = alice.protect(str("zero"));
  auto m1 = alice.protect(str("one"));
  auto m2 = alice.protect(str("two"));
  ASSERT_TRUE(m0 && m1 && m2);
  ASSERT_TRUE(bob.unprotect_application(*m2));  // 0 and 1 are skipped, their keys held
  Group bob2 = round_trip(bob, rng);
  auto late1 = bob2.unprotect_application(*m1);
  ASSERT_TRUE(late1) << late1.error().message();
  EXPECT_EQ(late1->data, str("one"));
  auto late0 = bob2.unprotect_application(*m0);
  ASSERT_TRUE(late0) << late0.error().message();
  EXPECT_EQ(late0->data, str("zero"));
  EXPECT_EQ(bob2.unprotect_application(*m2).error(), Errc::generation_too_old);
  EXPECT_EQ(bob2.unprotect_application(*m1).error(), Errc::generation_too_old);
}

TEST(GroupState, CachedProposalsAndOwnUpdateSurvive) {
  SeededRng rng(105);
  auto [alice, bob, carol] = three_members(rng);
  // Bob's own pending Update: after restore he still holds the private key for it, so a
  // commit by alice that applies it leaves him able to follow the next commit.
  auto upd = bob.propose_update();
  ASSERT_TRUE(upd);
  ASSERT_TRUE(alice.handle_proposal(*upd));
  Group bob2 = round_trip(bob, rng);
  auto c1 = alice.commit();
  ASSERT_TRUE(c1);
  auto s = bob2.stage_commit(c1->message);
  ASSERT_TRUE(s) << s.error().message();
  bob2 = std::move(*s).merge();
  alice = std::move(c1->staged).merge();
  expect_same_epoch(alice, bob2);
  auto c2 = alice.commit();
  ASSERT_TRUE(c2);
  auto s2 = bob2.stage_commit(c2->message);
  ASSERT_TRUE(s2) << s2.error().message();

  // A proposal cached by carol before her restart is still committable by reference.
  SeededRng rng2(106);
  auto [a, b, c] = three_members(rng2);
  auto rm = a.propose(Proposal{Remove{1}});
  ASSERT_TRUE(rm);
  ASSERT_TRUE(c.handle_proposal(*rm));
  Group c2r = round_trip(c, rng2);
  auto commit = c2r.commit();
  ASSERT_TRUE(commit) << commit.error().message();
  auto at_a = a.stage_commit(commit->message);
  ASSERT_TRUE(at_a) << at_a.error().message();
  Group c_next = std::move(commit->staged).merge();
  EXPECT_TRUE(c_next.tree().blank(LeafIndex{1}));
}

TEST(GroupState, PsksAndEncryptHandshakeAreState) {
  SeededRng rng(107);
  GroupOptions opts;
  opts.encrypt_handshake = true;
  auto [alice, bob, carol] = three_members(rng, opts);
  Group bob2 = round_trip(bob, rng);
  auto c = bob2.commit();
  ASSERT_TRUE(c);
  EXPECT_TRUE(std::holds_alternative<PrivateMessage>(c->message.message));
  ASSERT_TRUE(alice.stage_commit(c->message));
}

TEST(GroupState, ExternalAndResumptionPsksSurvive) {
  SeededRng rng(112);
  GroupOptions opts;
  opts.rng = &rng;
  auto a_kp = new_member(suite1(), "alice", rng);
  auto b_kp = new_member(suite1(), "bob", rng);
  auto c_kp = new_member(suite1(), "carol", rng);
  auto alice = Group::create(suite1(), str("psk-group"), a_kp, {}, opts);
  ASSERT_TRUE(alice);
  CommitOptions co;
  co.proposals.push_back(Proposal{Add{b_kp.key_package}});
  co.proposals.push_back(Proposal{Add{c_kp.key_package}});
  auto out = alice->commit(std::move(co));
  ASSERT_TRUE(out);
  auto psks = [] {
    PskStore s;
    s.emplace(str("ext-psk"), Secret(Bytes(32, 7)));
    return s;
  };
  auto bob = Group::join(suite1(), *out->welcome, b_kp.key_package, b_kp.clone().secrets,
                         std::nullopt, psks(), opts);
  auto carol = Group::join(suite1(), *out->welcome, c_kp.key_package, c_kp.clone().secrets,
                           std::nullopt, psks(), opts);
  ASSERT_TRUE(bob && carol);
  // One more epoch, so the resumption PSK of epoch 1 is an older one.
  auto c1 = carol->commit();
  ASSERT_TRUE(c1);
  auto at_bob = bob->stage_commit(c1->message);
  ASSERT_TRUE(at_bob);
  Group bob1 = std::move(*at_bob).merge();
  Group carol1 = std::move(c1->staged).merge();

  Group bob2 = round_trip(bob1, rng);
  CommitOptions with_psks;
  with_psks.proposals.push_back(
      Proposal{PreSharedKey{PreSharedKeyID{ExternalPskId{str("ext-psk")}, Bytes(32, 1)}}});
  with_psks.proposals.push_back(Proposal{PreSharedKey{PreSharedKeyID{
      ResumptionPskId{ResumptionPskUsage::application, str("psk-group"), 1}, Bytes(32, 2)}}});
  auto c2 = bob2.commit(std::move(with_psks));
  ASSERT_TRUE(c2) << c2.error().message();
  auto at_carol = carol1.stage_commit(c2->message);
  ASSERT_TRUE(at_carol) << at_carol.error().message();
  Group carol2 = std::move(*at_carol).merge();
  Group bob3 = std::move(c2->staged).merge();
  expect_same_epoch(bob3, carol2);
}

TEST(GroupState, SerializedBytesHoldNoPlaintext) {
  SeededRng rng(108);
  auto [alice, bob, carol] = three_members(rng);
  const Bytes secret_text = str("attack at dawn, the password is swordfish");
  auto m = alice.protect(secret_text);
  ASSERT_TRUE(m);
  auto got = bob.unprotect_application(*m);
  ASSERT_TRUE(got);
  auto out = bob.protect(secret_text);
  ASSERT_TRUE(out);
  auto bytes = bob.serialize();
  ASSERT_TRUE(bytes);
  EXPECT_FALSE(contains_bytes(*bytes, secret_text));
  EXPECT_FALSE(contains_bytes(*bytes, ByteView(secret_text).first(8)));
}

TEST(GroupState, TruncatedStatesAreRefused) {
  SeededRng rng(109);
  auto [alice, bob, carol] = three_members(rng);
  ASSERT_TRUE(alice.unprotect_application(*bob.protect(str("x"))));
  const Bytes bytes = alice.serialize().value();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = Group::restore(ByteView(bytes).first(n));
    ASSERT_FALSE(r) << "prefix of " << n << " bytes restored";
  }
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(Group::restore(longer));
  EXPECT_TRUE(Group::restore(bytes));
}

TEST(GroupState, GarbledStatesAreRefused) {
  SeededRng rng(110);
  auto [alice, bob, carol] = three_members(rng);
  ASSERT_TRUE(alice.unprotect_application(*bob.protect(str("x"))));
  const Bytes bytes = alice.serialize().value();
  // Every byte flipped, checksum left as is: storage corruption.
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    Bytes bad = bytes;
    bad[i] ^= 0x01;
    ASSERT_FALSE(Group::restore(bad)) << "flip at " << i << " restored";
  }
  // Wrong magic / version with a recomputed checksum.
  for (std::size_t i : {std::size_t{0}, std::size_t{4}}) {
    Bytes bad = bytes;
    bad[i] ^= 0x01;
    const Bytes sum = state_checksum(ByteView(bad).first(bad.size() - kStateChecksumSize));
    std::copy(sum.begin(), sum.end(), bad.end() - static_cast<std::ptrdiff_t>(kStateChecksumSize));
    EXPECT_EQ(Group::restore(bad).error(), Errc::invalid_value);
  }
  // A KeyPackageBundle state is not a group state.
  auto kp = new_member(suite1(), "dave", rng);
  EXPECT_FALSE(Group::restore(kp.serialize().value()));
}

// Edits that keep the checksum valid (what a buggy writer or a different version might
// produce) reach the field checks: each must be refused, none may crash.
TEST(GroupState, InconsistentFieldsAreRefused) {
  SeededRng rng(111);
  auto [alice, bob, carol] = three_members(rng);
  ASSERT_TRUE(bob.unprotect_application(*alice.protect(str("x"))));
  auto good = bob.serialize();
  ASSERT_TRUE(good);
  auto reencode = [](const GroupStateBody& body) {
    Writer w;
    w.write_raw(kGroupStateMagic);
    w.write_uint(kStateFormatVersion);
    write(w, body);
    Bytes out = w.take();
    const Bytes sum = state_checksum(out);
    out.insert(out.end(), sum.begin(), sum.end());
    return out;
  };
  auto body_of = [&]() {
    const ByteView v(*good);
    return decode<GroupStateBody>(v.subspan(5, v.size() - 5 - kStateChecksumSize)).value();
  };
  ASSERT_TRUE(Group::restore(reencode(body_of())));  // the re-encoding itself is fine

  auto refused = [&](auto&& edit) {
    GroupStateBody b = body_of();
    edit(b);
    return !Group::restore(reencode(b));
  };
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.context.cipher_suite = 0x7777; }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.context.epoch += 1; }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.context.tree_hash.back() ^= 1; }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.tree.pop_back(); }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.interim_transcript_hash.back() ^= 1; }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.confirmation_tag.back() ^= 1; }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.tree_private.own_leaf = 0; }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.tree_private.own_leaf = 9; }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.tree_private.leaf_private_key = Secret(); }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.epoch_secrets.init_secret = Secret(3); }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.epoch_secrets.confirmation_key = Secret(32); }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.signature_private_key = Secret(32); }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.secret_tree.leaves = 8; }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.secret_tree.nodes.push_back({6, Secret(32)}); }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.secret_tree.nodes.push_back({99, Secret(32)}); }));
  EXPECT_TRUE(refused([](GroupStateBody& b) { b.secret_tree.nodes.clear(); }));
  EXPECT_TRUE(refused([](GroupStateBody& b) {
    ASSERT_FALSE(b.secret_tree.leaves_used.empty());
    b.secret_tree.leaves_used[0].application.secret = Secret(5);
  }));
  EXPECT_TRUE(refused([](GroupStateBody& b) {
    auto& app = b.secret_tree.leaves_used[0].application;
    app.held.push_back({app.next_generation, Secret(16), Secret(12)});
  }));
  EXPECT_TRUE(refused([](GroupStateBody& b) {
    auto& app = b.secret_tree.leaves_used[0].application;
    app.exhausted = true;
  }));
  EXPECT_TRUE(refused([](GroupStateBody& b) {
    b.own_updates.push_back({Bytes(32, 1), Secret(32)});
  }));
  EXPECT_TRUE(refused([](GroupStateBody& b) {
    b.proposals.push_back({Bytes(3, 1), Proposal{Remove{0}}, Sender{}});
  }));
  EXPECT_TRUE(refused([](GroupStateBody& b) {
    b.resumption_psks.push_back({b.context.epoch + 1, Secret(32)});
  }));
  EXPECT_TRUE(refused([](GroupStateBody& b) {
    b.resumption_psks.push_back({b.context.epoch, Secret(32)});
  }));
  EXPECT_TRUE(refused([](GroupStateBody& b) {
    b.psks.push_back({str("p"), Secret(4)});
    b.psks.push_back({str("p"), Secret(4)});
  }));
}

TEST(KeyPackageBundleState, RoundTripThenJoin) {
  SeededRng rng(120);
  auto a_kp = new_member(suite1(), "alice", rng);
  auto b_kp = new_member(suite1(), "bob", rng);
  auto bytes = b_kp.serialize();
  ASSERT_TRUE(bytes);
  auto restored = KeyPackageBundle::restore(*bytes);
  ASSERT_TRUE(restored) << restored.error().message();
  EXPECT_EQ(encode(restored->key_package), encode(b_kp.key_package));

  GroupOptions opts;
  opts.rng = &rng;
  auto alice = Group::create(suite1(), str("g"), a_kp, {}, opts);
  ASSERT_TRUE(alice);
  CommitOptions co;
  co.proposals.push_back(Proposal{Add{restored->key_package}});
  auto out = alice->commit(std::move(co));
  ASSERT_TRUE(out);
  auto bob = Group::join(suite1(), *out->welcome, restored->key_package,
                         std::move(restored->secrets), std::nullopt, {}, opts);
  ASSERT_TRUE(bob) << bob.error().message();
  Group a1 = std::move(out->staged).merge();
  expect_same_epoch(a1, *bob);
}

TEST(KeyPackageBundleState, GarbageAndMismatchedKeysAreRefused) {
  SeededRng rng(121);
  auto kp = new_member(suite1(), "bob", rng);
  const Bytes bytes = kp.serialize().value();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    ASSERT_FALSE(KeyPackageBundle::restore(ByteView(bytes).first(n))) << n;
  }
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    Bytes bad = bytes;
    bad[i] ^= 0x80;
    ASSERT_FALSE(KeyPackageBundle::restore(bad)) << i;
  }
  // Consistent encoding, wrong key: the init key of another KeyPackage.
  auto other = new_member(suite1(), "eve", rng);
  KeyPackageBundle mixed = kp.clone();
  mixed.secrets.init_private_key = other.secrets.init_private_key.clone();
  EXPECT_EQ(KeyPackageBundle::restore(mixed.serialize().value()).error(), Errc::invalid_key);
  mixed = kp.clone();
  mixed.secrets.signature_private_key = other.secrets.signature_private_key.clone();
  EXPECT_EQ(KeyPackageBundle::restore(mixed.serialize().value()).error(), Errc::invalid_key);
  // A group state is not a bundle.
  GroupOptions opts;
  opts.rng = &rng;
  auto g = Group::create(suite1(), str("g"), kp, {}, opts);
  ASSERT_TRUE(g);
  EXPECT_FALSE(KeyPackageBundle::restore(g->serialize().value()));
}

}  // namespace
}  // namespace conclave::mls
