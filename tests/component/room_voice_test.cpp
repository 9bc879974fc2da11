// Voice in moderated rooms: requests and approvals (XEP-0045 §7.13, §8.6), and the moderator
// grants and revocations of §8.3-§8.5.
#include <gtest/gtest.h>

#include "component/muc/room.h"
#include "fakes.h"

namespace conclave::component::testing {
namespace {

const std::string kAlice = "alice@example.org/phone";
const std::string kBob = "bob@example.org/laptop";
const std::string kCarol = "carol@example.org/pc";
const std::string kAdmin = "<query xmlns='http://jabber.org/protocol/muc#admin'>";

std::string voice_request(const std::string& role = "participant") {
  return "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
         "<value>http://jabber.org/protocol/muc#request</value></field>"
         "<field var='muc#role' type='list-single'><value>" +
         role + "</value></field></x>";
}

std::string approval(const std::string& nick, const std::string& jid, const std::string& allow) {
  return "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
         "<value>http://jabber.org/protocol/muc#request</value></field>"
         "<field var='muc#role'><value>participant</value></field>"
         "<field var='muc#jid'><value>" +
         jid + "</value></field><field var='muc#roomnick'><value>" + nick +
         "</value></field><field var='muc#request_allow'><value>" + allow + "</value></field></x>";
}

class VoiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    create("r", {{"muc#roomconfig_moderatedroom", "1"}});
    join(kBob, room("r") + "/Bob");
  }
  Role role_of(const std::string& nick) {
    const Occupant* o = service->room(room("r"))->occupant(nick);
    return o == nullptr ? Role::none : o->role;
  }
  void message(const std::string& from, const std::string& payload, const std::string& id = "m") {
    send("<message id='" + id + "' from='" + from + "' to='" + room("r") + "'>" + payload +
         "</message>");
  }
};

TEST_F(VoiceTest, VisitorRequestReachesModeratorsAsAnApprovalForm) {
  ASSERT_EQ(role_of("Bob"), Role::visitor);
  join(kCarol, room("r") + "/Carol");  // another visitor: must not receive the form
  message(kBob, voice_request());
  auto all = take();
  auto to_alice = sent_to(all, kAlice);
  ASSERT_EQ(to_alice.size(), 1u);
  EXPECT_EQ(to_alice[0].attr_or("from"), room("r"));
  auto form = xmpp::find_data_form(to_alice[0]);
  ASSERT_TRUE(form && *form);
  EXPECT_EQ((*form)->type, xmpp::FormType::form);
  EXPECT_EQ((*form)->form_type(), "http://jabber.org/protocol/muc#request");
  ASSERT_NE((*form)->field("muc#roomnick"), nullptr);
  EXPECT_EQ((*form)->field("muc#roomnick")->value(), "Bob");
  EXPECT_EQ((*form)->field("muc#jid")->value(), kBob);
  EXPECT_EQ((*form)->field("muc#request_allow")->value(), "false");
  EXPECT_TRUE(sent_to(all, kCarol).empty());
  EXPECT_TRUE(sent_to(all, kBob).empty());
  EXPECT_EQ(role_of("Bob"), Role::visitor);  // a request alone changes nothing
}

TEST_F(VoiceTest, RepeatedRequestsAreLimitedPerOccupant) {
  // RoomEnv's default interval, 60 s (limits.voice_request_interval).
  message(kBob, voice_request());
  ASSERT_EQ(sent_to(take(), kAlice).size(), 1u);
  clock_ms += 59'000;
  message(kBob, voice_request(), "again");
  auto all = take();
  EXPECT_TRUE(sent_to(all, kAlice).empty()) << "the moderators were asked again";
  auto to_bob = sent_to(all, kBob);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_EQ(error_condition(to_bob[0]), "policy-violation");
  EXPECT_EQ(xmpp::parse_stanza_error(to_bob[0])->type, xmpp::ErrorType::wait);
  // Another visitor has its own allowance.
  join(kCarol, room("r") + "/Carol");
  take();
  message(kCarol, voice_request());
  EXPECT_EQ(sent_to(take(), kAlice).size(), 1u);
  // Once the interval has passed, Bob may ask again.
  clock_ms += 1'000;
  message(kBob, voice_request(), "later");
  EXPECT_EQ(sent_to(take(), kAlice).size(), 1u);
}

TEST_F(VoiceTest, ApprovalGrantsParticipantAndEveryoneSeesIt) {
  message(kBob, voice_request());
  take();
  message(kAlice, approval("Bob", kBob, "true"));
  auto all = take();
  EXPECT_EQ(role_of("Bob"), Role::participant);
  auto to_bob = sent_to(all, kBob);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_TRUE(has_code(to_bob[0], 110));
  EXPECT_EQ(to_bob[0]
                .child("x", "http://jabber.org/protocol/muc#user")
                ->child("item", "http://jabber.org/protocol/muc#user")
                ->attr_or("role"),
            "participant");
  EXPECT_EQ(sent_to(all, kAlice).size(), 1u);
  // Bob may speak now.
  send("<message type='groupchat' id='g' from='" + kBob + "' to='" + room("r") +
       "'><body>hi</body></message>");
  auto g = sent_to(take(), kAlice);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].attr_or("type"), "groupchat");
}

TEST_F(VoiceTest, DeclinedApprovalChangesNothing) {
  message(kAlice, approval("Bob", kBob, "false"));
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(role_of("Bob"), Role::visitor);
}

TEST_F(VoiceTest, OnlyModeratorsApprove) {
  join(kCarol, room("r") + "/Carol");
  message(kCarol, approval("Bob", kBob, "true"), "a1");
  auto s = sent_to(take(), kCarol);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "forbidden");
  EXPECT_EQ(role_of("Bob"), Role::visitor);
}

TEST_F(VoiceTest, StaleApprovalForAnotherUserIsRefused) {
  message(kAlice, approval("Bob", "carol@example.org/pc", "true"));
  auto s = sent_to(take(), kAlice);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "item-not-found");
  EXPECT_EQ(role_of("Bob"), Role::visitor);
}

TEST_F(VoiceTest, RequestsFromParticipantsOrNonOccupantsOrForOtherRolesAreRefused) {
  message(kBob, voice_request("moderator"));
  EXPECT_EQ(error_condition(sent_to(take(), kBob).at(0)), "bad-request");
  message(kCarol, voice_request());
  EXPECT_EQ(error_condition(sent_to(take(), kCarol).at(0)), "not-acceptable");
  message(kAlice, voice_request());
  EXPECT_EQ(error_condition(sent_to(take(), kAlice).at(0)), "not-acceptable");
}

TEST_F(VoiceTest, ModeratorRevokesVoiceAndListsVoiceHolders) {
  iq(kAlice, room("r"), "set", kAdmin + "<item nick='Bob' role='participant'/></query>");
  ASSERT_EQ(role_of("Bob"), Role::participant);
  // §8.5: the voice list.
  auto list = iq(kAlice, room("r"), "get", kAdmin + "<item role='participant'/></query>");
  auto items = list.child("query", "http://jabber.org/protocol/muc#admin")
                   ->children_named("item", "http://jabber.org/protocol/muc#admin");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]->attr_or("nick"), "Bob");
  // §8.4: revoke.
  send("<iq type='set' id='rv' from='" + kAlice + "' to='" + room("r") + "'>" + kAdmin +
       "<item nick='Bob' role='visitor'/></query></iq>");
  auto to_bob = sent_to(take(), kBob);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_EQ(to_bob[0]
                .child("x", "http://jabber.org/protocol/muc#user")
                ->child("item", "http://jabber.org/protocol/muc#user")
                ->attr_or("role"),
            "visitor");
  EXPECT_EQ(role_of("Bob"), Role::visitor);
  // A participant may not list voice holders.
  join(kCarol, room("r") + "/Carol");
  iq(kAlice, room("r"), "set", kAdmin + "<item nick='Carol' role='participant'/></query>");
  auto denied = iq(kCarol, room("r"), "get", kAdmin + "<item role='participant'/></query>");
  EXPECT_EQ(error_condition(denied), "forbidden");
}

}  // namespace
}  // namespace conclave::component::testing
