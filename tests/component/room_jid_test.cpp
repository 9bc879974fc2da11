#include "component/store/room_jid.h"

#include <gtest/gtest.h>

#include <string>

#include "component/core/room_jid_of.h"

namespace conclave::component {
namespace {

TEST(RoomJid, ParsesANodeAtDomain) {
  auto r = RoomJid::parse("room@mls.example.org");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->str(), "room@mls.example.org");
  EXPECT_EQ(r->node(), "room");
  EXPECT_EQ(r->domain(), "mls.example.org");
  EXPECT_FALSE(r->empty());
  EXPECT_TRUE(*r == "room@mls.example.org");
  EXPECT_EQ(*r, *RoomJid::parse("room@mls.example.org"));
  EXPECT_LT(*RoomJid::parse("a@x"), *RoomJid::parse("b@x"));
}

TEST(RoomJid, RefusesWhatIsNotARoomsBareJid) {
  for (const char* bad : {"", "mls.example.org", "@mls.example.org", "room@", "room@mls/res",
                          "a@b@c", "ro om@mls", "room@ml\ts", "room@mls\x7f"}) {
    EXPECT_FALSE(RoomJid::parse(bad).has_value()) << bad;
  }
  EXPECT_FALSE(RoomJid::parse(std::string(1024, 'n') + "@mls").has_value());  // RFC 7622 §3.3
  EXPECT_TRUE(RoomJid::parse(std::string(1023, 'n') + "@mls").has_value());
  EXPECT_FALSE(RoomJid::parse("room@" + std::string(1024, 'd')).has_value());
}

TEST(RoomJid, DefaultIsEmpty) {
  const RoomJid none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.str(), "");
  EXPECT_EQ(none.domain(), "");
}

TEST(RoomJidOf, TakesARoomsBareJidOnly) {
  auto room = room_jid_of(*xmpp::Jid::parse("Room@MLS.example.org"));
  ASSERT_TRUE(room.has_value());
  EXPECT_EQ(room->str(), "room@mls.example.org");  // normalised by xmpp::Jid
  EXPECT_FALSE(room_jid_of(*xmpp::Jid::parse("mls.example.org")).has_value());
  EXPECT_FALSE(room_jid_of(*xmpp::Jid::parse("room@mls.example.org/nick")).has_value());
}

}  // namespace
}  // namespace conclave::component
