// Join, nick change, leave and their status codes (XEP-0045 §7.2-§7.14), against fakes.
#include <gtest/gtest.h>

#include "component/muc/room.h"
#include "fakes.h"

namespace conclave::component::testing {
namespace {

const std::string kAlice = "alice@example.org/phone";
const std::string kBob = "bob@example.org/laptop";
const std::string kCarol = "carol@example.org/pc";

TEST_F(ServiceTest, CreationGivesSelfPresenceWith110And201ThenEmptySubject) {
  auto s = join(kAlice, room("r") + "/Alice");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name(), "presence");
  EXPECT_TRUE(has_code(s[0], 110));
  EXPECT_TRUE(has_code(s[0], 201));
  const auto* item = s[0].child("x", "http://jabber.org/protocol/muc#user")
                         ->child("item", "http://jabber.org/protocol/muc#user");
  EXPECT_EQ(item->attr_or("affiliation"), "owner");
  EXPECT_EQ(item->attr_or("role"), "moderator");
  EXPECT_NE(s[0].child("occupant-id", "urn:xmpp:occupant-id:0"), nullptr);
  EXPECT_EQ(s[1].name(), "message");
  ASSERT_NE(s[1].child("subject", xmpp::ns::kComponent), nullptr);
  EXPECT_EQ(s[1].child("subject", xmpp::ns::kComponent)->text(), "");
  EXPECT_EQ(room_store.rows.count(room_jid(room("r"))), 1u);  // the row exists from creation on
}

TEST_F(ServiceTest, LockedRoomIsItemNotFoundForOthersUntilConfigured) {
  join(kAlice, room("r") + "/Alice");
  auto s = join(kBob, room("r") + "/Bob");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "item-not-found");
  ASSERT_EQ(configure(kAlice, room("r")), "result");
  auto to_bob = sent_to(join(kBob, room("r") + "/Bob"), kBob);
  ASSERT_EQ(to_bob.size(), 3u);  // Alice, self, subject
  EXPECT_TRUE(has_code(to_bob[1], 110));
}

// §10.2.1: the first configuration, which unlocks a new room, is announced like later ones.
TEST_F(ServiceTest, FirstConfigurationIsAnnouncedWith104) {
  join(kAlice, room("r") + "/Alice");
  send("<iq type='set' id='cfg' from='" + kAlice + "' to='" + room("r") +
       "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
       "type='submit'><field var='muc#roomconfig_whois'><value>anyone</value></field></x>"
       "</query></iq>");
  auto s = take();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].attr_or("type"), "result");  // the owner learns of success first
  EXPECT_EQ(s[1].name(), "message");
  EXPECT_EQ(s[1].attr_or("from"), room("r"));
  EXPECT_EQ(status_codes(s[1]), (std::vector<int>{104, 172}));
}

// §10.1.3: an owner who leaves a new room before configuring it destroys it, and is told so.
TEST_F(ServiceTest, LeavingALockedRoomDestroysItWithDestroy) {
  join(kAlice, room("r") + "/Alice");
  send("<presence type='unavailable' from='" + kAlice + "' to='" + room("r") + "/Alice'/>");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(has_code(s[0], 110));
  EXPECT_NE(s[0].child("x", "http://jabber.org/protocol/muc#user")
                ->child("destroy", "http://jabber.org/protocol/muc#user"),
            nullptr);
  EXPECT_EQ(service->room(room("r")), nullptr);
  EXPECT_EQ(room_store.rows.count(room_jid(room("r"))), 0u);
}

// An unlocked room's occupants leave without <destroy/>, even the last one.
TEST_F(ServiceTest, LeavingAConfiguredRoomSendsNoDestroy) {
  create("r");
  send("<presence type='unavailable' from='" + kAlice + "' to='" + room("r") + "/Alice'/>");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].child("x", "http://jabber.org/protocol/muc#user")
                ->child("destroy", "http://jabber.org/protocol/muc#user"),
            nullptr);
}

TEST_F(ServiceTest, JoinOrderIsOthersThenSelfThenHistoryThenSubject) {
  create("r");
  send("<message type='groupchat' id='m1' from='" + kAlice + "' to='" + room("r") +
       "'><body>hi</body></message>");
  take();
  auto s = sent_to(join(kBob, room("r") + "/Bob"), kBob);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].attr_or("from"), room("r") + "/Alice");
  EXPECT_FALSE(has_code(s[0], 110));
  EXPECT_EQ(s[1].attr_or("from"), room("r") + "/Bob");
  EXPECT_TRUE(has_code(s[1], 110));
  EXPECT_FALSE(has_code(s[1], 201));
  EXPECT_NE(s[2].child("body", xmpp::ns::kComponent), nullptr);
  EXPECT_NE(s[2].child("delay", "urn:xmpp:delay"), nullptr);
  EXPECT_NE(s[3].child("subject", xmpp::ns::kComponent), nullptr);
}

// §7.2.12, §14.3: 170 warns of a room logged to a public archive. The rooms' MAM archive is
// for occupants only, so no self-presence carries it (Gajim showed it instead of "You joined"),
// whether the room is created, joined, non-anonymous or persistent.
TEST_F(ServiceTest, SelfPresenceCarriesNo170) {
  auto created = join(kAlice, room("r") + "/Alice");
  ASSERT_FALSE(created.empty());
  EXPECT_EQ(status_codes(created[0]), (std::vector<int>{110, 201}));
  ASSERT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_persistentroom", "1"}}), "result");
  auto s = sent_to(join(kBob, room("r") + "/Bob"), kBob);
  ASSERT_EQ(s.size(), 3u);  // Alice, self, subject
  EXPECT_EQ(status_codes(s[1]), (std::vector<int>{110}));
  create("open", {{"muc#roomconfig_whois", "anyone"}});
  s = sent_to(join(kBob, room("open") + "/Bob"), kBob);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(status_codes(s[1]), (std::vector<int>{110, 100}));
}

TEST_F(ServiceTest, OthersSeeTheNewcomerWithoutRealJidInSemiAnonymousRooms) {
  create("r");
  auto s = sent_to(join(kBob, room("r") + "/Bob"), kAlice);
  ASSERT_EQ(s.size(), 1u);
  // Alice is a moderator (owner): she sees the JID; a participant would not.
  const auto* item = s[0].child("x", "http://jabber.org/protocol/muc#user")
                         ->child("item", "http://jabber.org/protocol/muc#user");
  EXPECT_EQ(item->attr_or("jid"), kBob);
  auto c = sent_to(join(kCarol, room("r") + "/Carol"), kBob);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].child("x", "http://jabber.org/protocol/muc#user")
                ->child("item", "http://jabber.org/protocol/muc#user")
                ->attr("jid"),
            nullptr);
}

TEST_F(ServiceTest, NonAnonymousRoomsSend100AndRealJids) {
  create("r", {{"muc#roomconfig_whois", "anyone"}});
  join(kBob, room("r") + "/Bob");
  auto s = sent_to(join(kCarol, room("r") + "/Carol"), kCarol);
  EXPECT_TRUE(has_code(s[2], 100));
  EXPECT_EQ(s[0].child("x", "http://jabber.org/protocol/muc#user")
                ->child("item", "http://jabber.org/protocol/muc#user")
                ->attr_or("jid"),
            kAlice);
}

TEST_F(ServiceTest, NickInUseIsConflict) {
  create("r");
  auto s = join(kBob, room("r") + "/Alice", "<password>secret</password>");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "conflict");
  // §7.2.8's example: <error by='room'> and the empty <x/> of the join, no password echoed.
  EXPECT_EQ(s[0].child("error", xmpp::ns::kComponent)->attr_or("by"), room("r"));
  const auto* x = s[0].child("x", "http://jabber.org/protocol/muc");
  ASSERT_NE(x, nullptr);
  EXPECT_TRUE(x->children().empty());
}

TEST_F(ServiceTest, MembersOnlyRefusesNonMembersWithRegistrationRequired) {
  create("r", {{"muc#roomconfig_membersonly", "1"}});
  auto s = join(kBob, room("r") + "/Bob");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "registration-required");
}

TEST_F(ServiceTest, PasswordRoomRefusesMissingOrWrongPasswordWithNotAuthorized) {
  create("r",
         {{"muc#roomconfig_passwordprotectedroom", "1"}, {"muc#roomconfig_roomsecret", "s3cret"}});
  EXPECT_EQ(error_condition(join(kBob, room("r") + "/Bob")[0]), "not-authorized");
  EXPECT_EQ(error_condition(join(kBob, room("r") + "/Bob", "<password>nope</password>")[0]),
            "not-authorized");
  auto s = join(kBob, room("r") + "/Bob", "<password>s3cret</password>");
  EXPECT_EQ(error_condition(s[0]), "");
}

TEST_F(ServiceTest, JoinWithoutNickIsJidMalformed) {
  create("r");
  send("<presence from='" + kBob + "' to='" + room("r") +
       "'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "jid-malformed");
}

// XEP-0045 §17.1: no empty or invisible nicknames, on entry and on a nick change; the error is
// §7.2.1's for a missing nickname.
TEST_F(ServiceTest, InvisibleNicknamesAreJidMalformedOnJoinAndNickChange) {
  create("r");
  // Those that survive resourceprep: spaces, U+2800, U+115F, U+3164 (which becomes U+1160).
  for (const std::string nick : {" ", "   ", "\xE2\xA0\x80", "\xE1\x85\x9F", "\xE3\x85\xA4 "}) {
    auto s = join(kBob, room("r") + "/" + nick);
    ASSERT_EQ(s.size(), 1u) << nick;
    EXPECT_EQ(s[0].attr_or("type"), "error");
    EXPECT_EQ(error_condition(s[0]), "jid-malformed") << nick;
  }
  EXPECT_EQ(service->room(room("r"))->occupant_count(), 1u);
  join(kBob, room("r") + "/Bob");
  send("<presence from='" + kBob + "' to='" + room("r") + "/ '/>");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "jid-malformed");
  EXPECT_NE(service->room(room("r"))->occupant("Bob"), nullptr);
  // Spaces around visible characters are fine.
  auto ok = sent_to(join(kCarol, room("r") + "/ Carol C "), kCarol);
  ASSERT_FALSE(ok.empty());
  EXPECT_EQ(error_condition(ok[0]), "");
}

TEST_F(ServiceTest, AnInvisibleNicknameCreatesNoRoom) {
  auto s = join(kAlice, room("new") + "/  ");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "jid-malformed");
  EXPECT_EQ(service->room(room("new")), nullptr);
  EXPECT_EQ(room_store.rows.count(room_jid(room("new"))), 0u);
}

TEST_F(ServiceTest, PresenceWithoutMucElementFromNonOccupantIsKickedWith110_307_333) {
  create("r");
  send("<presence from='" + kBob + "' to='" + room("r") + "/Bob'/>");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].attr_or("type"), "unavailable");
  EXPECT_EQ(status_codes(s[0]), (std::vector<int>{110, 307, 333}));
}

TEST_F(ServiceTest, NickChangeSends303ThenNewPresence) {
  create("r");
  join(kBob, room("r") + "/Bob");
  send("<presence from='" + kBob + "' to='" + room("r") + "/Robert'/>");
  auto s = sent_to(take(), kAlice);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].attr_or("type"), "unavailable");
  EXPECT_TRUE(has_code(s[0], 303));
  EXPECT_EQ(s[0].child("x", "http://jabber.org/protocol/muc#user")
                ->child("item", "http://jabber.org/protocol/muc#user")
                ->attr_or("nick"),
            "Robert");
  EXPECT_EQ(s[1].attr_or("from"), room("r") + "/Robert");
  EXPECT_NE(service->room(room("r"))->occupant("Robert"), nullptr);
}

TEST_F(ServiceTest, NickChangeToTakenNickIsConflict) {
  create("r");
  join(kBob, room("r") + "/Bob");
  send("<presence from='" + kBob + "' to='" + room("r") + "/Alice'/>");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "conflict");
}

TEST_F(ServiceTest, LeaveBroadcastsUnavailableAndSelfGets110) {
  create("r");
  join(kBob, room("r") + "/Bob");
  send("<presence type='unavailable' from='" + kBob + "' to='" + room("r") + "/Bob'/>");
  auto s = take();
  auto to_bob = sent_to(s, kBob);
  auto to_alice = sent_to(s, kAlice);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_TRUE(has_code(to_bob[0], 110));
  ASSERT_EQ(to_alice.size(), 1u);
  EXPECT_EQ(to_alice[0].attr_or("type"), "unavailable");
  EXPECT_EQ(service->room(room("r"))->occupant_count(), 1u);
}

// §7.14 (and §7.2.3/§7.2.4): the unavailable presence names the real JID to those who may see
// it, like every other presence of the occupant: moderators in a semi-anonymous room.
TEST_F(ServiceTest, LeaveTellsModeratorsTheRealJidInSemiAnonymousRooms) {
  create("r");
  join(kBob, room("r") + "/Bob");
  join(kCarol, room("r") + "/Carol");
  send("<presence type='unavailable' from='" + kBob + "' to='" + room("r") + "/Bob'/>");
  auto s = take();
  auto item = [](const xmpp::Element& p) {
    return p.child("x", "http://jabber.org/protocol/muc#user")
        ->child("item", "http://jabber.org/protocol/muc#user");
  };
  auto to_alice = sent_to(s, kAlice);
  ASSERT_EQ(to_alice.size(), 1u);
  EXPECT_EQ(item(to_alice[0])->attr_or("jid"), kBob);
  auto to_carol = sent_to(s, kCarol);
  ASSERT_EQ(to_carol.size(), 1u);
  EXPECT_EQ(item(to_carol[0])->attr("jid"), nullptr);
  auto to_bob = sent_to(s, kBob);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_EQ(item(to_bob[0])->attr_or("jid"), kBob);
}

TEST_F(ServiceTest, LeaveTellsEveryoneTheRealJidInNonAnonymousRooms) {
  create("r", {{"muc#roomconfig_whois", "anyone"}});
  join(kBob, room("r") + "/Bob");
  join(kCarol, room("r") + "/Carol");
  send("<presence type='unavailable' from='" + kBob + "' to='" + room("r") + "/Bob'/>");
  auto to_carol = sent_to(take(), kCarol);
  ASSERT_EQ(to_carol.size(), 1u);
  EXPECT_EQ(to_carol[0]
                .child("x", "http://jabber.org/protocol/muc#user")
                ->child("item", "http://jabber.org/protocol/muc#user")
                ->attr_or("jid"),
            kBob);
}

// §7.2.15: the subject sent on join is stamped with XEP-0203 <delay/> from the room, at the
// time it was set; a subject never set has none.
TEST_F(ServiceTest, SubjectOnJoinCarriesTheDelayOfWhenItWasSet) {
  create("r");
  auto first = sent_to(join(kBob, room("r") + "/Bob"), kBob);
  EXPECT_EQ(first.back().child("delay", "urn:xmpp:delay"), nullptr);
  const TimePoint set_at{std::chrono::milliseconds(clock_ms)};
  send("<message type='groupchat' from='" + kAlice + "' to='" + room("r") +
       "'><subject>Plans</subject></message>");
  take();
  clock_ms += 3'600'000;
  auto s = sent_to(join(kCarol, room("r") + "/Carol"), kCarol);
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s.back().child_text("subject", xmpp::ns::kComponent), "Plans");
  const auto* delay = s.back().child("delay", "urn:xmpp:delay");
  ASSERT_NE(delay, nullptr);
  EXPECT_EQ(delay->attr_or("from"), room("r"));
  EXPECT_EQ(delay->attr_or("stamp"), format_timestamp(set_at));
}

TEST_F(ServiceTest, TemporaryRoomEndsWithItsLastOccupant) {
  create("r");
  send("<presence type='unavailable' from='" + kAlice + "' to='" + room("r") + "/Alice'/>");
  take();
  EXPECT_EQ(service->room(room("r")), nullptr);
  EXPECT_EQ(room_store.rows.count(room_jid(room("r"))), 0u);
}

TEST_F(ServiceTest, PersistentRoomStaysWhenEmpty) {
  create("r", {{"muc#roomconfig_persistentroom", "1"}});
  send("<presence type='unavailable' from='" + kAlice + "' to='" + room("r") + "/Alice'/>");
  take();
  EXPECT_NE(service->room(room("r")), nullptr);
  EXPECT_TRUE(room_store.rows.at(room_jid(room("r"))).persistent);
}

TEST_F(ServiceTest, StanzasWaitWhileTheRoomsStoreCallIsInFlight) {
  runner.hold = true;
  join(kAlice, room("r") + "/Alice");  // creation waits on the store
  send("<presence type='unavailable' from='" + kAlice + "' to='" + room("r") + "/Alice'/>");
  EXPECT_TRUE(take().empty());  // neither the join nor the leave was answered yet
  runner.release();
  auto s = take();
  ASSERT_GE(s.size(), 3u);
  EXPECT_TRUE(has_code(s[0], 201));  // join first, then the leave: arrival order
  EXPECT_EQ(s.back().attr_or("type"), "unavailable");
}

TEST_F(ServiceTest, CreationFailureAnswersInternalServerErrorAndForgetsTheRoom) {
  room_store.fail_next = true;
  auto s = join(kAlice, room("r") + "/Alice");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "internal-server-error");
  EXPECT_EQ(service->room(room("r")), nullptr);
}

TEST_F(ServiceTest, SelfPingAnsweredWhenJoinedNotAcceptableOtherwise) {
  create("r");
  auto r = iq(kAlice, room("r") + "/Alice", "get", "<ping xmlns='urn:xmpp:ping'/>");
  EXPECT_EQ(r.attr_or("type"), "result");
  r = iq(kBob, room("r") + "/Bob", "get", "<ping xmlns='urn:xmpp:ping'/>");
  EXPECT_EQ(error_condition(r), "not-acceptable");
}

TEST_F(ServiceTest, SecondSessionOfTheSameUserSharesTheOccupant) {
  create("r");
  join("alice@example.org/tablet", room("r") + "/Alice");
  EXPECT_EQ(service->room(room("r"))->occupant_count(), 1u);
  EXPECT_EQ(service->room(room("r"))->occupant("Alice")->sessions.size(), 2u);
}

TEST_F(ServiceTest, PresenceUpdateIsBroadcastWithoutClientSentOccupantId) {
  create("r");
  join(kBob, room("r") + "/Bob");
  send("<presence from='" + kBob + "' to='" + room("r") +
       "/Bob'><show>away</show><occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/>"
       "</presence>");
  auto to_alice = sent_to(take(), kAlice);
  ASSERT_EQ(to_alice.size(), 1u);
  EXPECT_EQ(to_alice[0].child_text("show", xmpp::ns::kComponent), "away");
  auto occ_ids = to_alice[0].children_named("occupant-id", "urn:xmpp:occupant-id:0");
  ASSERT_EQ(occ_ids.size(), 1u);
  EXPECT_NE(occ_ids[0]->attr_or("id"), "forged");
}

TEST_F(ServiceTest, RejoinFromAJoinedSessionIsAnsweredAsAFullJoin) {
  create("r");
  join(kBob, room("r") + "/Bob");
  auto s = sent_to(join(kBob, room("r") + "/Bob"), kBob);
  ASSERT_EQ(s.size(), 3u);  // Alice, self with 110, subject
  EXPECT_TRUE(has_code(s[1], 110));
  EXPECT_NE(s[2].child("subject", xmpp::ns::kComponent), nullptr);
}

TEST_F(ServiceTest, BouncedPresenceTellsModeratorsTheRealJid) {
  create("r");
  join(kBob, room("r") + "/Bob");
  send("<presence type='error' from='" + kBob + "' to='" + room("r") +
       "/Bob'><error type='cancel'><remote-server-not-found "
       "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
  auto to_alice = sent_to(take(), kAlice);
  ASSERT_EQ(to_alice.size(), 1u);
  EXPECT_EQ(to_alice[0]
                .child("x", "http://jabber.org/protocol/muc#user")
                ->child("item", "http://jabber.org/protocol/muc#user")
                ->attr_or("jid"),
            kBob);
}

TEST_F(ServiceTest, BouncedPresenceRemovesTheOccupantWith333) {
  create("r");
  join(kBob, room("r") + "/Bob");
  send("<presence type='error' from='" + kBob + "' to='" + room("r") +
       "/Bob'><error type='cancel'><remote-server-not-found "
       "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
  auto to_alice = sent_to(take(), kAlice);
  ASSERT_EQ(to_alice.size(), 1u);
  EXPECT_TRUE(has_code(to_alice[0], 333));
  EXPECT_EQ(service->room(room("r"))->occupant("Bob"), nullptr);
}

TEST_F(ServiceTest, IqToAnOccupantIsForwardedAndTheReplyRoutedBack) {
  create("r");
  join(kBob, room("r") + "/Bob");
  send("<iq type='get' id='vc1' from='" + kAlice + "' to='" + room("r") +
       "/Bob'><vCard xmlns='vcard-temp'/></iq>");
  auto s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].attr_or("to"), kBob);
  EXPECT_EQ(s[0].attr_or("from"), room("r") + "/Alice");
  const std::string fwd_id(s[0].attr_or("id"));
  EXPECT_NE(fwd_id, "vc1");  // our own id, so replies from different askers cannot collide
  send("<iq type='result' id='" + fwd_id + "' from='" + kBob + "' to='" + room("r") +
       "/Alice'><vCard xmlns='vcard-temp'/></iq>");
  s = take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].attr_or("to"), kAlice);
  EXPECT_EQ(s[0].attr_or("id"), "vc1");
  EXPECT_EQ(s[0].attr_or("from"), room("r") + "/Bob");
}

}  // namespace
}  // namespace conclave::component::testing
