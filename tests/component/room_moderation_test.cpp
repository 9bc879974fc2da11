// Moderated message retraction (XEP-0425 0.3.0 and the 0.2.1 form): broadcast, MAM tombstone,
// history, permissions.
#include <gtest/gtest.h>

#include "component/muc/room.h"
#include "fakes.h"

namespace conclave::component::testing {
namespace {

const std::string kAlice = "alice@example.org/phone";
const std::string kBob = "bob@example.org/laptop";
const std::string kCarol = "carol@example.org/pc";
constexpr const char* kRetract1 = "urn:xmpp:message-retract:1";
constexpr const char* kModerate1 = "urn:xmpp:message-moderate:1";

std::string moderate_v1(const std::string& id, const std::string& reason = "spam") {
  return "<moderate xmlns='urn:xmpp:message-moderate:1' id='" + id +
         "'><retract xmlns='urn:xmpp:message-retract:1'/><reason>" + reason +
         "</reason></moderate>";
}

std::string moderate_v0(const std::string& id) {
  return "<apply-to xmlns='urn:xmpp:fasten:0' id='" + id +
         "'><moderate xmlns='urn:xmpp:message-moderate:0'>"
         "<retract xmlns='urn:xmpp:message-retract:0'/></moderate></apply-to>";
}

class ModerationTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    create("r");
    join(kBob, room("r") + "/Bob");
    join(kCarol, room("r") + "/Carol");
    send("<message type='groupchat' id='b1' from='" + kBob + "' to='" + room("r") +
         "'><body>buy potions</body></message>");
    auto s = sent_to(take(), kAlice);
    ASSERT_EQ(s.size(), 1u);
    bad_id = std::string(s[0].child("stanza-id", "urn:xmpp:sid:0")->attr_or("id"));
  }
  const ArchivedMessage* archived(const std::string& id) {
    for (const auto& m : archive.rows) {
      if (m.stanza_id == id) return &m;
    }
    return nullptr;
  }
  std::string bad_id;
};

TEST_F(ModerationTest, RetractionIsBroadcastWithModeratorAndReason) {
  send("<iq type='set' id='mod' from='" + kAlice + "' to='" + room("r") + "'>" +
       moderate_v1(bad_id) + "</iq>");
  auto all = take();
  for (const std::string& who : {kAlice, kBob, kCarol}) {
    auto got = sent_to(all, who);
    const xmpp::Element* notice = nullptr;
    for (const auto& e : got) {
      if (e.name() == "message") notice = &e;
    }
    ASSERT_NE(notice, nullptr) << who;
    EXPECT_EQ(notice->attr_or("from"), room("r"));
    EXPECT_EQ(notice->attr_or("type"), "groupchat");
    const xmpp::Element* r = notice->child("retract", kRetract1);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->attr_or("id"), bad_id);
    const xmpp::Element* by = r->child("moderated", kModerate1);
    ASSERT_NE(by, nullptr);
    EXPECT_EQ(by->attr_or("by"), room("r") + "/Alice");
    EXPECT_NE(by->child("occupant-id", "urn:xmpp:occupant-id:0"), nullptr);
    EXPECT_EQ(r->child_text("reason", kModerate1), "spam");
    // The 0.2.1 form rides along for older clients.
    const xmpp::Element* apply = notice->child("apply-to", "urn:xmpp:fasten:0");
    ASSERT_NE(apply, nullptr);
    EXPECT_EQ(apply->attr_or("id"), bad_id);
    EXPECT_NE(apply->child("moderated", "urn:xmpp:message-moderate:0"), nullptr);
  }
  auto iq_reply = std::find_if(all.begin(), all.end(), [](const xmpp::Element& e) {
    return e.name() == "iq" && e.attr_or("id") == "mod";
  });
  ASSERT_NE(iq_reply, all.end());
  EXPECT_EQ(iq_reply->attr_or("type"), "result");
}

TEST_F(ModerationTest, ArchivedMessageBecomesATombstoneAndTheRetractionIsArchived) {
  const std::size_t before = archive.rows.size();
  auto r = iq(kAlice, room("r"), "set", moderate_v1(bad_id));
  ASSERT_EQ(r.attr_or("type"), "result");
  const ArchivedMessage* m = archived(bad_id);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->stanza.find("buy potions"), std::string::npos) << m->stanza;
  auto t = parse_stanza_xml(m->stanza);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->child("body", "jabber:client"), nullptr);
  const xmpp::Element* retracted = t->child("retracted", kRetract1);
  ASSERT_NE(retracted, nullptr);
  EXPECT_FALSE(retracted->attr_or("stamp").empty());
  EXPECT_EQ(retracted->child("moderated", kModerate1)->attr_or("by"), room("r") + "/Alice");
  // Ids stay, so clients can match the tombstone with what they had.
  EXPECT_EQ(t->child("stanza-id", "urn:xmpp:sid:0")->attr_or("id"), bad_id);
  EXPECT_NE(t->child("occupant-id", "urn:xmpp:occupant-id:0"), nullptr);
  EXPECT_EQ(t->attr_or("from"), room("r") + "/Bob");
  EXPECT_NE(t->child("moderated", "urn:xmpp:message-moderate:0"), nullptr);
  // The announcement itself is archived, for clients catching up by MAM.
  ASSERT_EQ(archive.rows.size(), before + 1);
  EXPECT_NE(archive.rows.back().stanza.find(kRetract1), std::string::npos);
}

TEST_F(ModerationTest, MamServesTheTombstone) {
  iq(kAlice, room("r"), "set", moderate_v1(bad_id));
  send("<iq type='set' id='mam' from='" + kAlice + "' to='" + room("r") +
       "'><query xmlns='urn:xmpp:mam:2' queryid='q1'/></iq>");
  auto to_alice = sent_to(take(), kAlice);
  bool saw_tombstone = false;
  for (const auto& e : to_alice) {
    const xmpp::Element* res = e.child("result", "urn:xmpp:mam:2");
    if (res == nullptr || res->attr_or("id") != bad_id) continue;
    const xmpp::Element* inner =
        res->child("forwarded", "urn:xmpp:forward:0")->child("message", "jabber:client");
    ASSERT_NE(inner, nullptr);
    EXPECT_EQ(inner->child("body", "jabber:client"), nullptr);
    EXPECT_NE(inner->child("retracted", kRetract1), nullptr);
    saw_tombstone = true;
  }
  EXPECT_TRUE(saw_tombstone);
}

TEST_F(ModerationTest, RetractedMessageLeavesTheJoinHistory) {
  iq(kAlice, room("r"), "set", moderate_v1(bad_id));
  auto s = join("dave@example.org/x", room("r") + "/Dave");
  for (const auto& e : s) {
    if (e.name() != "message") continue;
    EXPECT_EQ(e.child("body", xmpp::ns::kComponent), nullptr) << "history still has the message";
  }
}

TEST_F(ModerationTest, LegacyRequestFormIsAccepted) {
  auto r = iq(kAlice, room("r"), "set", moderate_v0(bad_id));
  EXPECT_EQ(r.attr_or("type"), "result");
  EXPECT_NE(archived(bad_id)->stanza.find(kRetract1), std::string::npos);
}

TEST_F(ModerationTest, NonModeratorIsForbiddenAndNothingChanges) {
  auto r = iq(kCarol, room("r"), "set", moderate_v1(bad_id));
  EXPECT_EQ(error_condition(r), "forbidden");
  EXPECT_NE(archived(bad_id)->stanza.find("buy potions"), std::string::npos);
  auto outsider = iq("eve@example.org/x", room("r"), "set", moderate_v1(bad_id));
  EXPECT_EQ(error_condition(outsider), "forbidden");
}

TEST_F(ModerationTest, UnknownIdIsItemNotFoundAndNothingIsBroadcast) {
  send("<iq type='set' id='mod' from='" + kAlice + "' to='" + room("r") + "'>" +
       moderate_v1("no-such-id") + "</iq>");
  auto all = take();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(error_condition(all[0]), "item-not-found");
}

TEST_F(ModerationTest, MalformedRequestIsBadRequest) {
  auto r = iq(kAlice, room("r"), "set",
              "<moderate xmlns='urn:xmpp:message-moderate:1' id='" + bad_id + "'/>");
  EXPECT_EQ(error_condition(r), "bad-request");
  auto no_id = iq(kAlice, room("r"), "set",
                  "<moderate xmlns='urn:xmpp:message-moderate:1'>"
                  "<retract xmlns='urn:xmpp:message-retract:1'/></moderate>");
  EXPECT_EQ(error_condition(no_id), "bad-request");
}

TEST_F(ModerationTest, StoreFailureIsReportedAndNothingIsBroadcast) {
  room_store.fail_next = true;
  send("<iq type='set' id='mod' from='" + kAlice + "' to='" + room("r") + "'>" +
       moderate_v1(bad_id) + "</iq>");
  auto all = take();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(error_condition(all[0]), "internal-server-error");
  EXPECT_NE(archived(bad_id)->stanza.find("buy potions"), std::string::npos);
}

TEST_F(ModerationTest, TombstoneNeverLandsWithoutItsNotice) {
  // The archive's own append path fails: the notice must not depend on it, or the tombstone
  // would be stored while the retraction MAM clients need to see is not.
  const std::size_t before = archive.rows.size();
  archive.fail_next = true;
  auto r = iq(kAlice, room("r"), "set", moderate_v1(bad_id));
  const bool tombstoned = archived(bad_id)->stanza.find("buy potions") == std::string::npos;
  const bool noticed = archive.rows.size() == before + 1;
  EXPECT_EQ(tombstoned, noticed);
  EXPECT_EQ(r.attr_or("type") == "result", tombstoned);
}

}  // namespace
}  // namespace conclave::component::testing
