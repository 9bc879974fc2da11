// A room's group (docs/protocol.md §5-§7): create (CR-*), commits (CM-*), fan-out, Welcomes
// after durability, service Remove proposals, catch-up, and reload from the store.
#include <gtest/gtest.h>

#include "component/ds/commit_check.h"
#include "ds_fixture.h"
#include "mls/crypto/commit_chain.h"

namespace conclave::component::testing {
namespace {

using Stanzas = std::vector<xmpp::Element>;

const xmpp::Element* find_child(const Stanzas& all, const std::string& name,
                                const std::string& to = "") {
  for (const auto& s : all) {
    if (!to.empty() && s.attr_or("to") != to) continue;
    if (const auto* c = s.child(name, "urn:xmpp:mls:0")) return c;
  }
  return nullptr;
}

std::size_t count_child(const Stanzas& all, const std::string& name) {
  std::size_t n = 0;
  for (const auto& s : all) n += s.child(name, "urn:xmpp:mls:0") != nullptr ? 1 : 0;
  return n;
}

class GroupTest : public DsTest {
 protected:
  xmpp::Element commit(const std::string& from, const mls::CommitOutput& c) {
    return iq(from, room("r"), "set", commit_xml(c));
  }
  // send_commit: everything the service sent for the commit IQ (id 'q'), the reply included.
  Stanzas send_commit(const std::string& from, const mls::CommitOutput& c) {
    send("<iq type='set' id='q' from='" + from + "' to='" + room("r") + "'>" + commit_xml(c) +
         "</iq>");
    return take();
  }
  static const xmpp::Element* reply_in(const Stanzas& all) {
    for (const auto& s : all) {
      if (s.name() == "iq" && s.attr_or("id") == "q") return &s;
    }
    return nullptr;
  }
  std::string accepted_epoch(const xmpp::Element& r) {
    const auto* a = r.child("accepted", "urn:xmpp:mls:0");
    return a == nullptr ? "error:" + error_condition(r) : std::string(a->attr_or("epoch"));
  }
};

// --- create ---------------------------------------------------------------------------------

TEST_F(GroupTest, OwnerCreatesTheGroupAndDiscoShowsTheEpoch) {
  create("r");
  mls::Group g = new_group("alice@example.org");
  auto r = create_iq(kAlice, g);
  EXPECT_EQ(accepted_epoch(r), "0");
  EXPECT_EQ(stored_epoch(), 0u);
  auto info =
      iq(kAlice, room("r"), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  const std::string xml = xmpp::to_string(info);
  EXPECT_NE(xml.find("urn:xmpp:mls:0"), std::string::npos);
  EXPECT_NE(xml.find("{urn:xmpp:mls:0}epoch"), std::string::npos);
}

TEST_F(GroupTest, CreateByAParticipantIsForbidden) {
  create("r");
  join(kBob, room("r") + "/Bob");
  auto r = create_iq(kBob, new_group("bob@example.org"));
  EXPECT_EQ(error_condition(r), "forbidden");
  EXPECT_EQ(stored_epoch(), ~std::uint64_t{0});
}

TEST_F(GroupTest, CreateForSomeoneElseIsForbidden) {
  create("r");
  auto r = create_iq(kAlice, new_group("mallory@example.org"));
  EXPECT_EQ(error_condition(r), "forbidden");
  EXPECT_EQ(stored_epoch(), ~std::uint64_t{0});
}

TEST_F(GroupTest, CreateWithoutTheServiceAsExternalSenderIsRefused) {
  create("r");
  auto r = create_iq(kAlice, new_group("alice@example.org", "g1", false));
  EXPECT_EQ(error_condition(r), "bad-request");
  EXPECT_NE(mls_error(r, "invalid-commit"), "");
  EXPECT_EQ(stored_epoch(), ~std::uint64_t{0});
}

TEST_F(GroupTest, CreateWithAForgedGroupInfoSignatureIsRefused) {
  create("r");
  mls::Group g = new_group("alice@example.org");
  auto gi = g.group_info(false);
  gi->signature[3] ^= 1;
  auto r =
      iq(kAlice, room("r"), "set",
         "<create xmlns='urn:xmpp:mls:0'><group-info>" + b64_message(*gi) +
             "</group-info><ratchet-tree>" + b64(g.tree().encode()) + "</ratchet-tree></create>");
  EXPECT_EQ(error_condition(r), "bad-request");
  EXPECT_EQ(stored_epoch(), ~std::uint64_t{0});
}

TEST_F(GroupTest, SecondCreateIsConflict) {
  room_with_group();
  auto r = create_iq(kAlice, new_group("alice@example.org", "g2"));
  EXPECT_EQ(error_condition(r), "conflict");
  EXPECT_EQ(stored_epoch(), 0u);
}

// --- commits --------------------------------------------------------------------------------

TEST_F(GroupTest, CommitIsAcceptedFannedOutArchivedAndWelcomed) {
  mls::Group g = room_with_group();
  join(kBob, room("r") + "/Bob");
  auto bob = bundle("bob@example.org");
  auto c = commit_adding(g, {bob.key_package});
  send("<iq type='set' id='q' from='" + std::string(kAlice) + "' to='" + room("r") + "'>" +
       commit_xml(c) + "</iq>");
  Stanzas sent = take();
  // Fan-out to both occupants, the result, then the Welcome to bob's bare JID.
  const auto* to_bob = find_child(sent, "commit", kBob);
  ASSERT_NE(to_bob, nullptr);
  EXPECT_EQ(to_bob->attr_or("epoch"), "0");
  EXPECT_NE(find_child(sent, "commit", kAlice), nullptr);
  const auto* w = find_child(sent, "welcome", "bob@example.org");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->attr_or("epoch"), "1");
  std::size_t result_at = 0, welcome_at = 0;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    if (sent[i].name() == "iq" && sent[i].attr_or("type") == "result") result_at = i;
    if (sent[i].child("welcome", "urn:xmpp:mls:0") != nullptr) welcome_at = i;
  }
  EXPECT_LT(result_at, welcome_at);
  EXPECT_EQ(stored_epoch(), 1u);
  ASSERT_EQ(archive.rows.size(), 1u);  // the commit is in the room's MAM archive
  EXPECT_NE(archive.rows[0].stanza.find("<commit"), std::string::npos);
  EXPECT_TRUE(mls_store.unsent_welcomes(10)->empty());  // marked sent
  EXPECT_EQ(ds->epoch_of(room("r")), 1u);
  // The joiner can use the Welcome.
  auto welcome = mls::decode<mls::MlsMessage>(*base64_decode(w->text()));
  ASSERT_TRUE(welcome.has_value());
  auto joined = mls::Group::join(suite1(), std::get<mls::Welcome>(welcome->message),
                                 bob.key_package, std::move(bob.secrets), std::nullopt);
  EXPECT_TRUE(joined.has_value());
}

TEST_F(GroupTest, WelcomeOnlyAfterTheCommitIsDurable) {
  mls::Group g = room_with_group();
  auto c = commit_adding(g, {bundle("bob@example.org").key_package});
  runner.hold = true;
  send("<iq type='set' id='q' from='" + std::string(kAlice) + "' to='" + room("r") + "'>" +
       commit_xml(c) + "</iq>");
  EXPECT_EQ(count_child(take(), "welcome"), 0u);  // accept_commit has not run yet
  EXPECT_EQ(stored_epoch(), 0u);
  runner.release();
  runner.release();  // the outbox read and the mark-sent step
  EXPECT_EQ(stored_epoch(), 1u);
  EXPECT_EQ(count_child(take(), "welcome"), 1u);
}

TEST_F(GroupTest, ArchiveRowIsWrittenInTheAcceptTransactionAndTheAnswerFollowsIt) {
  mls::Group g = room_with_group();
  auto c = commit_adding(g, {});  // no Welcome: nothing else runs after the answer
  runner.hold = true;
  send("<iq type='set' id='q' from='" + std::string(kAlice) + "' to='" + room("r") + "'>" +
       commit_xml(c) + "</iq>");
  ASSERT_EQ(runner.held.size(), 1u);  // the accept transaction, nothing else
  auto accept = std::move(runner.held.front());
  runner.held.clear();
  accept.first();  // the transaction: epoch, commit log and archive row together
  EXPECT_EQ(stored_epoch(), 1u);
  ASSERT_EQ(archive.rows.size(), 1u);
  EXPECT_NE(archive.rows[0].stanza.find("<commit"), std::string::npos);
  EXPECT_TRUE(take().empty());  // not answered before the transaction is back
  accept.second();
  Stanzas sent = take();
  const xmpp::Element* answer = nullptr;
  std::string fanout_sid;
  for (const auto& s : sent) {
    if (s.name() == "iq" && s.attr_or("type") == "result") answer = &s;
    if (const auto* id = s.child("stanza-id", "urn:xmpp:sid:0")) fanout_sid = id->attr_or("id");
  }
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(accepted_epoch(*answer), "1");
  EXPECT_EQ(fanout_sid, archive.rows[0].stanza_id);  // the MAM id occupants were given
  EXPECT_NE(archive.rows[0].stanza.find(fanout_sid), std::string::npos);
  // No second transaction for the archive; one, after the sends, confirms the fan-out.
  ASSERT_EQ(runner.held.size(), 1u);
  EXPECT_EQ(mls_store.unsent_fanouts(10)->size(), 1u);
  runner.held.front().first();
  EXPECT_TRUE(mls_store.unsent_fanouts(10)->empty());
  runner.held.clear();
  // A re-send gets the original answer and no second archive row.
  runner.hold = false;
  EXPECT_EQ(accepted_epoch(commit(kAlice, c)), "1");
  EXPECT_EQ(archive.rows.size(), 1u);
}

TEST_F(GroupTest, FailedArchiveWriteUndoesTheCommit) {
  mls::Group g = room_with_group();
  join(kBob, room("r") + "/Bob");
  auto c = commit_adding(g, {bundle("carol@example.org").key_package});
  take();
  archive.fail_next = true;  // inside the accept transaction
  Stanzas sent = send_commit(kAlice, c);
  ASSERT_NE(reply_in(sent), nullptr);
  EXPECT_EQ(error_condition(*reply_in(sent)), "internal-server-error");
  EXPECT_EQ(count_child(sent, "commit"), 0u);  // no fan-out
  EXPECT_EQ(stored_epoch(), 0u);
  EXPECT_EQ(ds->epoch_of(room("r")), 0u);
  EXPECT_TRUE(archive.rows.empty());
  EXPECT_TRUE(mls_store.unsent_welcomes(10)->empty());
  EXPECT_TRUE(mls_store.commits_since(room_jid(room("r")), Epoch(0), 10)->commits.empty());
  EXPECT_EQ(accepted_epoch(commit(kAlice, c)), "1");  // the same commit, retried
  EXPECT_EQ(archive.rows.size(), 1u);
}

TEST_F(GroupTest, CommitLosingTheRaceInTheStoreIsNotArchived) {
  mls::Group g = room_with_group();
  auto c = commit_adding(g, {});
  // Another instance moves the group to epoch 1 behind this service's cached view.
  MlsCommitRecord other;
  other.commit_hash = {1, 2, 3};
  other.mls_message = {4};
  other.sender_jid = "alice@example.org";
  other.prev_chain_hash = mls::commit_chain_genesis(**mls::CipherSuite::get(1));
  other.chain_hash = {5};
  ASSERT_EQ(mls_store.accept_commit(room_jid(room("r")), Epoch(0), other, {}, 1)->outcome,
            CommitOutcome::accepted);
  take();
  Stanzas sent = send_commit(kAlice, c);
  const xmpp::Element* r = reply_in(sent);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(error_condition(*r), "conflict");
  const auto* e = r->child("error", xmpp::ns::kComponent)->child("wrong-epoch", "urn:xmpp:mls:0");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->attr_or("current"), "1");
  EXPECT_TRUE(archive.rows.empty());
  EXPECT_EQ(count_child(sent, "commit"), 0u);  // no fan-out
}

// docs/cluster.md §6: an accepted commit's fan-out is confirmed by deleting its outbox row once
// sent; one that no instance confirmed (it died between its COMMIT and its sends) is re-sent,
// from the committed rows, with the archived ids, to every member's bare JID.
TEST_F(GroupTest, AFanOutNobodyConfirmedIsReSentToEveryMember) {
  mls::Group g = room_with_group();
  ASSERT_EQ(
      accepted_epoch(commit(kAlice, commit_adding(g, {bundle("bob@example.org").key_package}))),
      "1");
  EXPECT_TRUE(mls_store.unsent_fanouts(10)->empty());  // sent, so confirmed

  // Another instance accepted epoch 1's commit and died before its sends.
  auto before = mls_store.load_group(room_jid(room("r")));
  ASSERT_TRUE(before && *before);
  MlsCommitRecord orphan;
  orphan.commit_hash = mls::Bytes(32, 0xab);
  orphan.mls_message = {1, 2, 3};
  orphan.sender_jid = "alice@example.org";
  orphan.group_info = (*before)->group_info;
  orphan.tree_hash = (*before)->tree_hash;
  orphan.group_context = (*before)->group_context;
  orphan.interim_transcript_hash = (*before)->interim_transcript_hash;
  orphan.prev_chain_hash = (*before)->chain_hash;
  orphan.chain_hash = mls::Bytes(32, 0xcd);
  ArchivedMessage& a = orphan.archived.emplace();
  a.room = room_jid(room("r"));
  a.stanza_id = "orphan-sid";
  a.stanza = "<message/>";
  ASSERT_EQ(
      mls_store.accept_commit(room_jid(room("r")), Epoch(1), orphan, {}, (*before)->leaf_count)
          ->outcome,
      CommitOutcome::accepted);
  ASSERT_EQ(mls_store.unsent_fanouts(10)->size(), 1u);
  take();

  ds->deliver_fanouts();  // as the next active instance does when it comes online
  Stanzas sent = take();
  for (const char* member : {"alice@example.org", "bob@example.org"}) {
    const xmpp::Element* m = nullptr;
    for (const auto& s : sent) {
      if (s.attr_or("to") == member && s.child("commit", "urn:xmpp:mls:0") != nullptr) m = &s;
    }
    ASSERT_NE(m, nullptr) << member;
    EXPECT_EQ(m->attr_or("type"), "normal");
    EXPECT_EQ(m->attr_or("from"), room("r"));
    EXPECT_EQ(m->attr_or("id"), "mls-commit-abababababababababababababababab");
    const auto* c = m->child("commit", "urn:xmpp:mls:0");
    EXPECT_EQ(c->attr_or("epoch"), "1");
    EXPECT_EQ(c->attr_or("chain"), b64(mls::Bytes(32, 0xcd)));
    EXPECT_EQ(c->text(), b64(mls::Bytes{1, 2, 3}));
    const auto* sid = m->child("stanza-id", "urn:xmpp:sid:0");
    ASSERT_NE(sid, nullptr);
    EXPECT_EQ(sid->attr_or("id"), "orphan-sid");  // the archive's: a client that has it drops it
    EXPECT_EQ(sid->attr_or("by"), room("r"));
  }
  EXPECT_TRUE(mls_store.unsent_fanouts(10)->empty());  // confirmed now
  ds->deliver_fanouts();
  EXPECT_EQ(count_child(take(), "commit"), 0u);  // and not sent again
}

TEST_F(GroupTest, StoreFailureAnswersWaitAndChangesNothing) {
  mls::Group g = room_with_group();
  auto c = commit_adding(g, {bundle("bob@example.org").key_package});
  mls_store.fail_next(std::make_error_code(std::errc::io_error));
  auto r = commit(kAlice, c);
  EXPECT_EQ(error_condition(r), "internal-server-error");
  EXPECT_EQ(stored_epoch(), 0u);
  EXPECT_EQ(ds->epoch_of(room("r")), 0u);
  EXPECT_EQ(count_child(take(), "welcome"), 0u);
  EXPECT_TRUE(archive.rows.empty());
  EXPECT_EQ(accepted_epoch(commit(kAlice, c)), "1");  // the same commit, retried
  EXPECT_EQ(archive.rows.size(), 1u);
}

TEST_F(GroupTest, StaleCommitGetsWrongEpochWithTheCurrentOne) {
  mls::Group g = room_with_group();
  auto first = commit_adding(g, {bundle("bob@example.org").key_package});
  auto rival = commit_adding(g, {bundle("carol@example.org").key_package});
  ASSERT_EQ(accepted_epoch(commit(kAlice, first)), "1");
  auto r = commit(kAlice, rival);
  EXPECT_EQ(error_condition(r), "conflict");
  const auto* e = r.child("error", xmpp::ns::kComponent)->child("wrong-epoch", "urn:xmpp:mls:0");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->attr_or("current"), "1");
  EXPECT_EQ(stored_epoch(), 1u);
}

TEST_F(GroupTest, ReplayedCommitGetsTheOriginalAnswerOnce) {
  mls::Group g = room_with_group();
  join(kBob, room("r") + "/Bob");
  auto c = commit_adding(g, {bundle("bob@example.org").key_package});
  ASSERT_EQ(accepted_epoch(commit(kAlice, c)), "1");
  send("<iq type='set' id='q' from='" + std::string(kAlice) + "' to='" + room("r") + "'>" +
       commit_xml(c) + "</iq>");
  Stanzas again = take();
  ASSERT_EQ(again.size(), 1u);  // the answer only: no second fan-out, no second Welcome
  EXPECT_EQ(accepted_epoch(again[0]), "1");
  EXPECT_EQ(stored_epoch(), 1u);
  EXPECT_EQ(archive.rows.size(), 1u);
  // Replayed by someone else (bob, the member it added), it is not bob's commit: forbidden,
  // not "accepted" (found by room_service_fuzz).
  send("<iq type='set' id='q' from='" + std::string(kBob) + "' to='" + room("r") + "'>" +
       commit_xml(c) + "</iq>");
  Stanzas replayed = take();
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(error_condition(replayed[0]), "forbidden");
  EXPECT_EQ(stored_epoch(), 1u);
  EXPECT_EQ(archive.rows.size(), 1u);
}

TEST_F(GroupTest, MalformedCommitIsBadRequest) {
  room_with_group();
  for (const std::string& payload :
       {std::string("<commit xmlns='urn:xmpp:mls:0'><message>!!</message></commit>"),
        std::string("<commit xmlns='urn:xmpp:mls:0'><message>AAEC</message></commit>"),
        std::string("<commit xmlns='urn:xmpp:mls:0'/>")}) {
    auto r = iq(kAlice, room("r"), "set", payload);
    EXPECT_EQ(error_condition(r), "bad-request") << payload;
    EXPECT_NE(mls_error(r, "invalid-commit"), "") << payload;
  }
  EXPECT_EQ(stored_epoch(), 0u);
}

TEST_F(GroupTest, BadSignatureIsInvalidCommit) {
  mls::Group g = room_with_group();
  auto c = commit_adding(g, {bundle("bob@example.org").key_package});
  std::get<mls::PublicMessage>(c.message.message).auth.signature[5] ^= 1;
  auto r = commit(kAlice, c);
  EXPECT_EQ(error_condition(r), "bad-request");
  EXPECT_NE(mls_error(r, "invalid-commit"), "");
  EXPECT_EQ(stored_epoch(), 0u);
  EXPECT_EQ(ds->epoch_of(room("r")), 0u);
}

TEST_F(GroupTest, CommitSentByAnotherJidIsForbidden) {
  mls::Group g = room_with_group();
  join(kBob, room("r") + "/Bob");
  auto c = commit_adding(g, {bundle("carol@example.org").key_package});
  EXPECT_EQ(error_condition(commit(kBob, c)), "forbidden");  // alice's leaf, bob's stanza
  EXPECT_EQ(stored_epoch(), 0u);
}

TEST_F(GroupTest, CommitFromAnOutcastIsForbidden) {
  mls::Group g = room_with_group();
  iq(kAlice, room("r"), "set",
     "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' "
     "jid='mallory@example.org'/></query>");
  mls::Group mallory = new_group("mallory@example.org", "g9");
  auto c = commit_adding(mallory, {});
  EXPECT_EQ(error_condition(commit("mallory@example.org/x", c)), "forbidden");
  EXPECT_EQ(stored_epoch(), 0u);
}

TEST_F(GroupTest, AddingAnOutcastIsForbidden) {
  mls::Group g = room_with_group();
  iq(kAlice, room("r"), "set",
     "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' "
     "jid='mallory@example.org'/></query>");
  auto c = commit_adding(g, {bundle("mallory@example.org").key_package});
  EXPECT_EQ(error_condition(commit(kAlice, c)), "forbidden");
  EXPECT_EQ(stored_epoch(), 0u);
}

TEST_F(GroupTest, MembersOnlyRoomAddsMembersOnly) {
  create("r", {{"muc#roomconfig_membersonly", "1"}});
  mls::Group g = new_group("alice@example.org");
  ASSERT_EQ(accepted_epoch(create_iq(kAlice, g)), "0");
  auto c = commit_adding(g, {bundle("bob@example.org").key_package});
  EXPECT_EQ(error_condition(commit(kAlice, c)), "forbidden");
  iq(kAlice, room("r"), "set",
     "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' "
     "jid='bob@example.org'/></query>");
  EXPECT_EQ(accepted_epoch(commit(kAlice, c)), "1");
}

// CM-11: a commit that would widen the tree past mls.max_tree_leaves is refused and changes
// nothing; within the limit, adds go on (blank leaves are reused first).
TEST_F(GroupTest, CommitWideningTheTreePastTheLimitIsPolicyViolation) {
  ds_config.max_tree_leaves = 2;
  rebuild();
  mls::Group g = room_with_group();
  auto add_bob = commit_adding(g, {bundle("bob@example.org").key_package});
  ASSERT_EQ(accepted_epoch(commit(kAlice, add_bob)), "1");  // 2 leaves: at the limit
  g = std::move(add_bob.staged).merge();
  auto add_carol = commit_adding(g, {bundle("carol@example.org").key_package});
  auto r = commit(kAlice, add_carol);
  EXPECT_EQ(error_condition(r), "policy-violation");
  EXPECT_NE(xmpp::parse_stanza_error(r)->text.find("2 leaves"), std::string::npos);
  EXPECT_EQ(stored_epoch(), 1u);
}

// CR-6: the same limit on a new group's tree.
TEST_F(GroupTest, CreateWiderThanTheLimitIsPolicyViolation) {
  ds_config.max_tree_leaves = 0;  // below any tree (the configuration allows 2 at least)
  rebuild();
  create("r");
  take();
  mls::Group g = new_group("alice@example.org");
  EXPECT_EQ(error_condition(create_iq(kAlice, g)), "policy-violation");
  // The tree inside the GroupInfo (no <ratchet-tree/>) is held to the same limit.
  auto gi = g.group_info(true);
  ASSERT_TRUE(gi.has_value());
  auto r = iq(
      kAlice, room("r"), "set",
      "<create xmlns='urn:xmpp:mls:0'><group-info>" + b64_message(*gi) + "</group-info></create>");
  EXPECT_EQ(error_condition(r), "policy-violation");
  EXPECT_EQ(stored_epoch(), ~std::uint64_t{0});
}

TEST_F(GroupTest, CommitWithoutWelcomeOrGroupInfoIsRefused) {
  mls::Group g = room_with_group();
  auto c = commit_adding(g, {bundle("bob@example.org").key_package});
  const std::string msg = "<message>" + b64(mls::encode(c.message)) + "</message>";
  auto no_welcome = iq(kAlice, room("r"), "set",
                       "<commit xmlns='urn:xmpp:mls:0'>" + msg + "<group-info>" +
                           b64_message(c.group_info) + "</group-info></commit>");
  EXPECT_EQ(error_condition(no_welcome), "bad-request");
  auto no_gi = iq(kAlice, room("r"), "set",
                  "<commit xmlns='urn:xmpp:mls:0'>" + msg + "<welcome>" + b64_message(*c.welcome) +
                      "</welcome></commit>");
  EXPECT_EQ(error_condition(no_gi), "bad-request");
  EXPECT_EQ(stored_epoch(), 0u);
}

TEST_F(GroupTest, MemberMayNotRemoveTheOwnerButMayLeave) {
  mls::Group g = room_with_group();
  join(kBob, room("r") + "/Bob");
  auto bob = bundle("bob@example.org");
  mls::CommitOptions o;
  o.proposals.push_back(mls::Proposal{mls::Add{bob.key_package}});
  o.ratchet_tree_in_welcome = true;
  auto c = g.commit(std::move(o));
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(accepted_epoch(commit(kAlice, *c)), "1");
  g = std::move(c->staged).merge();
  auto bg = mls::Group::join(suite1(), *c->welcome, bob.key_package, std::move(bob.secrets),
                             std::nullopt);
  ASSERT_TRUE(bg.has_value());
  // bob (participant, no affiliation) removes alice (owner): forbidden.
  mls::CommitOptions kick;
  kick.proposals.push_back(mls::Proposal{mls::Remove{g.own_leaf().value}});
  auto k = bg->commit(std::move(kick));
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(error_condition(commit(kBob, *k)), "forbidden");
  EXPECT_EQ(stored_epoch(), 1u);
  // alice (owner, moderator) removes bob: allowed.
  mls::CommitOptions rm;
  rm.proposals.push_back(mls::Proposal{mls::Remove{bg->own_leaf().value}});
  auto r = g.commit(std::move(rm));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(accepted_epoch(commit(kAlice, *r)), "2");
}

TEST_F(GroupTest, BanProposesARemoveThatTheNextCommitMustInclude) {
  mls::Group g = room_with_group();
  join(kBob, room("r") + "/Bob");
  auto bob = bundle("bob@example.org");
  auto c = commit_adding(g, {bob.key_package});
  ASSERT_EQ(accepted_epoch(commit(kAlice, c)), "1");
  g = std::move(c.staged).merge();
  take();
  send("<iq type='set' id='ban' from='" + std::string(kAlice) + "' to='" + room("r") +
       "'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' "
       "jid='bob@example.org'/></query></iq>");
  Stanzas sent = take();
  // The proposal went to the remaining occupant (alice), archived, and is pending.
  const auto* p = find_child(sent, "proposal", kAlice);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->attr_or("epoch"), "1");
  ASSERT_EQ(mls_store.pending_proposals(room_jid(room("r")))->size(), 1u);
  EXPECT_NE(archive.rows.back().stanza.find("<proposal"), std::string::npos);
  // A commit that leaves it out: missing-proposals.
  auto without = commit_adding(g, {});
  auto r = commit(kAlice, without);
  EXPECT_EQ(error_condition(r), "not-acceptable");
  EXPECT_EQ(mls_error(r, "missing-proposals"), "present");
  EXPECT_EQ(stored_epoch(), 1u);
  // The member takes the proposal and commits it by reference.
  auto proposal = mls::decode<mls::MlsMessage>(*base64_decode(p->text()));
  ASSERT_TRUE(proposal.has_value());
  ASSERT_TRUE(g.handle_proposal(*proposal).has_value());
  auto with = g.commit();
  ASSERT_TRUE(with.has_value());
  EXPECT_EQ(accepted_epoch(commit(kAlice, *with)), "2");
  EXPECT_TRUE(mls_store.pending_proposals(room_jid(room("r")))->empty());
}

TEST_F(GroupTest, RevokedMembershipOfAMembersOnlyRoomProposesARemove) {
  create("r", {{"muc#roomconfig_membersonly", "1"}});
  mls::Group g = new_group("alice@example.org");
  ASSERT_EQ(accepted_epoch(create_iq(kAlice, g)), "0");
  const std::string member =
      "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' "
      "jid='bob@example.org'/></query>";
  iq(kAlice, room("r"), "set", member);
  auto c = commit_adding(g, {bundle("bob@example.org").key_package});
  ASSERT_EQ(accepted_epoch(commit(kAlice, c)), "1");
  g = std::move(c.staged).merge();
  take();
  // Another member's affiliation changing removes nobody.
  iq(kAlice, room("r"), "set",
     "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' "
     "jid='carol@example.org'/></query>");
  EXPECT_TRUE(mls_store.pending_proposals(room_jid(room("r")))->empty());
  // XEP-0045 §9.4: bob is no longer a member; his leaf must go.
  send("<iq type='set' id='revoke' from='" + std::string(kAlice) + "' to='" + room("r") +
       "'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='none' "
       "jid='bob@example.org'/></query></iq>");
  Stanzas sent = take();

  const auto* p = find_child(sent, "proposal", kAlice);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->attr_or("epoch"), "1");
  ASSERT_EQ(mls_store.pending_proposals(room_jid(room("r")))->size(), 1u);
  auto proposal = mls::decode<mls::MlsMessage>(*base64_decode(p->text()));
  ASSERT_TRUE(proposal.has_value());
  ASSERT_TRUE(g.handle_proposal(*proposal).has_value());
  auto with = g.commit();
  ASSERT_TRUE(with.has_value());
  EXPECT_EQ(accepted_epoch(commit(kAlice, *with)), "2");
  g = std::move(with->staged).merge();
  EXPECT_EQ(g.tree().non_blank_leaves().size(), 1u);  // alice alone
}

TEST_F(GroupTest, GroupInfoAndCommitsSinceServeCatchUp) {
  mls::Group g = room_with_group();
  auto c = commit_adding(g, {bundle("bob@example.org").key_package});
  ASSERT_EQ(accepted_epoch(commit(kAlice, c)), "1");
  auto gi = iq(kBob, room("r"), "get", "<group-info xmlns='urn:xmpp:mls:0'/>");
  const auto* answer = gi.child("group-info", "urn:xmpp:mls:0");
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->attr_or("epoch"), "1");
  EXPECT_EQ(answer->child_text("group-info", "urn:xmpp:mls:0"), b64_message(c.group_info));
  auto tree = mls::PublicTree::decode(
      suite1(), *base64_decode(answer->child_text("ratchet-tree", "urn:xmpp:mls:0")));
  ASSERT_TRUE(tree.has_value());
  EXPECT_EQ(tree->root_hash(), c.group_info.group_context.tree_hash);
  auto commits = iq(kBob, room("r"), "get", "<commits xmlns='urn:xmpp:mls:0' since='0'/>");
  const auto* list = commits.child("commits", "urn:xmpp:mls:0");
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->children_named("commit", "urn:xmpp:mls:0").size(), 1u);
  EXPECT_EQ(list->child("commit", "urn:xmpp:mls:0")->text(), b64(mls::encode(c.message)));
  EXPECT_EQ(
      error_condition(iq(kBob, room("r"), "get", "<commits xmlns='urn:xmpp:mls:0' since='x'/>")),
      "bad-request");
}

// docs/protocol.md §6.7: the chain hash after each commit, wherever the service shows an epoch:
// the create and commit answers, the fan-out (and so the archive), the Welcome, the GroupInfo
// answer and catch-up; the same after a restart, since it is read back from the store.
TEST_F(GroupTest, EveryEpochTheServiceNamesCarriesItsChainHash) {
  create("r", {{"muc#roomconfig_persistentroom", "1"}});
  mls::Group g = new_group("alice@example.org");
  auto created = create_iq(kAlice, g);
  const mls::CipherSuite& suite = suite1();
  const mls::Bytes chain0 = mls::commit_chain_genesis(suite);
  ASSERT_NE(created.child("accepted", "urn:xmpp:mls:0"), nullptr);
  EXPECT_EQ(created.child("accepted", "urn:xmpp:mls:0")->attr_or("chain"), b64(chain0));

  join(kBob, room("r") + "/Bob");
  auto c = commit_adding(g, {bundle("bob@example.org").key_package});
  const mls::Bytes chain1 =
      mls::commit_chain_next(suite, chain0, suite.hash(mls::encode(c.message)));
  Stanzas sent = send_commit(kAlice, c);
  const auto* r = reply_in(sent);
  ASSERT_NE(r, nullptr);
  ASSERT_NE(r->child("accepted", "urn:xmpp:mls:0"), nullptr);
  EXPECT_EQ(r->child("accepted", "urn:xmpp:mls:0")->attr_or("chain"), b64(chain1));
  const auto* fanout = find_child(sent, "commit", kBob);
  ASSERT_NE(fanout, nullptr);
  EXPECT_EQ(fanout->attr_or("chain"), b64(chain1));
  ASSERT_EQ(archive.rows.size(), 1u);
  EXPECT_NE(archive.rows[0].stanza.find(b64(chain1)), std::string::npos);
  const auto* w = find_child(sent, "welcome", "bob@example.org");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->attr_or("chain"), b64(chain1));

  rebuild();  // a restart: the chain comes back from the store
  auto gi = iq(kBob, room("r"), "get", "<group-info xmlns='urn:xmpp:mls:0'/>");
  ASSERT_NE(gi.child("group-info", "urn:xmpp:mls:0"), nullptr);
  EXPECT_EQ(gi.child("group-info", "urn:xmpp:mls:0")->attr_or("chain"), b64(chain1));
  auto commits = iq(kBob, room("r"), "get", "<commits xmlns='urn:xmpp:mls:0' since='0'/>");
  const auto* list = commits.child("commits", "urn:xmpp:mls:0");
  ASSERT_NE(list, nullptr);
  ASSERT_NE(list->child("commit", "urn:xmpp:mls:0"), nullptr);
  EXPECT_EQ(list->child("commit", "urn:xmpp:mls:0")->attr_or("chain"), b64(chain1));
  // A re-sent commit gets the original answer, chain included.
  Stanzas again = send_commit(kAlice, c);
  ASSERT_NE(reply_in(again), nullptr);
  ASSERT_NE(reply_in(again)->child("accepted", "urn:xmpp:mls:0"), nullptr);
  EXPECT_EQ(reply_in(again)->child("accepted", "urn:xmpp:mls:0")->attr_or("chain"), b64(chain1));

  g = std::move(c.staged).merge();
  join(kAlice, room("r") + "/Alice");  // the restarted service knows no occupants
  auto c2 = commit_adding(g, {bundle("carol@example.org").key_package});
  const mls::Bytes chain2 =
      mls::commit_chain_next(suite, chain1, suite.hash(mls::encode(c2.message)));
  auto r2 = commit(kAlice, c2);
  ASSERT_NE(r2.child("accepted", "urn:xmpp:mls:0"), nullptr);
  EXPECT_EQ(r2.child("accepted", "urn:xmpp:mls:0")->attr_or("chain"), b64(chain2));
}

TEST_F(GroupTest, NoGroupMeansItemNotFound) {
  create("r");
  EXPECT_EQ(error_condition(iq(kAlice, room("r"), "get", "<group-info xmlns='urn:xmpp:mls:0'/>")),
            "item-not-found");
  EXPECT_EQ(error_condition(iq(kAlice, room("r"), "get", "<welcome xmlns='urn:xmpp:mls:0'/>")),
            "item-not-found");
}

// docs/protocol.md §6.10: a member fetches the Welcome of the latest commit that added it (the
// copy sent to its bare JID went to another device of the account); nobody gets another
// user's.
TEST_F(GroupTest, AMemberFetchesTheLatestWelcomeThatAddedIt) {
  mls::Group g = room_with_group({{"muc#roomconfig_persistentroom", "1"}});
  auto c1 = commit_adding(g, {bundle("bob@example.org").key_package});
  Stanzas sent1 = send_commit(kAlice, c1);
  const auto* w1 = find_child(sent1, "welcome", "bob@example.org");
  ASSERT_NE(w1, nullptr);
  g = std::move(c1.staged).merge();
  auto c2 = commit_adding(g, {bundle("carol@example.org").key_package});
  Stanzas sent2 = send_commit(kAlice, c2);
  const auto* w2 = find_child(sent2, "welcome", "carol@example.org");
  ASSERT_NE(w2, nullptr);

  rebuild();  // read from the store, not from what this instance remembers
  for (const auto& [who, sent] :
       {std::pair{std::string(kBob), w1}, std::pair{std::string(kCarol), w2}}) {
    auto reply = iq(who, room("r"), "get", "<welcome xmlns='urn:xmpp:mls:0'/>");
    const auto* w = reply.child("welcome", "urn:xmpp:mls:0");
    ASSERT_NE(w, nullptr) << who << ": " << error_condition(reply);
    EXPECT_EQ(w->attr_or("epoch"), sent->attr_or("epoch"));
    EXPECT_EQ(w->attr_or("chain"), sent->attr_or("chain"));
    EXPECT_EQ(w->text(), sent->text());
  }
  // alice made the group and was never added; dave, in this open room, was not added either.
  EXPECT_EQ(error_condition(iq(kAlice, room("r"), "get", "<welcome xmlns='urn:xmpp:mls:0'/>")),
            "item-not-found");
  EXPECT_EQ(error_condition(
                iq("dave@example.org/x", room("r"), "get", "<welcome xmlns='urn:xmpp:mls:0'/>")),
            "item-not-found");
}

TEST_F(GroupTest, EvictedGroupIsRebuiltFromTheStore) {
  mls::Group g = room_with_group({{"muc#roomconfig_persistentroom", "1"}});
  auto c1 = commit_adding(g, {bundle("bob@example.org").key_package});
  ASSERT_EQ(accepted_epoch(commit(kAlice, c1)), "1");
  g = std::move(c1.staged).merge();
  ds->forget(room_jid(room("r")));  // as the LRU bound would
  EXPECT_EQ(ds->epoch_of(room("r")), std::nullopt);
  auto c2 = commit_adding(g, {bundle("carol@example.org").key_package});
  EXPECT_EQ(accepted_epoch(commit(kAlice, c2)), "2");
  g = std::move(c2.staged).merge();
  rebuild();  // a restart: new service, new delivery service, same stores
  auto c3 = commit_adding(g, {bundle("dave@example.org").key_package});
  // The restarted service knows no occupants: a member commits once it has entered again.
  EXPECT_EQ(error_condition(commit(kAlice, c3)), "not-acceptable");
  EXPECT_EQ(stored_epoch(), 2u);
  join(kAlice, room("r") + "/Alice");
  EXPECT_EQ(accepted_epoch(commit(kAlice, c3)), "3");
}

// docs/protocol.md §6.7: a member commits as an occupant; a session the room does not count as
// one is refused not-acceptable (XEP-0410 §3) and nothing changes. A byte-identical re-send of an
// accepted commit still gets its original answer from outside the room.
TEST_F(GroupTest, AMemberOutsideTheRoomIsToldToEnterBeforeCommitting) {
  mls::Group g = room_with_group();
  join(kBob, room("r") + "/Bob");
  auto c = commit_adding(g, {bundle("carol@example.org").key_package});
  ASSERT_EQ(accepted_epoch(commit(kAlice, c)), "1");
  g = std::move(c.staged).merge();
  send("<presence type='unavailable' from='" + std::string(kAlice) + "' to='" + room("r") +
       "/Alice'/>");
  take();
  auto next = commit_adding(g, {});
  auto r = commit(kAlice, next);
  EXPECT_EQ(error_condition(r), "not-acceptable");
  EXPECT_EQ(stored_epoch(), 1u);
  EXPECT_EQ(count_child(take(), "commit"), 0u);       // nothing fanned out
  EXPECT_EQ(accepted_epoch(commit(kAlice, c)), "1");  // the re-send: its original answer
  // Another session of the same account is not in the room either.
  EXPECT_EQ(error_condition(commit("alice@example.org/laptop", next)), "not-acceptable");
  join(kAlice, room("r") + "/Alice");
  EXPECT_EQ(accepted_epoch(commit(kAlice, next)), "2");
}

TEST_F(GroupTest, CacheIsBounded) {
  ds_config.group_cache = 1;
  rebuild();
  create("r");
  create("s");
  iq(kAlice, room("r"), "get", "<group-info xmlns='urn:xmpp:mls:0'/>");
  iq(kAlice, room("s"), "get", "<group-info xmlns='urn:xmpp:mls:0'/>");
  EXPECT_EQ(ds->cached_rooms(), 1u);
}

// --- rate limit on room requests (BR-11) ------------------------------------------------------

TEST_F(GroupTest, RoomRequestFloodIsRateLimitedPerJidAndChangesNothing) {
  ds_config.room_requests_per_minute = 1;  // bursts of 2
  rebuild();
  mls::Group g = room_with_group();  // alice's first request; counted once although the room's
                                     // state was loaded first and the IQ handled again
  join(kBob, room("r") + "/Bob");
  auto group_info = [&](const char* who) {
    return iq(who, room("r"), "get", "<group-info xmlns='urn:xmpp:mls:0'/>");
  };
  EXPECT_EQ(group_info(kAlice).attr_or("type"), "result");  // the second
  auto c = commit_adding(g, {});
  auto r = commit(kAlice, c);
  EXPECT_EQ(error_condition(r), "policy-violation");
  EXPECT_EQ(r.child("error", xmpp::ns::kComponent)->attr_or("type"), "wait");
  EXPECT_EQ(stored_epoch(), 0u);
  EXPECT_EQ(ds->epoch_of(room("r")), 0u);
  EXPECT_TRUE(archive.rows.empty());
  EXPECT_TRUE(mls_store.commits_since(room_jid(room("r")), Epoch(0), 10)->commits.empty());
  EXPECT_EQ(error_condition(group_info(kAlice)), "policy-violation");
  std::size_t lines = 0;
  for (const auto& l : ds_log) {
    lines += l.rfind("warn: ", 0) == 0 && l.find("room_requests_per_minute") != std::string::npos &&
                     l.find("alice@example.org") != std::string::npos
                 ? 1
                 : 0;
  }
  EXPECT_EQ(lines, 1u);  // one line for the run of refusals
  // Other JIDs have their own bucket; IQs of other namespaces are not counted.
  EXPECT_EQ(group_info(kBob).attr_or("type"), "result");
  auto info =
      iq(kAlice, room("r"), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  EXPECT_EQ(info.attr_or("type"), "result");
  // A minute refills one token.
  clock_ms += 60'000;
  EXPECT_EQ(accepted_epoch(commit(kAlice, c)), "1");
  EXPECT_EQ(archive.rows.size(), 1u);
}

TEST_F(GroupTest, ZeroRoomRequestRateTurnsTheLimitOff) {
  ds_config.room_requests_per_minute = 0;
  rebuild();
  room_with_group();
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(iq(kAlice, room("r"), "get", "<group-info xmlns='urn:xmpp:mls:0'/>").attr_or("type"),
              "result")
        << i;
  }
}

// ---- several instances (docs/cluster.md §3) ----

TEST_F(GroupTest, ACommitThisInstanceDoesNotSequenceIsAWaitErrorAndStoresNothing) {
  fence_for = [](const RoomJid&) { return std::optional<Fence>(); };  // a standby
  rebuild();
  mls::Group g = room_with_group();
  auto c = commit_adding(g, {});
  take();
  Stanzas sent = send_commit(kAlice, c);
  ASSERT_NE(reply_in(sent), nullptr);
  EXPECT_EQ(error_condition(*reply_in(sent)), "resource-constraint");
  EXPECT_EQ(reply_in(sent)->child("error", xmpp::ns::kComponent)->attr_or("type"), "wait");
  EXPECT_EQ(count_child(sent, "commit"), 0u);
  EXPECT_EQ(stored_epoch(), 0u);
  EXPECT_FALSE(mls_store.last_fence.has_value());  // never reached the store
}

TEST_F(GroupTest, ACommitGoesToTheStoreUnderTheLeaseAndAFencedOneChangesNothing) {
  const Fence lease{"a#1", {5, 3}};
  fence_for = [lease](const RoomJid&) { return std::optional<Fence>(lease); };
  rebuild();
  mls::Group g = room_with_group();
  auto c = commit_adding(g, {bundle("bob@example.org").key_package});
  take();
  mls_store.fence_valid = [](const Fence&) { return false; };  // deposed meanwhile
  Stanzas sent = send_commit(kAlice, c);
  ASSERT_NE(reply_in(sent), nullptr);
  EXPECT_EQ(error_condition(*reply_in(sent)), "resource-constraint");
  EXPECT_EQ(count_child(sent, "commit"), 0u);  // no fan-out
  EXPECT_EQ(stored_epoch(), 0u);
  EXPECT_TRUE(mls_store.unsent_welcomes(10)->empty());
  EXPECT_EQ(ds->fenced_commits(), 1u);
  EXPECT_EQ(fenced_calls, 1);
  ASSERT_TRUE(mls_store.last_fence.has_value());
  EXPECT_EQ(*mls_store.last_fence, lease);
  // The lease holds again (this instance took the shard back): the same commit is accepted.
  mls_store.fence_valid = nullptr;
  EXPECT_EQ(accepted_epoch(commit(kAlice, c)), "1");
  EXPECT_EQ(stored_epoch(), 1u);
}

}  // namespace
}  // namespace conclave::component::testing
