// ConsensusRuntime (component/federation/consensus_runtime.h, docs/federation.md §3.3): three
// nodes' runtimes exchanging real stanzas, serialized and parsed again on the way as the
// servers' s2s would carry them, through a router whose links the test cuts.
#include "component/federation/consensus_runtime.h"

#include <gtest/gtest.h>

#include <deque>
#include <set>

#include "component/core/stanza_util.h"
#include "xmpp/jid.h"
#include "xmpp/serializer.h"

namespace conclave::component::federation {
namespace {

const NodeId kA = "room@mls.a.test";
const NodeId kB = "room@mls.b.test";
const NodeId kC = "room@mls.c.test";

// Three nodes and the links between their domains.
struct Net {
  std::deque<std::string> wire;  // serialized stanzas in flight
  std::set<std::pair<std::string, std::string>> cut;
  std::map<std::string, std::unique_ptr<ConsensusRuntime>> nodes;  // by room JID
  std::vector<std::string> logs;

  Net() {
    for (const NodeId& id : {kA, kB, kC}) {
      nodes[id] = std::make_unique<ConsensusRuntime>(
          [this](xmpp::Element s) {
            wire.push_back(xmpp::to_string(s, "jabber:component:accept"));
          },
          [this](const std::string& line) { logs.push_back(line); }, 7);
      EXPECT_TRUE(nodes[id]->configure(id, {kA, kB, kC}, kA));
    }
  }
  static std::string domain(const std::string& jid) { return jid.substr(jid.find('@') + 1); }
  bool is_cut(const std::string& a, const std::string& b) const {
    return cut.count({domain(a), domain(b)}) + cut.count({domain(b), domain(a)}) > 0;
  }
  void deliver_all() {
    for (std::size_t n = wire.size(); n > 0; --n) {
      std::string text = std::move(wire.front());
      wire.pop_front();
      auto s = parse_stanza_xml(text);
      ASSERT_TRUE(s.has_value()) << text;
      const std::string from(s->attr_or("from")), to(s->attr_or("to"));
      if (is_cut(from, to)) continue;  // lost on a cut link
      ASSERT_TRUE(nodes.at(to)->on_stanza(*s)) << text;
    }
  }
  void run(int ticks) {
    for (int t = 0; t < ticks; ++t) {
      for (auto& [id, n] : nodes) n->tick();
      deliver_all();
    }
  }
  ConsensusStatus status(const NodeId& id) const { return *nodes.at(id)->status(id); }
};

TEST(ConsensusRuntime, ThreeNodesAgreeOverStanzasAndElectAnotherSequencerWhenTheHomeIsCutAway) {
  Net net;
  net.run(5);
  ASSERT_EQ(net.status(kA).role, Role::leader);
  ASSERT_TRUE(net.nodes.at(kA)->propose(kA, Hash(32, 0x11)).has_value());
  net.run(10);
  for (const NodeId& id : {kA, kB, kC}) {
    EXPECT_EQ(net.nodes.at(id)->final_commits(id), std::vector<Hash>{Hash(32, 0x11)}) << id;
    EXPECT_EQ(net.status(id).leader, kA) << id;
  }
  // The home is cut away from both mirrors.
  net.cut = {{"mls.a.test", "mls.b.test"}, {"mls.a.test", "mls.c.test"}};
  net.run(200);
  EXPECT_NE(net.status(kA).role, Role::leader);
  EXPECT_FALSE(net.status(kA).leader.has_value());  // it knows it is in a minority
  EXPECT_FALSE(net.nodes.at(kA)->propose(kA, Hash(32, 0x66)).has_value());
  const NodeId seq = net.status(kB).role == Role::leader ? kB : kC;
  ASSERT_EQ(net.status(seq).role, Role::leader);
  EXPECT_GT(net.status(seq).term, 1u);
  ASSERT_TRUE(net.nodes.at(seq)->propose(seq, Hash(32, 0x22)).has_value());
  net.run(10);
  EXPECT_EQ(net.status(kB).committed, net.status(kC).committed);
  // Healed: the former home follows the new sequencer and has both commits.
  net.cut.clear();
  net.run(50);
  for (const NodeId& id : {kA, kB, kC}) {
    EXPECT_EQ(net.status(id).leader, seq) << id;
    EXPECT_EQ(net.nodes.at(id)->final_commits(id),
              (std::vector<Hash>{Hash(32, 0x11), Hash(32, 0x22)}))
        << id;
  }
}

TEST(ConsensusRuntime, OtherStanzasAreNotTaken) {
  Net net;
  for (const char* xml : {"<message from='room@mls.b.test' to='room@mls.a.test' type='groupchat'>"
                          "<body>hi</body></message>",
                          "<iq type='get' from='room@mls.b.test' to='room@mls.a.test' id='1'>"
                          "<vote xmlns='urn:xmpp:mls:0' term='1' granted='true'/></iq>",
                          "<message from='room@mls.b.test' to='room@mls.a.test'/>"}) {
    auto s = parse_stanza_xml(xml);
    ASSERT_TRUE(s.has_value());
    EXPECT_FALSE(net.nodes.at(kA)->on_stanza(*s)) << xml;
  }
}

TEST(ConsensusRuntime, BadConsensusStanzasAreConsumedLoggedAndChangeNothing) {
  Net net;
  const ConsensusStatus before = net.status(kA);
  for (const char* xml :
       {// malformed payload
        "<message from='room@mls.b.test' to='room@mls.a.test'>"
        "<vote xmlns='urn:xmpp:mls:0' term='x' granted='true'/></message>",
        // a full JID is no room
        "<message from='room@mls.b.test/nick' to='room@mls.a.test'>"
        "<append xmlns='urn:xmpp:mls:0' term='9' prev-index='0' prev-term='0' commit-index='0'/>"
        "</message>",
        // a room this node does not serve
        "<message from='room@mls.b.test' to='other@mls.a.test'>"
        "<append xmlns='urn:xmpp:mls:0' term='9' prev-index='0' prev-term='0' commit-index='0'/>"
        "</message>",
        // from outside the mirror set
        "<message from='room@mls.evil.test' to='room@mls.a.test'>"
        "<append xmlns='urn:xmpp:mls:0' term='9' prev-index='0' prev-term='0' commit-index='0'/>"
        "</message>"}) {
    auto s = parse_stanza_xml(xml);
    ASSERT_TRUE(s.has_value());
    EXPECT_TRUE(net.nodes.at(kA)->on_stanza(*s)) << xml;
  }
  EXPECT_EQ(net.logs.size(), 3u);  // the outsider is ignored by the state machine itself
  EXPECT_EQ(net.status(kA).term, before.term);
  EXPECT_EQ(net.status(kA).role, Role::leader);
  EXPECT_TRUE(net.wire.empty());
}

// An in-memory ConsensusStore (the PostgreSQL one is tested in pg_store_test.cpp).
class MemoryStore final : public ConsensusStore {
 public:
  Result<std::optional<ConsensusState>> load(const std::string& room) override {
    auto it = rooms.find(room);
    return it == rooms.end() ? std::optional<ConsensusState>() : std::optional(it->second);
  }
  Status save(const std::string& room, std::uint64_t term, const std::string& voted_for,
              std::uint64_t from, const std::vector<ConsensusEntry>& tail) override {
    ++saves;
    if (fail) return conclave::fail(StoreErrc::conflict);
    ConsensusState& s = rooms[room];
    s.term = term;
    s.voted_for = voted_for;
    s.log.resize(std::min<std::size_t>(from, s.log.size()));
    s.log.insert(s.log.end(), tail.begin(), tail.end());
    return {};
  }
  std::map<std::string, ConsensusState> rooms;
  bool fail = false;
  int saves = 0;
};

// docs/federation.md §3.2: term, vote and log are on disk before anything that depends on them
// leaves, so a node restarted mid-election never votes twice in a term and keeps its entries.
TEST(ConsensusRuntime, ARestartedNodeKeepsItsTermVoteAndLogAndNeverVotesTwiceInATerm) {
  MemoryStore store;
  std::vector<xmpp::Element> sent;
  auto make = [&] {
    auto r = std::make_unique<ConsensusRuntime>([&](xmpp::Element s) { sent.push_back(s); },
                                                [](const std::string&) {}, 3, ConsensusOptions{},
                                                &store);
    EXPECT_TRUE(r->configure(kC, {kA, kB, kC}, kA));
    return r;
  };
  auto c = make();
  EXPECT_EQ(store.rooms.at(kC).term, 1u);  // saved at once
  // The home's entry, then b asking for c's vote in term 5.
  auto feed = [&](ConsensusRuntime& r, const std::string& xml) {
    auto s = parse_stanza_xml(xml);
    ASSERT_TRUE(s.has_value());
    ASSERT_TRUE(r.on_stanza(*s));
  };
  feed(*c,
       "<message from='room@mls.a.test' to='room@mls.c.test'><append xmlns='urn:xmpp:mls:0' "
       "term='1' prev-index='0' prev-term='0' commit-index='0'><entry term='1'>ESIz</entry>"
       "</append></message>");
  sent.clear();
  feed(*c,
       "<message from='room@mls.b.test' to='room@mls.c.test'><vote-request xmlns='urn:xmpp:mls:0' "
       "term='5' last-index='1' last-term='1'/></message>");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].first_child()->attr_or("granted"), "true");
  EXPECT_EQ(store.rooms.at(kC), (ConsensusState{5, kB, {{1, {0x11, 0x22, 0x33}}}}));
  // Restarted: the same term, vote and log; a rival candidate of term 5 gets no second vote.
  c = make();
  EXPECT_EQ(c->status(kC)->term, 5u);
  EXPECT_FALSE(c->status(kC)->leader.has_value());
  sent.clear();
  feed(*c,
       "<message from='room@mls.a.test' to='room@mls.c.test'><vote-request xmlns='urn:xmpp:mls:0' "
       "term='5' last-index='1' last-term='1'/></message>");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].first_child()->attr_or("granted"), "false");
}

TEST(ConsensusRuntime, NothingLeavesThatTheStoreDoesNotBack) {
  MemoryStore store;
  std::vector<xmpp::Element> sent;
  ConsensusRuntime c([&](xmpp::Element s) { sent.push_back(s); }, [](const std::string&) {}, 3,
                     ConsensusOptions{}, &store);
  ASSERT_TRUE(c.configure(kC, {kA, kB, kC}, kA));
  store.fail = true;
  auto s = parse_stanza_xml(
      "<message from='room@mls.b.test' to='room@mls.c.test'><vote-request xmlns='urn:xmpp:mls:0' "
      "term='5' last-index='0' last-term='0'/></message>");
  ASSERT_TRUE(s.has_value());
  ASSERT_TRUE(c.on_stanza(*s));
  EXPECT_TRUE(sent.empty());  // the vote was not saved: it is not given
  EXPECT_EQ(store.rooms.at(kC).term, 1u);
  store.fail = false;
  ASSERT_TRUE(c.on_stanza(*s));  // asked again: saved, then answered
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(store.rooms.at(kC).term, 5u);
  // A heartbeat changes nothing durable: no write.
  const int saves = store.saves;
  auto hb = parse_stanza_xml(
      "<message from='room@mls.b.test' to='room@mls.c.test'><append xmlns='urn:xmpp:mls:0' "
      "term='5' prev-index='0' prev-term='0' commit-index='0'/></message>");
  ASSERT_TRUE(hb.has_value());
  ASSERT_TRUE(c.on_stanza(*hb));
  ASSERT_TRUE(c.on_stanza(*hb));
  EXPECT_EQ(store.saves, saves);
}

TEST(ConsensusRuntime, AMirrorSetMustHoldTheRoomAndTheHomeOnce) {
  ConsensusRuntime r([](xmpp::Element) {}, [](const std::string&) {}, 1);
  EXPECT_FALSE(r.configure(kA, {kB, kC}, kB));      // not this room
  EXPECT_FALSE(r.configure(kA, {kA, kB}, kC));      // not the home
  EXPECT_FALSE(r.configure(kA, {kA, kB, kA}, kA));  // twice
  EXPECT_FALSE(r.status(kA).has_value());
  EXPECT_TRUE(r.configure(kA, {kA}, kA));  // a room with no mirrors: its own sequencer
  EXPECT_EQ(r.status(kA)->role, Role::leader);
  EXPECT_TRUE(r.propose(kA, Hash(32, 1)).has_value());
  EXPECT_EQ(r.final_commits(kA).size(), 1u);
}

}  // namespace
}  // namespace conclave::component::federation
