// Groupchat reflection, stanza-id/occupant-id, subject, private messages, invitations and
// history limits (XEP-0045 §7.4-§7.8, XEP-0359, XEP-0421), against fakes.
#include <gtest/gtest.h>

#include "component/muc/room.h"
#include "component/rooms/occupant_id.h"
#include "fakes.h"

namespace conclave::component::testing {
namespace {

const std::string kAlice = "alice@example.org/phone";
const std::string kBob = "bob@example.org/laptop";
const std::string kCarol = "carol@example.org/pc";

class MessageTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    create("r");
    join(kBob, room("r") + "/Bob");
  }
  void say(const std::string& from, const std::string& body, const std::string& id = "m1") {
    send("<message type='groupchat' id='" + id + "' from='" + from + "' to='" + room("r") +
         "'><body>" + body + "</body></message>");
  }
};

TEST_F(MessageTest, ReflectedToEveryoneWithClientIdStanzaIdAndOccupantId) {
  say(kBob, "hello", "client-id-7");
  auto s = take();
  ASSERT_EQ(s.size(), 2u);
  for (const auto& m : s) {
    EXPECT_EQ(m.attr_or("from"), room("r") + "/Bob");
    EXPECT_EQ(m.attr_or("id"), "client-id-7");  // muc#stable_id
    const auto* sid = m.child("stanza-id", "urn:xmpp:sid:0");
    ASSERT_NE(sid, nullptr);
    EXPECT_EQ(sid->attr_or("by"), room("r"));
    ASSERT_NE(m.child("occupant-id", "urn:xmpp:occupant-id:0"), nullptr);
  }
  ASSERT_EQ(archive.rows.size(), 1u);
  EXPECT_EQ(archive.rows[0].from_nick, "Bob");
  EXPECT_EQ(archive.rows[0].stanza_id, s[0].child("stanza-id", "urn:xmpp:sid:0")->attr_or("id"));
}

TEST_F(MessageTest, OccupantIdIsStablePerUserAndDiffersBetweenUsers) {
  say(kBob, "one");
  const std::string a =
      std::string(take()[0].child("occupant-id", "urn:xmpp:occupant-id:0")->attr_or("id"));
  say(kBob, "two");
  const std::string b =
      std::string(take()[0].child("occupant-id", "urn:xmpp:occupant-id:0")->attr_or("id"));
  say(kAlice, "three");
  const std::string c =
      std::string(take()[0].child("occupant-id", "urn:xmpp:occupant-id:0")->attr_or("id"));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a.find("bob"), 0u);
  EXPECT_EQ(occupant_id("salt", "bob@example.org"), occupant_id("salt", "bob@example.org"));
  EXPECT_NE(occupant_id("salt", "bob@example.org"), occupant_id("pepper", "bob@example.org"));
}

TEST(OccupantId, IsUnpaddedBase64urlOfHmacSha256OfTheBareJid) {
  // Pinned so the ids of existing rooms never change; computed independently with
  //   printf 'bob@example.org' | openssl dgst -sha256 -hmac salt -binary | base64 |
  //   tr '+/' '-_' | tr -d '='
  EXPECT_EQ(occupant_id("salt", "bob@example.org"), "YFlmfxz7RqpcU2EIewsI12LODSz0jcDG8jOKYkZPjH8");
}

TEST_F(MessageTest, ClientSentRoomStanzaIdAndOccupantIdAreStripped) {
  send("<message type='groupchat' id='x' from='" + kBob + "' to='" + room("r") +
       "'><body>forged</body><stanza-id xmlns='urn:xmpp:sid:0' by='" + room("r") +
       "' id='fake'/><occupant-id xmlns='urn:xmpp:occupant-id:0' id='fake'/></message>");
  auto s = take();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].children_named("stanza-id", "urn:xmpp:sid:0").size(), 1u);
  EXPECT_NE(s[0].child("stanza-id", "urn:xmpp:sid:0")->attr_or("id"), "fake");
  EXPECT_EQ(s[0].children_named("occupant-id", "urn:xmpp:occupant-id:0").size(), 1u);
  EXPECT_NE(s[0].child("occupant-id", "urn:xmpp:occupant-id:0")->attr_or("id"), "fake");
}

TEST_F(MessageTest, NonOccupantGroupchatIsNotAcceptable) {
  say(kCarol, "intrusion");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "not-acceptable");
  EXPECT_TRUE(archive.rows.empty());
}

TEST_F(MessageTest, ArchiveFailureMeansNoReflection) {
  archive.fail_next = true;
  say(kBob, "lost");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);  // only the error to the sender
  EXPECT_EQ(s[0].attr_or("to"), kBob);
  EXPECT_EQ(error_condition(s[0]), "internal-server-error");
}

TEST_F(MessageTest, NothingIsReflectedBeforeTheArchiveWriteCompletes) {
  runner.hold = true;
  say(kBob, "wait for it");
  EXPECT_TRUE(take().empty());
  runner.release();
  EXPECT_EQ(take().size(), 2u);
}

// Runs the oldest held store call and its continuation (the runner stays in hold mode).
void run_one_held(InlineRunner& runner) {
  ASSERT_FALSE(runner.held.empty());
  auto [blocking, then] = std::move(runner.held.front());
  runner.held.erase(runner.held.begin());
  blocking();
  then();
}

std::vector<std::string> ids_of(const std::vector<xmpp::Element>& stanzas) {
  std::vector<std::string> out;
  for (const auto& s : stanzas) out.emplace_back(s.attr_or("id"));
  return out;
}

TEST_F(MessageTest, MessagesQueuedDuringAWriteAreGroupCommittedThenReflectedInOrder) {
  runner.hold = true;
  say(kBob, "one", "a");
  say(kBob, "two", "b");
  say(kAlice, "three", "c");
  send("<message type='groupchat' id='cs' from='" + kBob + "' to='" + room("r") +
       "'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
  say(kBob, "four", "d");
  ASSERT_EQ(runner.held.size(), 1u);  // one write in flight, the rest waits in the room's queue
  EXPECT_TRUE(take().empty());

  run_one_held(runner);
  // "a" is reflected; "b" and "c" went into one write together; the chat state after them
  // ends the batch, so it waits.
  EXPECT_EQ(ids_of(take()), (std::vector<std::string>{"a", "a"}));
  ASSERT_EQ(runner.held.size(), 1u);
  EXPECT_EQ(archive.rows.size(), 1u);

  run_one_held(runner);
  EXPECT_EQ(archive.rows.size(), 3u);
  EXPECT_EQ(archive.rows[1].from_nick, "Bob");
  EXPECT_EQ(archive.rows[2].from_nick, "Alice");
  // Occupant by occupant: each gets "b" then "c" (adjacent for its server), then the chat state.
  auto s = take();
  EXPECT_EQ(ids_of(s), (std::vector<std::string>{"b", "c", "b", "c", "cs", "cs"}));
  ASSERT_EQ(s.size(), 6u);
  EXPECT_EQ(s[0].attr_or("to"), s[1].attr_or("to"));
  EXPECT_EQ(s[2].attr_or("to"), s[3].attr_or("to"));
  EXPECT_NE(s[0].attr_or("to"), s[2].attr_or("to"));
  ASSERT_EQ(runner.held.size(), 1u);  // "d": the next write

  run_one_held(runner);
  EXPECT_EQ(ids_of(take()), (std::vector<std::string>{"d", "d"}));
  EXPECT_EQ(archive.rows.size(), 4u);
  EXPECT_EQ(service->room(room("r"))->history_size(), 4u);
}

// An InlineRunner whose defer() waits until run_deferred(), like the I/O loop's next turn.
class DeferringRunner : public InlineRunner {
 public:
  std::vector<std::function<void()>> deferred;
  void defer(std::function<void()> next) override { deferred.push_back(std::move(next)); }
  void run_deferred() {
    auto d = std::move(deferred);
    deferred.clear();
    for (auto& f : d) f();
  }
};

TEST_F(MessageTest, AFirstMessageWaitsOneLoopTurnSoMessagesReadWithItShareItsWrite) {
  DeferringRunner deferring;
  services.runner = &deferring;  // the fixture's services, with this runner
  RoomEnv env;
  env.services = &services;
  env.rooms = &room_store;
  env.archive = &archive;
  env.new_salt = [this] { return "salt" + std::to_string(++ids); };
  service = std::make_unique<MucService>(ServiceInfo{kService, "Test rooms"}, std::move(env));
  create("d");
  join(kBob, room("d") + "/Bob");
  deferring.run_deferred();
  take();
  deferring.hold = true;
  auto say_in_d = [&](const std::string& from, const std::string& id) {
    send("<message type='groupchat' id='" + id + "' from='" + from + "' to='" + room("d") +
         "'><body>x</body></message>");
  };
  say_in_d(kBob, "a");
  say_in_d(kAlice, "b");                // read with "a": queued behind it
  EXPECT_TRUE(deferring.held.empty());  // no write started yet
  EXPECT_TRUE(take().empty());
  deferring.run_deferred();
  ASSERT_EQ(deferring.held.size(), 1u);  // one write for both
  run_one_held(deferring);
  EXPECT_EQ(archive.rows.size(), 2u);
  EXPECT_EQ(ids_of(take()), (std::vector<std::string>{"a", "b", "a", "b"}));
}

TEST_F(MessageTest, AFailedGroupCommitAnswersEverySenderAndReflectsNothing) {
  runner.hold = true;
  say(kBob, "one", "a");
  say(kBob, "two", "b");
  say(kAlice, "three", "c");
  run_one_held(runner);
  take();
  archive.fail_next = true;
  run_one_held(runner);
  auto s = take();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].attr_or("to"), kBob);
  EXPECT_EQ(s[0].attr_or("id"), "b");
  EXPECT_EQ(error_condition(s[0]), "internal-server-error");
  EXPECT_EQ(s[1].attr_or("to"), kAlice);
  EXPECT_EQ(s[1].attr_or("id"), "c");
  EXPECT_EQ(error_condition(s[1]), "internal-server-error");
  EXPECT_EQ(archive.rows.size(), 1u);
  EXPECT_EQ(service->room(room("r"))->history_size(), 1u);
}

TEST_F(MessageTest, ChatStatesAreRelayedButNotArchived) {
  send("<message type='groupchat' from='" + kBob + "' to='" + room("r") +
       "'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
  EXPECT_EQ(take().size(), 2u);
  EXPECT_TRUE(archive.rows.empty());
}

TEST_F(MessageTest, VisitorsInModeratedRoomsAreForbidden) {
  ASSERT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_moderatedroom", "1"}}), "result");
  join(kCarol, room("r") + "/Carol");
  say(kCarol, "may I?");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "forbidden");
}

TEST_F(MessageTest, SubjectChangeByModeratorIsBroadcastArchivedAndSentOnJoin) {
  send("<message type='groupchat' from='" + kAlice + "' to='" + room("r") +
       "'><subject>Topic</subject></message>");
  EXPECT_EQ(take().size(), 2u);
  EXPECT_EQ(service->room(room("r"))->subject(), "Topic");
  EXPECT_EQ(archive.rows.size(), 1u);
  auto s = sent_to(join(kCarol, room("r") + "/Carol"), kCarol);
  EXPECT_EQ(s.back().child("subject", xmpp::ns::kComponent)->text(), "Topic");
  EXPECT_EQ(s.back().attr_or("from"), room("r") + "/Alice");
}

TEST_F(MessageTest, SubjectChangeByParticipantIsForbiddenByDefault) {
  send("<message type='groupchat' from='" + kBob + "' to='" + room("r") +
       "'><subject>Mine</subject></message>");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "forbidden");
}

TEST_F(MessageTest, PrivateMessageGoesOnlyToTheTargetFromTheOccupantJid) {
  send("<message type='chat' id='pm' from='" + kAlice + "' to='" + room("r") +
       "/Bob'><body>psst</body></message>");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].attr_or("to"), kBob);
  EXPECT_EQ(s[0].attr_or("from"), room("r") + "/Alice");
  EXPECT_NE(s[0].child("x", "http://jabber.org/protocol/muc#user"), nullptr);
  EXPECT_TRUE(archive.rows.empty());  // never archived
}

TEST_F(MessageTest, PrivateMessageToUnknownNickIsItemNotFound) {
  send("<message type='chat' from='" + kAlice + "' to='" + room("r") +
       "/Nobody'><body>?</body></message>");
  EXPECT_EQ(error_condition(take()[0]), "item-not-found");
}

TEST_F(MessageTest, PrivateMessagesCanBeDisabled) {
  ASSERT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_allowpm", "none"}}), "result");
  send("<message type='chat' from='" + kBob + "' to='" + room("r") +
       "/Alice'><body>hi</body></message>");
  EXPECT_EQ(error_condition(take()[0]), "forbidden");
}

TEST_F(MessageTest, MediatedInvitationComesFromTheRoomAndMakesAMemberOfMembersOnlyRooms) {
  ASSERT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_membersonly", "1"}}), "result");
  send("<message from='" + kAlice + "' to='" + room("r") +
       "'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@example.org'>"
       "<reason>come</reason></invite></x></message>");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].attr_or("from"), room("r"));
  EXPECT_EQ(s[0].attr_or("to"), "carol@example.org");
  const auto* inv = s[0].child("x", "http://jabber.org/protocol/muc#user")
                        ->child("invite", "http://jabber.org/protocol/muc#user");
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->attr_or("from"), "alice@example.org");
  EXPECT_EQ(service->room(room("r"))->affiliation_of("carol@example.org"), Affiliation::member);
  EXPECT_EQ(error_condition(join(kCarol, room("r") + "/Carol")[0]), "");
}

TEST_F(MessageTest, ParticipantsMayNotInviteIntoMembersOnlyRoomsUnlessAllowed) {
  ASSERT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_membersonly", "1"}}), "result");
  // Bob was removed by the switch to members-only (322); make him a member and rejoin.
  iq(kAlice, room("r"), "set",
     "<query xmlns='http://jabber.org/protocol/muc#admin'><item jid='bob@example.org' "
     "affiliation='member'/></query>");
  join(kBob, room("r") + "/Bob");
  send("<message from='" + kBob + "' to='" + room("r") +
       "'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@example.org'/></x>"
       "</message>");
  EXPECT_EQ(error_condition(take()[0]), "forbidden");
}

TEST_F(MessageTest, DeclineIsPassedOnToTheInviter) {
  send("<message from='" + kCarol + "' to='" + room("r") +
       "'><x xmlns='http://jabber.org/protocol/muc#user'><decline to='alice@example.org'/>"
       "</x></message>");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].attr_or("to"), "alice@example.org");
  EXPECT_EQ(s[0].child("x", "http://jabber.org/protocol/muc#user")
                ->child("decline", "http://jabber.org/protocol/muc#user")
                ->attr_or("from"),
            "carol@example.org");
}

TEST_F(MessageTest, HistoryHonoursMaxstanzasMaxcharsAndSeconds) {
  for (int i = 0; i < 5; ++i) {
    clock_ms += 10'000;
    say(kBob, "msg" + std::to_string(i), "m" + std::to_string(i));
  }
  take();
  auto bodies = [&](const std::string& hist) {
    std::vector<std::string> got;
    for (const auto& s : sent_to(join(kCarol, room("r") + "/Carol", hist), kCarol)) {
      if (const auto* b = s.child("body", xmpp::ns::kComponent)) got.push_back(b->text());
    }
    send("<presence type='unavailable' from='" + kCarol + "' to='" + room("r") + "/Carol'/>");
    take();
    return got;
  };
  EXPECT_EQ(bodies("<history maxstanzas='2'/>"), (std::vector<std::string>{"msg3", "msg4"}));
  EXPECT_TRUE(bodies("<history maxchars='0'/>").empty());
  EXPECT_EQ(bodies("<history seconds='15'/>"), (std::vector<std::string>{"msg3", "msg4"}));
  EXPECT_EQ(bodies("").size(), 5u);
}

}  // namespace
}  // namespace conclave::component::testing
