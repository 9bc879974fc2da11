// Groupchat in an MLS room (docs/protocol.md §8, AM-1..AM-7): PrivateMessages pass through
// unchanged and archived; plaintext, foreign groups, stale or future epochs and non-members
// are refused, and a refused message is neither reflected nor archived.
#include <gtest/gtest.h>

#include "component/ds/application_check.h"
#include "ds_fixture.h"

namespace conclave::component::testing {
namespace {

class ApplicationTest : public DsTest {
 protected:
  std::optional<mls::Group> grp;

  void SetUp() override {
    DsTest::SetUp();
    grp.emplace(room_with_group_and_bob());
  }

  mls::Group room_with_group_and_bob() {
    mls::Group group = room_with_group();
    join(kBob, room("r") + "/Bob");
    join(kCarol, room("r") + "/Carol");
    take();
    return group;
  }

  std::string encrypted(mls::Group& sender, const std::string& text = "hi") {
    auto m = sender.protect(mls::Bytes(text.begin(), text.end()));
    EXPECT_TRUE(m.has_value());
    return b64(mls::encode(*m));
  }

  std::vector<xmpp::Element> say(const std::string& from, const std::string& payload) {
    send("<message type='groupchat' id='a1' from='" + from + "' to='" + room("r") + "'>" + payload +
         "</message>");
    return take();
  }
  static std::string enc(const std::string& b) {
    return "<encrypted xmlns='urn:xmpp:mls:0'>" + b +
           "</encrypted><body>[This message is end-to-end encrypted with MLS]</body>";
  }
  void advance(int commits) {
    for (int i = 0; i < commits; ++i) {
      auto c = grp->commit();
      ASSERT_TRUE(c.has_value());
      auto r = iq(kAlice, room("r"), "set", commit_xml(*c));
      ASSERT_EQ(r.attr_or("type"), "result");
      *grp = std::move(c->staged).merge();
    }
    take();
  }
};

TEST_F(ApplicationTest, MemberMessageIsReflectedAndArchivedUnchanged) {
  const std::string ct = encrypted(*grp);
  auto sent = say(kAlice, enc(ct));
  ASSERT_EQ(sent.size(), 3u);  // alice, bob, carol
  for (const auto& m : sent) {
    EXPECT_EQ(m.child("encrypted", "urn:xmpp:mls:0")->text(), ct);
  }
  ASSERT_EQ(archive.rows.size(), 1u);
  EXPECT_NE(archive.rows[0].stanza.find(ct), std::string::npos);
}

TEST_F(ApplicationTest, PlaintextBodyIsRefused) {
  auto sent = say(kAlice, "<body>secret in the clear</body>");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(error_condition(sent[0]), "not-acceptable");
  EXPECT_TRUE(archive.rows.empty());
}

TEST_F(ApplicationTest, SubjectAndChatStatesStillPass) {
  auto subject = say(kAlice, "<subject>topic</subject>");
  EXPECT_EQ(subject.size(), 3u);
  auto state = say(kAlice, "<active xmlns='http://jabber.org/protocol/chatstates'/>");
  EXPECT_EQ(state.size(), 3u);
}

TEST_F(ApplicationTest, EpochOlderThanTheWindowIsRefused) {
  const std::string old = encrypted(*grp);  // epoch 0
  advance(4);                               // current 4; window 3 allows 1..4
  auto sent = say(kAlice, enc(old));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(error_condition(sent[0]), "not-acceptable");
  const auto* we =
      sent[0].child("error", xmpp::ns::kComponent)->child("wrong-epoch", "urn:xmpp:mls:0");
  ASSERT_NE(we, nullptr);
  EXPECT_EQ(we->attr_or("current"), "4");
  EXPECT_TRUE(archive.rows.size() == 4u);  // the four commits only
}

TEST_F(ApplicationTest, EpochWithinTheWindowPasses) {
  const std::string old = encrypted(*grp);  // epoch 0
  advance(3);
  EXPECT_EQ(say(kAlice, enc(old)).size(), 3u);
}

TEST_F(ApplicationTest, FutureEpochIsRefused) {
  auto m = grp->protect(mls::Bytes{1, 2, 3});
  ASSERT_TRUE(m.has_value());
  std::get<mls::PrivateMessage>(m->message).epoch = 7;  // the clear header (RFC 9420 §6.3)
  auto sent = say(kAlice, enc(b64(mls::encode(*m))));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(error_condition(sent[0]), "not-acceptable");
}

TEST_F(ApplicationTest, NonMemberSenderIsForbidden) {
  auto sent = say(kCarol, enc(encrypted(*grp)));  // carol is an occupant, not in the group
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(error_condition(sent[0]), "forbidden");
  EXPECT_TRUE(archive.rows.empty());
}

TEST_F(ApplicationTest, ForeignGroupIsRefused) {
  mls::Group other = new_group("alice@example.org", "other");
  auto sent = say(kAlice, enc(encrypted(other)));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(error_condition(sent[0]), "not-acceptable");
}

TEST_F(ApplicationTest, MalformedOrHandshakeCiphertextIsRefused) {
  EXPECT_EQ(error_condition(say(kAlice, enc("%%%"))[0]), "bad-request");
  EXPECT_EQ(error_condition(say(kAlice, enc("AAAA"))[0]), "bad-request");
  auto c = grp->commit();  // a PublicMessage, not a PrivateMessage
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(error_condition(say(kAlice, enc(b64(mls::encode(c->message))))[0]), "bad-request");
  EXPECT_TRUE(archive.rows.empty());
}

TEST_F(ApplicationTest, EncryptedMessageWithoutAGroupIsRefused) {
  create("plain");
  take();
  send("<message type='groupchat' id='a1' from='" + std::string(kAlice) + "' to='" + room("plain") +
       "'>" + enc(encrypted(*grp)) + "</message>");
  auto sent = take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(error_condition(sent[0]), "not-acceptable");
}

TEST_F(ApplicationTest, GroupStateIsLoadedBeforeTheFirstMessageAfterARestart) {
  rebuild();
  join(kAlice, room("r") + "/Alice");
  take();
  auto sent = say(kAlice, "<body>plain</body>");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(error_condition(sent[0]), "not-acceptable");  // knows the group from the store
}

}  // namespace
}  // namespace conclave::component::testing
