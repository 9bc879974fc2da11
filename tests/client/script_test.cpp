#include "client/script.h"

#include <gtest/gtest.h>

namespace conclave::client {
namespace {

TEST(ScriptRequest, ParsesOps) {
  auto r = parse_request(R"({"op":"send","room":"r@mls.localhost","text":"hi","id":7})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->op, "send");
  EXPECT_EQ(r->room, "r@mls.localhost");
  EXPECT_EQ(r->text, "hi");
  EXPECT_EQ(r->id, 7);
  auto inv = parse_request(R"({"op":"invite","room":"r@x","jid":"bob@localhost"})");
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->jid, "bob@localhost");
  auto w = parse_request(R"({"op":"wait","ms":250})");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->ms, 250);
  EXPECT_EQ(inv->welcome_tree, std::nullopt);
  auto never = parse_request(R"({"op":"invite","room":"r@x","jid":"b@x","welcome_tree":"never"})");
  ASSERT_TRUE(never);
  EXPECT_EQ(never->welcome_tree, WelcomeTree::never);
  auto empty_text = parse_request(R"({"op":"send","room":"r@x","text":""})");
  ASSERT_TRUE(empty_text);  // an empty message is still a message
  auto year = parse_request(R"({"op":"publish","count":1,"lifetime":31536000})");
  ASSERT_TRUE(year);
  EXPECT_EQ(year->lifetime, 31536000);
  EXPECT_EQ(w->lifetime, 0);  // absent: the client's own lifetime
}

TEST(ScriptRequest, RejectsBadRequests) {
  const char* bad[] = {
      "",
      "not json",
      "[1,2]",
      R"({"room":"r@x"})",                       // no op
      R"({"op":"explode"})",                     // unknown op
      R"({"op":"create"})",                      // room missing
      R"({"op":"create","room":""})",            // room empty
      R"({"op":"create","room":5})",             // room not a string
      R"({"op":"invite","room":"r@x"})",         // jid missing
      R"({"op":"send","room":"r@x"})",           // text missing
      R"({"op":"send","room":"r@x","text":1})",  // text not a string
      R"({"op":"wait","ms":-5})",                // negative
      R"({"op":"publish","count":"3"})",         // count not a number
      R"({"op":"publish","lifetime":-1})",       // negative lifetime
      R"({"op":"invite","room":"r@x","jid":"b@x","welcome_tree":"sometimes"})",  // unknown mode
      R"({"op":"invite","room":"r@x","jid":"b@x","welcome_tree":false})",        // not a string
      R"({"op":"send","room":"r@x","text":"t","welcome_tree":"never"})",         // not an invite
  };
  for (const char* line : bad) {
    auto r = parse_request(line);
    EXPECT_FALSE(r) << line;
    if (!r) {
      EXPECT_EQ(r.error(), make_error_code(Errc::invalid_request)) << line;
    }
  }
}

TEST(ScriptJson, EventCarriesRoomAndEpoch) {
  Event e{"message", "r@mls.localhost", "bob@localhost", "bob", "hello", 3, ""};
  const auto j = event_json(e);
  EXPECT_EQ(j["event"], "message");
  EXPECT_EQ(j["room"], "r@mls.localhost");
  EXPECT_EQ(j["from"], "bob@localhost");
  EXPECT_EQ(j["nick"], "bob");
  EXPECT_EQ(j["text"], "hello");
  EXPECT_EQ(j["epoch"], 3);
  EXPECT_FALSE(j.contains("detail"));
  Event empty{"message", "r@x", "a@x", "", "", 0, ""};
  EXPECT_EQ(event_json(empty)["text"], "");  // messages always carry text
  EXPECT_EQ(event_json(empty)["epoch"], 0);
}

TEST(ScriptJson, ErrorCarriesStanzaCondition) {
  ScriptRequest r;
  r.op = "invite";
  r.room = "r@x";
  r.id = "abc";
  ServiceError se;
  se.condition = "conflict";
  se.app_condition = "wrong-epoch";
  se.current_epoch = 9;
  const auto j = error_json(r, make_error_code(Errc::wrong_epoch), se);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["op"], "invite");
  EXPECT_EQ(j["id"], "abc");
  EXPECT_EQ(j["error"], "wrong_epoch");
  EXPECT_EQ(j["condition"], "conflict");
  EXPECT_EQ(j["app_condition"], "wrong-epoch");
  EXPECT_EQ(j["current_epoch"], 9);
  // A local error does not drag in an older stanza error.
  const auto local = error_json(r, make_error_code(Errc::no_group), se);
  EXPECT_EQ(local["error"], "no_group");
  EXPECT_FALSE(local.contains("condition"));
}

}  // namespace
}  // namespace conclave::client
