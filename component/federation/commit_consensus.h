#pragma once
// CommitConsensus: one FMUC node's part in agreeing on a private group chat's commit log with
// the room's other mirrors (docs/federation.md §3, docs/sequencing.md §A.1). A pure state
// machine: it never reads a clock, a socket or a store; the caller feeds it ticks and the
// peers' messages and sends what it returns. So the same code runs in the component and in the
// randomised partition tests (tests/component/federation/).
//
// The rule is leader election with terms and a log replicated to a majority (the Raft
// algorithm of Ongaro and Ousterhout, USENIX ATC 2014, with its election and log-matching
// rules), applied to one room:
//   - an entry is a commit's hash, or empty: the no-op a new leader appends so that what its
//     predecessors replicated becomes final (a leader counts replicas of its own term's
//     entries only, Raft §5.4.2); the n-th commit entry is the commit made in epoch n;
//   - one node sequences at a time, the leader of the highest term; the room's home node is
//     the leader of term 1 and keeps the role while it reaches a majority of the mirror set;
//   - a commit is accepted (answered to its sender, fanned out) only once a majority of the
//     mirror set stores it, so a later leader, elected by a majority, always has it: no two
//     commits for one epoch are ever accepted anywhere, whatever the timing (§3.4);
//   - a side that reaches no majority elects nobody and accepts no commit (its members keep
//     talking in the current epoch); a leader that has not heard from a majority for
//     election_max ticks steps down by itself, so the minority side knows it is one; a
//     returning former leader sees the higher term and steps down (the term is the fencing
//     token).
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace conclave::component::federation {

using NodeId = std::string;  // a mirror's room JID
using Hash = std::vector<std::uint8_t>;

struct LogEntry {
  std::uint64_t term = 0;
  Hash commit;  // SHA-256 of the MLSMessage (docs/protocol.md §6.7); empty: a leader's no-op
  bool operator==(const LogEntry&) const = default;
};

// The messages nodes exchange (carried in urn:xmpp:mls:0 federation stanzas, docs/federation.md).
struct VoteRequest {
  std::uint64_t term = 0;
  std::uint64_t last_index = 0;  // entries held
  std::uint64_t last_term = 0;   // term of the last entry, 0 if none
  // A pre-vote (Ongaro's thesis §9.6): "would you vote for me in `term`?", asked before standing,
  // changing nobody's term. A node cut off alone never gets a majority of these, so it never
  // raises its term and cannot unseat the sequencer when it comes back.
  bool pre = false;
};
struct VoteReply {
  std::uint64_t term = 0;
  bool granted = false;
  bool pre = false;
};
struct Append {
  std::uint64_t term = 0;
  std::uint64_t prev_index = 0;  // entries before `entries`
  std::uint64_t prev_term = 0;   // term of entry prev_index - 1, 0 when prev_index is 0
  std::vector<LogEntry> entries;
  std::uint64_t commit_index = 0;  // entries the leader knows a majority stores
};
struct AppendReply {
  std::uint64_t term = 0;
  bool success = false;
  std::uint64_t match_index = 0;  // on success: entries the follower now holds from the leader
};

struct Message {
  NodeId from;
  NodeId to;
  enum class Kind { vote_request, vote_reply, append, append_reply } kind = Kind::append;
  VoteRequest vote_request;
  VoteReply vote_reply;
  Append append;
  AppendReply append_reply;
};

enum class Role { follower, candidate, leader };

struct ConsensusOptions {
  // Ticks without hearing from a leader before standing for election: uniformly drawn from
  // [election_min, election_max] each time, so that candidates rarely collide.
  unsigned election_min = 10;
  unsigned election_max = 20;
  unsigned heartbeat = 3;                   // a leader's ticks between appends
  std::size_t max_entries_per_append = 64;  // bounds one message
};

class CommitConsensus {
 public:
  // `members`: the room's mirror set, `self` included, the same list on every node. `home`:
  // the leader of term 1 (every node starts in term 1 knowing it). `seed` draws the election
  // timeouts.
  CommitConsensus(NodeId self, std::vector<NodeId> members, NodeId home, std::uint64_t seed,
                  ConsensusOptions options = {});
  // A node restarting from what it saved (term, vote, log: docs/federation.md §3.2). It
  // starts as a follower knowing no sequencer, except in term 1, which is the home's.
  struct Saved {
    std::uint64_t term = 1;
    std::optional<NodeId> voted_for;
    std::vector<LogEntry> log;
  };
  CommitConsensus(NodeId self, std::vector<NodeId> members, NodeId home, std::uint64_t seed,
                  ConsensusOptions options, Saved saved);

  // tick: one unit of time passed. Returns the messages to send.
  std::vector<Message> tick();
  // receive: a peer's message. Returns the messages to send.
  std::vector<Message> receive(const Message& m);
  // propose: as leader, appends a commit (not empty) and starts replicating it. Returns its
  // log index; nullopt when this node does not lead. The commit is accepted only once
  // committed() passes that index.
  std::optional<std::uint64_t> propose(Hash commit);
  // Messages a leader sends now (after propose, without waiting for the next heartbeat).
  std::vector<Message> flush();

  Role role() const { return role_; }
  std::uint64_t term() const { return term_; }
  // The leader this node follows in its term, if it knows one.
  const std::optional<NodeId>& leader() const { return leader_; }
  const std::vector<LogEntry>& log() const { return log_; }
  // What must be on stable storage before any message this node sends leaves: term, vote, log.
  const std::optional<NodeId>& voted_for() const { return voted_for_; }
  // Entries accepted by a majority: log()[0, committed()) are final everywhere.
  std::uint64_t committed() const { return commit_index_; }
  // The final commits, in epoch order (the no-ops left out).
  std::vector<Hash> final_commits() const;
  std::size_t majority() const { return members_.size() / 2 + 1; }
  const NodeId& self() const { return self_; }

 private:
  void become_follower(std::uint64_t term, std::optional<NodeId> leader);
  std::vector<Message> ask_prevotes();  // before standing
  std::vector<Message> stand();         // become a candidate
  std::vector<Message> on_vote_request(const NodeId& from, const VoteRequest& r);
  std::vector<Message> on_vote_reply(const NodeId& from, const VoteReply& r);
  std::vector<Message> on_append(const NodeId& from, const Append& a);
  std::vector<Message> on_append_reply(const NodeId& from, const AppendReply& r);
  Message append_to(const NodeId& peer) const;
  void advance_commit();
  std::uint64_t last_term() const { return log_.empty() ? 0 : log_.back().term; }
  unsigned draw_timeout();

  NodeId self_;
  std::vector<NodeId> members_;
  ConsensusOptions options_;
  std::mt19937_64 rng_;

  Role role_ = Role::follower;
  std::uint64_t term_ = 1;
  std::optional<NodeId> voted_for_;  // in term_
  std::optional<NodeId> leader_;
  std::vector<LogEntry> log_;
  std::uint64_t commit_index_ = 0;

  unsigned idle_ = 0;     // ticks since the leader was last heard (follower, candidate)
  unsigned timeout_ = 0;  // the current election timeout
  unsigned since_heartbeat_ = 0;
  std::vector<NodeId> votes_;               // candidate: who granted
  bool prevoting_ = false;                  // asking pre-votes for term_ + 1
  std::vector<NodeId> prevotes_;            // who granted them
  std::vector<std::uint64_t> next_index_;   // leader: per member, the next entry to send
  std::vector<std::uint64_t> match_index_;  // leader: per member, entries known stored
  std::vector<unsigned> silent_;            // leader: per member, ticks since its last reply
};

}  // namespace conclave::component::federation
