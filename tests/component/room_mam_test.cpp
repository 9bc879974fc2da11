// MAM on the room JID with RSM paging (XEP-0313, XEP-0059), against the fake archive.
#include <gtest/gtest.h>

#include "component/muc/room.h"
#include "fakes.h"

namespace conclave::component::testing {
namespace {

const std::string kAlice = "alice@example.org/phone";
const std::string kBob = "bob@example.org/laptop";

struct Page {
  std::vector<std::string> bodies;
  std::string first, last;
  bool complete = false;
  std::string error;
};

class MamTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    create("r");
    for (int i = 0; i < 7; ++i) {
      clock_ms += 1000;
      send("<message type='groupchat' id='m' from='" + kAlice + "' to='" + room("r") + "'><body>m" +
           std::to_string(i) + "</body></message>");
    }
    take();
  }
  Page query(const std::string& from, const std::string& inner) {
    send("<iq type='set' id='mam' from='" + from + "' to='" + room("r") +
         "'><query xmlns='urn:xmpp:mam:2' queryid='qq'>" + inner + "</query></iq>");
    Page p;
    for (const auto& s : take()) {
      if (s.name() == "message") {
        const auto* r = s.child("result", "urn:xmpp:mam:2");
        EXPECT_NE(r, nullptr);
        EXPECT_EQ(r->attr_or("queryid"), "qq");
        const auto* m =
            r->child("forwarded", "urn:xmpp:forward:0")->child("message", "jabber:client");
        EXPECT_NE(r->child("forwarded", "urn:xmpp:forward:0")->child("delay", "urn:xmpp:delay"),
                  nullptr);
        p.bodies.push_back(m->child_text("body", "jabber:client"));
      } else if (s.attr_or("type") == "error") {
        p.error = error_condition(s);
      } else {
        const auto* fin = s.child("fin", "urn:xmpp:mam:2");
        p.complete = fin->attr_or("complete") == "true";
        const auto* set = fin->child("set", "http://jabber.org/protocol/rsm");
        p.first = set->child_text("first", "http://jabber.org/protocol/rsm");
        p.last = set->child_text("last", "http://jabber.org/protocol/rsm");
      }
    }
    return p;
  }
  static std::string rsm(const std::string& inner) {
    return "<set xmlns='http://jabber.org/protocol/rsm'>" + inner + "</set>";
  }
};

TEST_F(MamTest, PagesForwardWithAfterUntilComplete) {
  std::vector<std::string> all;
  Page p = query(kAlice, rsm("<max>3</max>"));
  all.insert(all.end(), p.bodies.begin(), p.bodies.end());
  EXPECT_FALSE(p.complete);
  while (!p.complete) {
    p = query(kAlice, rsm("<max>3</max><after>" + p.last + "</after>"));
    all.insert(all.end(), p.bodies.begin(), p.bodies.end());
  }
  EXPECT_EQ(all, (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4", "m5", "m6"}));
}

TEST_F(MamTest, EmptyBeforeGivesTheLastPageAndBeforePagesBackwards) {
  Page p = query(kAlice, rsm("<max>2</max><before/>"));
  EXPECT_EQ(p.bodies, (std::vector<std::string>{"m5", "m6"}));
  EXPECT_FALSE(p.complete);
  p = query(kAlice, rsm("<max>10</max><before>" + p.first + "</before>"));
  EXPECT_EQ(p.bodies, (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"}));
  EXPECT_TRUE(p.complete);
}

TEST_F(MamTest, UnknownAfterIdIsItemNotFound) {
  EXPECT_EQ(query(kAlice, rsm("<after>nope</after>")).error, "item-not-found");
}

TEST_F(MamTest, TimeFilterFromTheForm) {
  // Messages were stamped 1..7 s after the base clock; start at +5 s keeps m4..m6.
  const std::string start =
      format_timestamp(TimePoint(std::chrono::milliseconds(1'700'000'000'000 + 5000)));
  Page p = query(kAlice,
                 "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
                 "<value>urn:xmpp:mam:2</value></field><field var='start'><value>" +
                     start + "</value></field></x>");
  EXPECT_EQ(p.bodies, (std::vector<std::string>{"m4", "m5", "m6"}));
}

TEST_F(MamTest, MembersOnlyArchiveIsForbiddenToNonMembers) {
  ASSERT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_membersonly", "1"}}), "result");
  EXPECT_EQ(query(kBob, rsm("<max>1</max>")).error, "forbidden");
  EXPECT_EQ(query(kAlice, rsm("<max>1</max>")).bodies.size(), 1u);
}

TEST_F(MamTest, MaxIsCappedByTheServiceLimit) {
  // mam_max_page is 100 in the fixture; a huge max still returns everything there is (7), and
  // a non-number is a bad request.
  EXPECT_EQ(query(kAlice, rsm("<max>100000</max>")).bodies.size(), 7u);
  EXPECT_EQ(query(kAlice, rsm("<max>lots</max>")).error, "bad-request");
}

TEST_F(MamTest, QueryFormListsTheFilters) {
  auto r = iq(kAlice, room("r"), "get", "<query xmlns='urn:xmpp:mam:2'/>");
  auto form = xmpp::find_data_form(*r.child("query", "urn:xmpp:mam:2"));
  ASSERT_TRUE(form && *form);
  EXPECT_NE((*form)->field("start"), nullptr);
  EXPECT_NE((*form)->field("after-id"), nullptr);
}

}  // namespace
}  // namespace conclave::component::testing
