// The mirrors' consensus messages on the wire (component/federation/consensus_wire.h,
// docs/federation.md §3.3): each kind round-trips, and every malformed or oversized payload a
// peer server could send is refused with a reason.
#include "component/federation/consensus_wire.h"

#include <gtest/gtest.h>

#include "component/core/stanza_util.h"

namespace conclave::component::federation {
namespace {

const NodeId kFrom = "room@mls.a.test";
const NodeId kTo = "room@mls.b.test";

xmpp::Element wire_payload(const std::string& xml) {
  auto msg = parse_stanza_xml("<message>" + xml + "</message>");
  EXPECT_TRUE(msg.has_value()) << xml;
  return msg && msg->first_child() ? *msg->first_child() : xmpp::Element();
}

void expect_same_message(const Message& x, const Message& y) {
  EXPECT_EQ(x.from, y.from);
  EXPECT_EQ(x.to, y.to);
  ASSERT_EQ(x.kind, y.kind);
  EXPECT_EQ(x.vote_request.term, y.vote_request.term);
  EXPECT_EQ(x.vote_request.last_index, y.vote_request.last_index);
  EXPECT_EQ(x.vote_request.last_term, y.vote_request.last_term);
  EXPECT_EQ(x.vote_request.pre, y.vote_request.pre);
  EXPECT_EQ(x.vote_reply.pre, y.vote_reply.pre);
  EXPECT_EQ(x.vote_reply.term, y.vote_reply.term);
  EXPECT_EQ(x.vote_reply.granted, y.vote_reply.granted);
  EXPECT_EQ(x.append.term, y.append.term);
  EXPECT_EQ(x.append.prev_index, y.append.prev_index);
  EXPECT_EQ(x.append.prev_term, y.append.prev_term);
  EXPECT_EQ(x.append.commit_index, y.append.commit_index);
  EXPECT_EQ(x.append.entries, y.append.entries);
  EXPECT_EQ(x.append_reply.term, y.append_reply.term);
  EXPECT_EQ(x.append_reply.success, y.append_reply.success);
  EXPECT_EQ(x.append_reply.match_index, y.append_reply.match_index);
}

TEST(ConsensusWire, EveryKindRoundTrips) {
  std::vector<Message> all(6);
  for (Message& m : all) {
    m.from = kFrom;
    m.to = kTo;
  }
  all[0].kind = Message::Kind::vote_request;
  all[0].vote_request = {7, 12, 6};
  all[1].kind = Message::Kind::vote_reply;
  all[1].vote_reply = {7, true};
  all[2].kind = Message::Kind::append;
  all[2].append = {7, 11, 6, {{6, Hash(32, 0xab)}, {7, {}}}, 11};  // a commit, then a no-op
  all[3].kind = Message::Kind::append_reply;
  all[3].append_reply = {7, false, 3};
  all[4].kind = Message::Kind::vote_request;
  all[4].vote_request = {8, 12, 6, true};  // a pre-vote
  all[5].kind = Message::Kind::vote_reply;
  all[5].vote_reply = {8, false, true};
  for (const Message& m : all) {
    const xmpp::Element e = encode(m);
    EXPECT_TRUE(is_consensus_payload(e));
    WireError err;
    auto back = decode(e, kFrom, kTo, &err);
    ASSERT_TRUE(back.has_value()) << err.what;
    expect_same_message(*back, m);
  }
}

TEST(ConsensusWire, TheAddressesComeFromTheStanzaNotThePayload) {
  auto m =
      decode(wire_payload("<vote xmlns='urn:xmpp:mls:0' term='2' granted='false' from='x@y'/>"),
             kTo, kFrom);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->from, kTo);
  EXPECT_EQ(m->to, kFrom);
}

TEST(ConsensusWire, MalformedPayloadsAreRefusedWithAReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"<vote xmlns='urn:xmpp:mls:0' granted='true'/>", "term missing"},
      {"<vote xmlns='urn:xmpp:mls:0' term='-1' granted='true'/>", "term malformed"},
      {"<vote xmlns='urn:xmpp:mls:0' term='01' granted='true'/>", "term malformed"},
      {"<vote xmlns='urn:xmpp:mls:0' term=' 1' granted='true'/>", "term malformed"},
      {"<vote xmlns='urn:xmpp:mls:0' term='9223372036854775808' granted='true'/>",
       "term malformed"},
      {"<vote xmlns='urn:xmpp:mls:0' term='1' granted='yes'/>", "granted malformed"},
      {"<vote xmlns='urn:xmpp:mls:0' term='1' granted='true' pre='1'/>", "pre malformed"},
      {"<vote xmlns='urn:xmpp:mls:0' term='1' granted='true'><x/></vote>", "has children"},
      {"<vote-request xmlns='urn:xmpp:mls:0' term='1' last-index='2'/>", "last-term missing"},
      {"<append-ack xmlns='urn:xmpp:mls:0' term='1' success='true'/>", "match-index missing"},
      {"<append xmlns='urn:xmpp:mls:0' term='1' prev-index='0' prev-term='0'/>",
       "commit-index missing"},
      {"<append xmlns='urn:xmpp:mls:0' term='1' prev-index='0' prev-term='0' commit-index='0'>"
       "<entry term='1'>!!</entry></append>",
       "entry hash malformed"},
      {"<append xmlns='urn:xmpp:mls:0' term='1' prev-index='0' prev-term='0' commit-index='0'>"
       "<other term='1'/></append>",
       "unexpected <other/>"},
      {"<append xmlns='urn:xmpp:mls:0' term='1' prev-index='0' prev-term='0' commit-index='0'>"
       "text</append>",
       "text in <append/>"},
      {"<append xmlns='urn:xmpp:mls:0' term='1' prev-index='9223372036854775807' prev-term='0' "
       "commit-index='0'><entry term='1'/></append>",
       "prev-index out of range"},
      {"<vote xmlns='urn:xmpp:mls:1' term='1' granted='true'/>", "not a consensus message"},
  };
  for (const auto& [xml, reason] : cases) {
    WireError err;
    EXPECT_FALSE(decode(wire_payload(xml), kFrom, kTo, &err).has_value()) << xml;
    EXPECT_NE(err.what.find(reason), std::string::npos) << xml << " -> " << err.what;
  }
}

TEST(ConsensusWire, SizesAreBounded) {
  Message m;
  m.kind = Message::Kind::append;
  m.append.term = 1;
  for (std::size_t i = 0; i <= kMaxWireEntries; ++i) m.append.entries.push_back({1, Hash(32, 1)});
  WireError err;
  EXPECT_FALSE(decode(encode(m), kFrom, kTo, &err).has_value());
  EXPECT_NE(err.what.find("entries"), std::string::npos) << err.what;
  m.append.entries = {{1, Hash(kMaxHashBytes + 1, 1)}};
  EXPECT_FALSE(decode(encode(m), kFrom, kTo, &err).has_value());
  m.append.entries = {{1, Hash(kMaxHashBytes, 1)}};
  EXPECT_TRUE(decode(encode(m), kFrom, kTo, &err).has_value()) << err.what;
}

}  // namespace
}  // namespace conclave::component::federation
