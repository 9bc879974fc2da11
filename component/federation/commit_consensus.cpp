#include "component/federation/commit_consensus.h"

#include <algorithm>
#include <cstdlib>

namespace conclave::component::federation {

namespace {

Message make(const NodeId& from, const NodeId& to, Message::Kind kind) {
  Message m;
  m.from = from;
  m.to = to;
  m.kind = kind;
  return m;
}

}  // namespace

CommitConsensus::CommitConsensus(NodeId self, std::vector<NodeId> members, NodeId home,
                                 std::uint64_t seed, ConsensusOptions options)
    : self_(std::move(self)), members_(std::move(members)), options_(options), rng_(seed) {
  // A node outside its own mirror set, or a home outside it, is a configuration bug.
  if (std::find(members_.begin(), members_.end(), self_) == members_.end() ||
      std::find(members_.begin(), members_.end(), home) == members_.end() ||
      options_.election_min == 0 || options_.election_max < options_.election_min) {
    std::abort();
  }
  next_index_.assign(members_.size(), 0);
  match_index_.assign(members_.size(), 0);
  silent_.assign(members_.size(), 0);
  // Term 1 belongs to the home node, known to all without a vote: a room starts sequenced by
  // its home as it was before any mirror existed.
  leader_ = home;
  voted_for_ = home;
  if (home == self_) {
    role_ = Role::leader;
  }
  timeout_ = draw_timeout();
}

CommitConsensus::CommitConsensus(NodeId self, std::vector<NodeId> members, NodeId home,
                                 std::uint64_t seed, ConsensusOptions options, Saved saved)
    : CommitConsensus(std::move(self), std::move(members), home, seed, options) {
  if (saved.term < 1) std::abort();  // terms start at 1: a damaged record
  term_ = saved.term;
  voted_for_ = std::move(saved.voted_for);
  log_ = std::move(saved.log);
  if (term_ > 1) {
    // Whoever led a later term may lead it still; we learn who from its next message.
    role_ = Role::follower;
    leader_.reset();
  }
}

unsigned CommitConsensus::draw_timeout() {
  std::uniform_int_distribution<unsigned> d(options_.election_min, options_.election_max);
  return d(rng_);
}

std::vector<Hash> CommitConsensus::final_commits() const {
  std::vector<Hash> out;
  for (std::uint64_t i = 0; i < commit_index_; ++i) {
    if (!log_[i].commit.empty()) out.push_back(log_[i].commit);
  }
  return out;
}

void CommitConsensus::become_follower(std::uint64_t term, std::optional<NodeId> leader) {
  if (term > term_) {
    term_ = term;
    voted_for_.reset();
  }
  role_ = Role::follower;
  leader_ = std::move(leader);
  idle_ = 0;
  timeout_ = draw_timeout();
  votes_.clear();
  prevoting_ = false;
  prevotes_.clear();
}

std::vector<Message> CommitConsensus::tick() {
  if (role_ == Role::leader) {
    std::size_t heard = 0;
    for (std::size_t i = 0; i < members_.size(); ++i) {
      if (members_[i] != self_) ++silent_[i];
      heard += (members_[i] == self_ || silent_[i] <= options_.election_max) ? 1 : 0;
    }
    if (heard < majority()) {
      // Cut off from a majority: whatever we append can never become final, and the others
      // may elect someone else by now. Say so (leader() empty) rather than take commits.
      become_follower(term_, std::nullopt);
      return {};
    }
    if (++since_heartbeat_ < options_.heartbeat) return {};
    return flush();
  }
  if (++idle_ < timeout_) return {};
  return ask_prevotes();
}

std::vector<Message> CommitConsensus::ask_prevotes() {
  leader_.reset();  // not heard for a whole timeout: we no longer follow anyone
  prevoting_ = true;
  prevotes_ = {self_};
  idle_ = 0;
  timeout_ = draw_timeout();
  if (prevotes_.size() >= majority()) return stand();  // a mirror set of one
  std::vector<Message> out;
  for (const NodeId& peer : members_) {
    if (peer == self_) continue;
    Message m = make(self_, peer, Message::Kind::vote_request);
    m.vote_request = {term_ + 1, log_.size(), last_term(), true};
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<Message> CommitConsensus::stand() {
  prevoting_ = false;
  prevotes_.clear();
  ++term_;
  role_ = Role::candidate;
  voted_for_ = self_;
  leader_.reset();
  votes_ = {self_};
  idle_ = 0;
  timeout_ = draw_timeout();
  std::vector<Message> out;
  if (votes_.size() >= majority()) {  // a mirror set of one
    role_ = Role::leader;
    leader_ = self_;
    return out;
  }
  for (const NodeId& peer : members_) {
    if (peer == self_) continue;
    Message m = make(self_, peer, Message::Kind::vote_request);
    m.vote_request = {term_, log_.size(), last_term(), false};
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<Message> CommitConsensus::receive(const Message& m) {
  if (m.to != self_ || std::find(members_.begin(), members_.end(), m.from) == members_.end()) {
    return {};  // not for us, or from outside the mirror set: ignored
  }
  switch (m.kind) {
    case Message::Kind::vote_request:
      return on_vote_request(m.from, m.vote_request);
    case Message::Kind::vote_reply:
      return on_vote_reply(m.from, m.vote_reply);
    case Message::Kind::append:
      return on_append(m.from, m.append);
    case Message::Kind::append_reply:
      return on_append_reply(m.from, m.append_reply);
  }
  return {};
}

std::vector<Message> CommitConsensus::on_vote_request(const NodeId& from, const VoteRequest& r) {
  // Raft §5.4.1: only for a candidate whose log is at least as up to date as ours, so the
  // winner holds every entry a majority stored: every final commit.
  const bool up_to_date =
      r.last_term > last_term() || (r.last_term == last_term() && r.last_index >= log_.size());
  if (r.pre) {
    // Changes nothing here. Granted only if no sequencer was heard lately: a live sequencer
    // keeps its followers' pre-votes, so nobody stands against it.
    const bool heard = role_ == Role::leader || (leader_ && idle_ < options_.election_min);
    const bool grant = r.term > term_ && up_to_date && !heard;
    Message reply = make(self_, from, Message::Kind::vote_reply);
    // A refusal names our term, so an asker behind it learns where the mirror set stands.
    reply.vote_reply = {grant ? r.term : term_, grant, true};
    return {reply};
  }
  if (r.term > term_) become_follower(r.term, std::nullopt);
  const bool grant = r.term == term_ && up_to_date && (!voted_for_ || *voted_for_ == from);
  if (grant) {
    voted_for_ = from;
    idle_ = 0;  // a vote given is a reason to wait before standing ourselves
  }
  Message reply = make(self_, from, Message::Kind::vote_reply);
  reply.vote_reply = {term_, grant, false};
  return {reply};
}

std::vector<Message> CommitConsensus::on_vote_reply(const NodeId& from, const VoteReply& r) {
  if (r.pre) {
    if (!r.granted) {
      // Refused by a node in our term or beyond: take its term (always safe), ask again later.
      if (r.term > term_) become_follower(r.term, std::nullopt);
      return {};
    }
    if (!prevoting_ || r.term != term_ + 1 || role_ == Role::leader) return {};
    if (std::find(prevotes_.begin(), prevotes_.end(), from) == prevotes_.end()) {
      prevotes_.push_back(from);
    }
    if (prevotes_.size() < majority()) return {};
    return stand();
  }
  if (r.term > term_) {
    become_follower(r.term, std::nullopt);
    return {};
  }
  if (role_ != Role::candidate || r.term != term_ || !r.granted) return {};
  if (std::find(votes_.begin(), votes_.end(), from) == votes_.end()) votes_.push_back(from);
  if (votes_.size() < majority()) return {};
  role_ = Role::leader;
  leader_ = self_;
  votes_.clear();
  std::fill(next_index_.begin(), next_index_.end(), log_.size());
  std::fill(match_index_.begin(), match_index_.end(), 0);
  std::fill(silent_.begin(), silent_.end(), 0);
  // The no-op of the new term: once a majority stores it, everything before it is final.
  log_.push_back({term_, {}});
  return flush();
}

std::optional<std::uint64_t> CommitConsensus::propose(Hash commit) {
  if (role_ != Role::leader || commit.empty()) return std::nullopt;
  log_.push_back({term_, std::move(commit)});
  advance_commit();  // a mirror set of one
  return log_.size() - 1;
}

Message CommitConsensus::append_to(const NodeId& peer) const {
  const auto i = static_cast<std::size_t>(std::find(members_.begin(), members_.end(), peer) -
                                          members_.begin());
  const std::uint64_t next = std::min<std::uint64_t>(next_index_[i], log_.size());
  Message m = make(self_, peer, Message::Kind::append);
  m.append.term = term_;
  m.append.prev_index = next;
  m.append.prev_term = next == 0 ? 0 : log_[next - 1].term;
  const std::uint64_t end =
      std::min<std::uint64_t>(log_.size(), next + options_.max_entries_per_append);
  m.append.entries.assign(log_.begin() + static_cast<std::ptrdiff_t>(next),
                          log_.begin() + static_cast<std::ptrdiff_t>(end));
  m.append.commit_index = commit_index_;
  return m;
}

std::vector<Message> CommitConsensus::flush() {
  if (role_ != Role::leader) return {};
  since_heartbeat_ = 0;
  std::vector<Message> out;
  for (const NodeId& peer : members_) {
    if (peer != self_) out.push_back(append_to(peer));
  }
  return out;
}

std::vector<Message> CommitConsensus::on_append(const NodeId& from, const Append& a) {
  Message reply = make(self_, from, Message::Kind::append_reply);
  if (a.term < term_) {
    reply.append_reply = {term_, false, 0};  // a fenced former leader learns the new term
    return {reply};
  }
  become_follower(a.term, from);
  // Log matching (Raft §5.3): the entry before the new ones must be the leader's.
  if (a.prev_index > log_.size() ||
      (a.prev_index > 0 && log_[a.prev_index - 1].term != a.prev_term)) {
    reply.append_reply = {term_, false, std::min<std::uint64_t>(a.prev_index, log_.size())};
    return {reply};
  }
  std::uint64_t at = a.prev_index;
  for (const LogEntry& e : a.entries) {
    if (at < log_.size()) {
      if (log_[at] == e) {
        ++at;
        continue;
      }
      // A conflicting suffix: never final (final entries are on every later leader), so it
      // is dropped for the leader's.
      log_.resize(at);
    }
    log_.push_back(e);
    ++at;
  }
  const std::uint64_t matched = a.prev_index + a.entries.size();
  if (a.commit_index > commit_index_) {
    commit_index_ = std::min<std::uint64_t>(a.commit_index, matched);
  }
  reply.append_reply = {term_, true, matched};
  return {reply};
}

std::vector<Message> CommitConsensus::on_append_reply(const NodeId& from, const AppendReply& r) {
  if (r.term > term_) {
    become_follower(r.term, std::nullopt);
    return {};
  }
  if (role_ != Role::leader || r.term != term_) return {};
  const auto i = static_cast<std::size_t>(std::find(members_.begin(), members_.end(), from) -
                                          members_.begin());
  silent_[i] = 0;
  if (r.success) {
    match_index_[i] = std::max(match_index_[i], r.match_index);
    next_index_[i] = std::max(next_index_[i], r.match_index);
    advance_commit();
    if (next_index_[i] < log_.size()) return {append_to(from)};  // more to send
    return {};
  }
  // The follower lacks or contradicts entry next - 1: step back to what it reports holding.
  next_index_[i] = std::min(next_index_[i] == 0 ? 0 : next_index_[i] - 1, r.match_index);
  return {append_to(from)};
}

void CommitConsensus::advance_commit() {
  if (role_ != Role::leader) return;
  for (std::uint64_t n = log_.size(); n > commit_index_; --n) {
    // Only an entry of the leader's own term is committed by counting (Raft §5.4.2); the
    // entries before it follow.
    if (log_[n - 1].term != term_) break;
    std::size_t stored = 0;
    for (std::size_t i = 0; i < members_.size(); ++i) {
      stored += (members_[i] == self_ || match_index_[i] >= n) ? 1 : 0;
    }
    if (stored >= majority()) {
      commit_index_ = n;
      return;
    }
  }
}

}  // namespace conclave::component::federation
