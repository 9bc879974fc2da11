// A room that holds an MLS group outlives its sessions (component/muc/room_group.cpp;
// docs/protocol.md BR-12), against the fake stores and a real delivery service.
#include <gtest/gtest.h>

#include "ds_fixture.h"

namespace conclave::component::testing {
namespace {

class RoomGroupTest : public DsTest {
 protected:
  bool persistent_in_disco() {
    auto info =
        iq(kBob, room("r"), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    return xmpp::to_string(info).find("muc_persistent") != std::string::npos;
  }
  static bool has_status(const xmpp::Element& s, int code) {
    const auto* x = s.child("x", "http://jabber.org/protocol/muc#user");
    if (x == nullptr) return false;
    for (const auto& c : x->children()) {
      if (c.name() == "status" && c.attr_or("code") == std::to_string(code)) return true;
    }
    return false;
  }
};

TEST_F(RoomGroupTest, CreatingTheGroupMakesATemporaryRoomPersistentAndTellsTheOccupants) {
  create("r");  // an instant room: temporary
  join(kBob, room("r") + "/Bob");
  ASSERT_FALSE(persistent_in_disco());
  mls::Group g = new_group("alice@example.org");
  send("<iq type='set' id='c' from='" + std::string(kAlice) + "' to='" + room("r") + "'>" +
       xmpp::to_string(create_iq_payload(g)) + "</iq>");
  auto sent = take();
  int told = 0;
  for (const auto& s : sent) {
    if (s.name() == "message" && has_status(s, 104)) ++told;
  }
  EXPECT_EQ(told, 2) << "alice and bob learn of the configuration change (XEP-0045 §10.2.1)";
  EXPECT_TRUE(persistent_in_disco());
  EXPECT_TRUE(service->room(room("r"))->holds_group());
}

TEST_F(RoomGroupTest, TheRoomOutlivesItsLastOccupant) {
  room_with_group();  // created as a temporary room
  send("<presence type='unavailable' from='" + std::string(kAlice) + "' to='" + room("r") +
       "/Alice'/>");
  take();
  const Room* r = service->room(room("r"));
  ASSERT_NE(r, nullptr) << "a room with a group never ends with its occupants";
  EXPECT_FALSE(r->gone());
  EXPECT_EQ(room_store.rows.count(room_jid(room("r"))), 1u);
  auto g = mls_store.load_group(room_jid(room("r")));
  ASSERT_TRUE(g && *g);
  // Entering again is entering that room, not creating a new one (no 201, alice stays owner).
  auto s = sent_to(join("bob@example.org/laptop", room("r") + "/Bob"), kBob);
  ASSERT_FALSE(s.empty());
  EXPECT_FALSE(has_status(s.front(), 201));
  EXPECT_EQ(service->room(room("r"))->affiliation_of("bob@example.org"), Affiliation::none);
  EXPECT_EQ(service->room(room("r"))->affiliation_of("alice@example.org"), Affiliation::owner);
}

TEST_F(RoomGroupTest, AConfigurationThatMakesItTemporaryIsRefused) {
  room_with_group({{"muc#roomconfig_persistentroom", "1"}});
  send("<iq type='set' id='cfg' from='" + std::string(kAlice) + "' to='" + room("r") +
       "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
       "type='submit'><field var='muc#roomconfig_persistentroom'><value>0</value></field>"
       "</x></query></iq>");
  auto sent = take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(error_condition(sent[0]), "not-acceptable");
  EXPECT_TRUE(service->room(room("r"))->config().persistent);
  EXPECT_TRUE(room_store.rows.at(room_jid(room("r"))).persistent);
}

TEST_F(RoomGroupTest, ARoomHoldingAGroupLoadsBackPersistentWhateverItsFlagSays) {
  room_with_group();
  RoomRecord& row = room_store.rows.at(room_jid(room("r")));
  row.has_group = true;  // what PostgreSQL reads from rooms.mls_group_id
  row.persistent = false;
  rebuild();  // a restart: the purge keeps it, the load brings it back
  const Room* r = service->room(room("r"));
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->config().persistent);
  EXPECT_TRUE(r->holds_group());
}

}  // namespace
}  // namespace conclave::component::testing
