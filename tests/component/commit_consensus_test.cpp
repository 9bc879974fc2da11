// CommitConsensus (component/federation/, docs/federation.md §3): the mirrors of a private group
// chat agree on one commit per epoch. Unit cases for each rule, then a randomised simulation:
// 3 and 5 mirrors on a network that delays, drops, duplicates and reorders messages and splits
// the mirror set at random, with members proposing commits wherever they see a leader. After
// every step it checks, over every node:
//   (1) at most one leader per term, ever;
//   (2) no two nodes hold different final entries at one index, ever, and no final entry
//       changes: no two commits for one epoch (the invariant);
//   (3) a leader cut off in a minority side never makes an entry final;
//   (4) once the network is whole again and quiet, a leader is elected and a new commit
//       becomes final everywhere within a bounded number of ticks.
// The seeds and lengths here keep the suite quick; CONCLAVE_CONSENSUS_SEEDS runs more (a soak,
// outside CI).
#include "component/federation/commit_consensus.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>

namespace conclave::component::federation {
namespace {

Hash hash_of(std::uint64_t n) {
  Hash h(8);
  for (int i = 0; i < 8; ++i)
    h[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  return h;
}

std::vector<NodeId> names(std::size_t n) {
  std::vector<NodeId> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back("room@mls." + std::string(1, char('a' + i)) + ".test");
  return out;
}

// Delivers every message at once, in order, until no node has anything to say (a whole,
// reliable network), for up to `rounds` rounds.
void settle(std::map<NodeId, CommitConsensus>& nodes, std::vector<Message> pending,
            int rounds = 50) {
  for (int r = 0; r < rounds && !pending.empty(); ++r) {
    std::vector<Message> next;
    for (const Message& m : pending) {
      auto out = nodes.at(m.to).receive(m);
      next.insert(next.end(), out.begin(), out.end());
    }
    pending = std::move(next);
  }
}

// elect: `cand` and `voters` hear no sequencer; ticks them until `cand` asks for pre-votes,
// runs its pre-vote and vote with `voters` only (repeating when it learns a higher term), and
// returns what it sends once elected (its first appends), or nothing if it was not.
std::vector<Message> elect(std::map<NodeId, CommitConsensus>& nodes, CommitConsensus& cand,
                           const std::set<NodeId>& voters) {
  const std::uint64_t was = cand.term();  // a sitting leader must step down first
  auto elected = [&] { return cand.role() == Role::leader && cand.term() > was; };
  for (int attempt = 0; attempt < 5 && !elected(); ++attempt) {
    std::vector<Message> asks;
    for (int t = 0; t < 200 && asks.empty(); ++t) {
      for (const NodeId& v : voters) nodes.at(v).tick();  // what they say is lost
      for (Message& m : cand.tick()) {
        if (m.kind == Message::Kind::vote_request) asks.push_back(std::move(m));
      }
    }
    // Pre-votes, then (if they gave a majority) the votes themselves, then the first appends.
    for (int phase = 0; phase < 2 && !asks.empty(); ++phase) {
      std::vector<Message> next;
      for (const Message& m : asks) {
        if (voters.count(m.to) == 0) continue;
        for (const Message& r : nodes.at(m.to).receive(m)) {
          for (Message& x : cand.receive(r)) next.push_back(std::move(x));
        }
      }
      asks = std::move(next);
      if (elected()) return asks;
    }
  }
  return {};
}

std::map<NodeId, CommitConsensus> cluster(std::size_t n, std::uint64_t seed = 1) {
  std::map<NodeId, CommitConsensus> nodes;
  const auto ids = names(n);
  for (std::size_t i = 0; i < n; ++i)
    nodes.emplace(ids[i], CommitConsensus(ids[i], ids, ids[0], seed + i));
  return nodes;
}

TEST(CommitConsensus, TheHomeLeadsTermOneAndACommitIsFinalOnceAMajorityStoresIt) {
  auto nodes = cluster(3);
  CommitConsensus& home = nodes.at(names(3)[0]);
  EXPECT_EQ(home.role(), Role::leader);
  EXPECT_EQ(nodes.at(names(3)[1]).leader(), names(3)[0]);
  ASSERT_EQ(home.propose(hash_of(7)), 0u);
  EXPECT_EQ(home.committed(), 0u);  // not before a majority stores it
  auto out = home.flush();
  ASSERT_EQ(out.size(), 2u);
  // One mirror stores it: with the home, a majority of three.
  auto replies = nodes.at(out[0].to).receive(out[0]);
  ASSERT_EQ(replies.size(), 1u);
  home.receive(replies[0]);
  EXPECT_EQ(home.committed(), 1u);
  EXPECT_EQ(home.final_commits(), std::vector<Hash>{hash_of(7)});
  settle(nodes, home.flush());
  for (auto& [id, n] : nodes) EXPECT_EQ(n.final_commits(), std::vector<Hash>{hash_of(7)}) << id;
}

TEST(CommitConsensus, OnlyTheLeaderTakesCommits) {
  auto nodes = cluster(3);
  EXPECT_FALSE(nodes.at(names(3)[1]).propose(hash_of(1)).has_value());
  EXPECT_FALSE(nodes.at(names(3)[0]).propose({}).has_value());  // a commit has a hash
}

TEST(CommitConsensus, ACutOffHomeStepsDownAndTheMajorityElectsANewSequencerWithAHigherTerm) {
  auto nodes = cluster(3);
  const auto ids = names(3);
  CommitConsensus& home = nodes.at(ids[0]);
  ASSERT_TRUE(home.propose(hash_of(1)));
  settle(nodes, home.flush());
  ASSERT_EQ(home.committed(), 1u);
  // The home hears nobody from now on; the mirrors hear each other only.
  std::vector<Message> between;
  std::optional<NodeId> elected;
  for (int t = 0; t < 200 && !elected; ++t) {
    home.tick();
    for (std::size_t i = 1; i < 3; ++i) {
      auto out = nodes.at(ids[i]).tick();
      between.insert(between.end(), out.begin(), out.end());
    }
    std::vector<Message> next;
    for (const Message& m : between) {
      if (m.to == ids[0]) continue;
      auto out = nodes.at(m.to).receive(m);
      next.insert(next.end(), out.begin(), out.end());
    }
    between = std::move(next);
    for (std::size_t i = 1; i < 3; ++i) {
      if (nodes.at(ids[i]).role() == Role::leader) elected = ids[i];
    }
  }
  ASSERT_TRUE(elected.has_value());
  EXPECT_GT(nodes.at(*elected).term(), 1u);
  // The home steps down by itself once it has heard no majority for election_max ticks.
  for (int t = 0; t < 25 && home.role() == Role::leader; ++t) home.tick();
  EXPECT_NE(home.role(), Role::leader);
  EXPECT_FALSE(home.leader().has_value());
  EXPECT_FALSE(home.propose(hash_of(99)).has_value());
  // The new sequencer takes commits; the old home, back, is fenced by the term and catches up.
  CommitConsensus& seq = nodes.at(*elected);
  ASSERT_TRUE(seq.propose(hash_of(2)));
  settle(nodes, seq.flush());
  settle(nodes, seq.flush());  // the next heartbeat tells the followers what became final
  for (auto& [id, n] : nodes) {
    EXPECT_EQ(n.final_commits(), (std::vector<Hash>{hash_of(1), hash_of(2)})) << id;
    EXPECT_EQ(n.leader(), *elected) << id;
  }
}

TEST(CommitConsensus, AStaleLeadersUnconfirmedCommitIsReplacedNeverFinal) {
  auto nodes = cluster(3);
  const auto ids = names(3);
  CommitConsensus& home = nodes.at(ids[0]);
  // The home appends a commit nobody receives (cut off at once), then is replaced.
  ASSERT_TRUE(home.propose(hash_of(66)));
  CommitConsensus& b = nodes.at(ids[1]);
  std::vector<Message> to_c;
  for (Message& m : elect(nodes, b, {ids[2]})) {
    if (m.to == ids[2]) to_c.push_back(std::move(m));
  }
  settle(nodes, to_c);
  // Elected by c, b leads with its no-op, then commits its own.
  ASSERT_EQ(b.role(), Role::leader);
  ASSERT_TRUE(b.propose(hash_of(2)));
  to_c.clear();
  for (const Message& m : b.flush()) {
    if (m.to == ids[2]) to_c.push_back(m);
  }
  settle(nodes, to_c);
  ASSERT_EQ(b.final_commits(), std::vector<Hash>{hash_of(2)});
  // The old home comes back: its commit 66 is dropped for b's log.
  settle(nodes, b.flush());
  EXPECT_EQ(home.role(), Role::follower);
  EXPECT_EQ(home.final_commits(), std::vector<Hash>{hash_of(2)});
  for (const LogEntry& e : home.log()) EXPECT_NE(e.commit, hash_of(66));
}

// Raft's "Figure 8" (Ongaro and Ousterhout 2014, §5.4.2), with five mirrors: a leader must
// not make an entry of an earlier term final by counting its replicas. S1 (term 1) gets X onto
// S2; S5 leads term 2 with entries nobody else has; S1 leads term 3 and copies X onto S3, so X
// is on a majority, but S5 can still win term 4 with S3 and S4 (its last term, 2, beats theirs)
// and replace X.
// So X must not have been final: S1 waits until its own term-3 no-op is on a majority.
TEST(CommitConsensus, AnEarlierTermsEntryIsNotMadeFinalByCountingItsReplicas) {
  ConsensusOptions one;
  one.max_entries_per_append = 1;  // S3 gets X without the no-op behind it
  const auto ids = names(5);
  std::map<NodeId, CommitConsensus> nodes;
  for (std::size_t i = 0; i < 5; ++i)
    nodes.emplace(ids[i], CommitConsensus(ids[i], ids, ids[0], i + 1, one));
  auto& s1 = nodes.at(ids[0]);
  auto& s5 = nodes.at(ids[4]);
  auto deliver = [&](const std::vector<Message>& out, std::set<NodeId> to) {
    std::vector<Message> replies;
    for (const Message& m : out) {
      if (to.count(m.to) == 0) continue;
      for (Message& r : nodes.at(m.to).receive(m)) replies.push_back(std::move(r));
    }
    return replies;
  };
  // Term 1: X reaches S2 only.
  ASSERT_TRUE(s1.propose(hash_of(1)));
  for (const Message& r : deliver(s1.flush(), {ids[1]})) s1.receive(r);
  EXPECT_EQ(s1.committed(), 0u);
  // Term 2: S5, elected by S3 and S4, appends Y that nobody receives.
  elect(nodes, s5, {ids[2], ids[3]});
  ASSERT_EQ(s5.role(), Role::leader);
  ASSERT_EQ(s5.term(), 2u);
  ASSERT_TRUE(s5.propose(hash_of(2)));
  // Term 3: S1, elected by S2 and S3, copies X onto S3 (one entry per append).
  // (S3, already in term 2, refuses term 2 and S1 learns it; S1 then wins term 3.)
  std::vector<Message> appends = elect(nodes, s1, {ids[1], ids[2]});
  ASSERT_EQ(s1.role(), Role::leader);
  ASSERT_EQ(s1.term(), 3u);
  // S2 takes the no-op after X; S3 has nothing, so S1 steps back and sends X alone.
  std::vector<Message> again;
  for (const Message& ack : deliver(appends, {ids[1], ids[2]})) {
    for (Message& m : s1.receive(ack)) again.push_back(std::move(m));
  }
  for (const Message& ack : deliver(again, {ids[2]})) s1.receive(ack);  // the no-op: lost
  ASSERT_EQ(nodes.at(ids[1]).log().size(), 2u);
  ASSERT_EQ(nodes.at(ids[2]).log().size(), 1u);  // S3 holds X, not the no-op
  EXPECT_EQ(s1.committed(), 0u) << "X, of term 1, was made final by counting its replicas";
  // Term 4: S5 wins with S3 and S4 and replaces X where it reaches.
  elect(nodes, s5, {ids[1], ids[2], ids[3]});
  ASSERT_EQ(s5.role(), Role::leader);
  std::vector<Message> pending = s5.flush();
  for (int round = 0; round < 20 && !pending.empty(); ++round) {
    std::vector<Message> next;
    for (const Message& r : deliver(pending, {ids[1], ids[2], ids[3]})) {
      for (Message& m : s5.receive(r)) next.push_back(std::move(m));
    }
    pending = std::move(next);
  }
  ASSERT_GE(s5.committed(), 1u);
  // Whatever either ever called final agrees.
  const std::uint64_t common = std::min(s1.committed(), s5.committed());
  for (std::uint64_t k = 0; k < common; ++k) EXPECT_EQ(s1.log()[k], s5.log()[k]) << k;
}

// Pre-votes (Ongaro's thesis §9.6): a mirror cut off alone keeps asking, gets no majority and
// never raises its term; back, it follows the sequencer instead of unseating it.
TEST(CommitConsensus, AMirrorCutOffAloneDoesNotUnseatTheSequencerWhenItReturns) {
  auto nodes = cluster(3);
  const auto ids = names(3);
  CommitConsensus& home = nodes.at(ids[0]);
  CommitConsensus& lone = nodes.at(ids[2]);
  std::vector<Message> flight;
  auto run = [&](int ticks, bool cut) {
    for (int t = 0; t < ticks; ++t) {
      for (auto& [id, n] : nodes) {
        for (Message& m : n.tick()) flight.push_back(std::move(m));
      }
      std::vector<Message> next;
      for (const Message& m : flight) {
        if (cut && (m.from == ids[2] || m.to == ids[2])) continue;
        for (Message& r : nodes.at(m.to).receive(m)) next.push_back(std::move(r));
      }
      flight = std::move(next);
    }
  };
  run(300, true);  // many election timeouts of the lone mirror
  EXPECT_EQ(lone.term(), 1u);
  EXPECT_EQ(home.role(), Role::leader);
  run(100, false);
  EXPECT_EQ(home.role(), Role::leader);
  EXPECT_EQ(home.term(), 1u);
  EXPECT_EQ(lone.leader(), ids[0]);
}

// Only the link between the sequencer and one mirror is cut: that mirror still reaches the
// other, which hears the sequencer and so refuses it a pre-vote. The sequencer, with a majority,
// stays; nobody's term moves.
TEST(CommitConsensus, AMirrorThatOnlyLostTheSequencerCannotUnseatIt) {
  auto nodes = cluster(3);
  const auto ids = names(3);
  std::vector<Message> flight;
  for (int t = 0; t < 300; ++t) {
    for (auto& [id, n] : nodes) {
      for (Message& m : n.tick()) flight.push_back(std::move(m));
    }
    std::vector<Message> next;
    for (const Message& m : flight) {
      const bool cut = (m.from == ids[0] && m.to == ids[2]) || (m.from == ids[2] && m.to == ids[0]);
      if (cut) continue;
      for (Message& r : nodes.at(m.to).receive(m)) next.push_back(std::move(r));
    }
    flight = std::move(next);
    ASSERT_EQ(nodes.at(ids[0]).role(), Role::leader) << "tick " << t;
  }
  for (auto& [id, n] : nodes) EXPECT_EQ(n.term(), 1u) << id;
}

TEST(CommitConsensus, AVoteGoesOnlyToACandidateWithAnUpToDateLog) {
  auto nodes = cluster(3);
  const auto ids = names(3);
  CommitConsensus& home = nodes.at(ids[0]);
  ASSERT_TRUE(home.propose(hash_of(1)));
  // Only a (ids[1]) stores the commit; ids[2] stays behind.
  for (const Message& m : home.flush()) {
    if (m.to == ids[1]) settle(nodes, {m});
  }
  Message req;
  req.from = ids[2];
  req.to = ids[1];
  req.kind = Message::Kind::vote_request;
  req.vote_request = {5, 0, 0};  // a higher term but an empty log
  auto reply = nodes.at(ids[1]).receive(req);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_FALSE(reply[0].vote_reply.granted);
  EXPECT_EQ(reply[0].vote_reply.term, 5u);
}

TEST(CommitConsensus, MessagesFromOutsideTheMirrorSetAreIgnored) {
  auto nodes = cluster(3);
  const auto ids = names(3);
  Message m;
  m.from = "room@mls.evil.test";
  m.to = ids[1];
  m.kind = Message::Kind::append;
  m.append = {9, 0, 0, {{9, hash_of(5)}}, 1};
  EXPECT_TRUE(nodes.at(ids[1]).receive(m).empty());
  EXPECT_TRUE(nodes.at(ids[1]).log().empty());
  EXPECT_EQ(nodes.at(ids[1]).term(), 1u);
}

// --- the randomised simulation ------------------------------------------------------------

struct Sim {
  struct InFlight {
    std::uint64_t due = 0;
    Message m;
  };
  std::size_t n;
  std::vector<NodeId> ids;
  std::map<NodeId, CommitConsensus> nodes;
  std::mt19937_64 rng;
  std::uint64_t now = 0;
  std::vector<InFlight> flight;
  std::vector<int> side;  // side[i]: node i's side of the current split (all 0: whole)
  std::map<std::uint64_t, NodeId> leader_of_term;
  std::vector<LogEntry> final_log;  // the global final prefix
  std::uint64_t next_commit = 1;
  std::uint64_t finals_in_minority = 0;
  std::uint64_t elections = 0, splits = 0, proposals = 0;

  Sim(std::size_t size, std::uint64_t seed) : n(size), ids(names(size)), rng(seed), side(size, 0) {
    for (std::size_t i = 0; i < n; ++i) {
      nodes.emplace(ids[i], CommitConsensus(ids[i], ids, ids[0], seed * 31 + i));
    }
  }
  std::size_t index_of(const NodeId& id) const {
    return static_cast<std::size_t>(std::find(ids.begin(), ids.end(), id) - ids.begin());
  }
  bool connected(const NodeId& a, const NodeId& b) const {
    return side[index_of(a)] == side[index_of(b)];
  }
  std::size_t side_size(std::size_t i) const {
    return static_cast<std::size_t>(std::count(side.begin(), side.end(), side[i]));
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }

  void send(std::vector<Message> out, bool lossy) {
    for (Message& m : out) {
      if (lossy && chance(0.05)) continue;  // dropped
      const std::uint64_t delay = 1 + rng() % (lossy ? 4 : 1);
      if (lossy && chance(0.03)) flight.push_back({now + delay + 2, m});  // duplicated, later
      flight.push_back({now + delay, std::move(m)});
    }
  }

  void step(bool lossy) {
    ++now;
    for (auto& [id, node] : nodes) send(node.tick(), lossy);
    std::vector<InFlight> due;
    std::vector<InFlight> later;
    for (auto& f : flight) (f.due <= now ? due : later).push_back(std::move(f));
    flight = std::move(later);
    std::shuffle(due.begin(), due.end(), rng);  // reordered
    for (auto& f : due) {
      if (!connected(f.m.from, f.m.to)) continue;  // the link is cut: lost
      send(nodes.at(f.m.to).receive(f.m), lossy);
    }
  }

  void maybe_propose() {
    for (std::size_t i = 0; i < n; ++i) {
      CommitConsensus& node = nodes.at(ids[i]);
      if (node.role() != Role::leader || !chance(0.2)) continue;
      ASSERT_TRUE(node.propose(hash_of(next_commit++)).has_value());
      ++proposals;
      send(node.flush(), true);
    }
  }

  // The invariants, over every node, after each step.
  void check(const std::string& where) {
    for (std::size_t i = 0; i < n; ++i) {
      const CommitConsensus& node = nodes.at(ids[i]);
      if (node.role() == Role::leader) {
        auto [it, fresh] = leader_of_term.emplace(node.term(), ids[i]);
        if (fresh) ++elections;
        ASSERT_EQ(it->second, ids[i]) << "two leaders in term " << node.term() << " " << where;
      }
      const auto& log = node.log();
      for (std::uint64_t k = 0; k < node.committed(); ++k) {
        if (k < final_log.size()) {
          ASSERT_EQ(log[k], final_log[k]) << "a final entry differs at " << k << " " << where;
        } else {
          final_log.push_back(log[k]);
        }
      }
    }
  }

  void split() {
    ++splits;
    for (auto& s : side) s = static_cast<int>(rng() % 2);
  }
  void heal() { std::fill(side.begin(), side.end(), 0); }
};

void run_simulation(std::size_t size, std::uint64_t seed, int rounds) {
  Sim sim(size, seed);
  for (int r = 0; r < rounds; ++r) {
    // A split for a while (long enough for elections on either side), then whole again.
    if (sim.chance(0.5)) sim.split();
    for (int t = 0; t < 120; ++t) {
      std::vector<std::uint64_t> minority_commits;
      for (std::size_t i = 0; i < size; ++i) {
        minority_commits.push_back(sim.nodes.at(sim.ids[i]).committed());
      }
      sim.maybe_propose();
      sim.step(true);
      sim.check("seed " + std::to_string(seed) + " round " + std::to_string(r));
      if (::testing::Test::HasFatalFailure()) return;
      // (3) a leader in a side smaller than a majority never makes anything final.
      for (std::size_t i = 0; i < size; ++i) {
        const CommitConsensus& node = sim.nodes.at(sim.ids[i]);
        if (node.role() == Role::leader && sim.side_size(i) < node.majority()) {
          ASSERT_EQ(node.committed(), minority_commits[i])
              << "a leader in a minority made a commit final (seed " << seed << ")";
        }
      }
    }
    sim.heal();
    // (4) whole and reliable: a leader, and a commit final everywhere, in bounded time.
    // A member re-sends its commit to whoever leads now, as a client would after a wrong-leader
    // answer, until it is final everywhere.
    std::optional<std::uint64_t> target;
    std::optional<NodeId> proposer;
    Hash wanted;
    bool done = false;
    for (int t = 0; t < 400 && !done; ++t) {
      for (std::size_t i = 0; i < size; ++i) {
        CommitConsensus& node = sim.nodes.at(sim.ids[i]);
        const bool pending = proposer && *proposer == sim.ids[i] && node.log().size() >= *target &&
                             node.log()[*target - 1].commit == wanted;
        if (node.role() != Role::leader || pending) continue;
        wanted = hash_of(sim.next_commit++);
        auto at = node.propose(wanted);
        ASSERT_TRUE(at.has_value());
        target = *at + 1;
        proposer = sim.ids[i];
        sim.send(node.flush(), false);
        break;
      }
      sim.step(false);
      sim.check("seed " + std::to_string(seed) + " heal " + std::to_string(r));
      if (::testing::Test::HasFatalFailure()) return;
      done = target && std::all_of(sim.nodes.begin(), sim.nodes.end(), [&](const auto& kv) {
               return kv.second.committed() >= *target &&
                      kv.second.log()[*target - 1].commit == wanted;
             });
    }
    ASSERT_TRUE(done) << "no progress after healing (seed " << seed << ", round " << r << ")";
  }
  EXPECT_GT(sim.final_log.size(), static_cast<std::size_t>(rounds));
}

std::uint64_t seeds() {
  const char* v = std::getenv("CONCLAVE_CONSENSUS_SEEDS");
  return v != nullptr ? std::strtoull(v, nullptr, 10) : 25;
}

TEST(CommitConsensusSimulation, ThreeMirrorsNeverForkAndAlwaysRecover) {
  for (std::uint64_t seed = 1; seed <= seeds(); ++seed) {
    run_simulation(3, seed, 6);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(CommitConsensusSimulation, FiveMirrorsNeverForkAndAlwaysRecover) {
  for (std::uint64_t seed = 1; seed <= seeds(); ++seed) {
    run_simulation(5, seed, 6);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace conclave::component::federation
