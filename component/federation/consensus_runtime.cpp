#include "component/federation/consensus_runtime.h"

#include <algorithm>
#include <set>

#include "component/federation/consensus_wire.h"
#include "xmpp/jid.h"
#include "xmpp/stanza.h"

namespace conclave::component::federation {

ConsensusRuntime::ConsensusRuntime(Send send, Log log, std::uint64_t seed, ConsensusOptions options,
                                   ConsensusStore* store)
    : send_(std::move(send)), log_(std::move(log)), seed_(seed), options_(options), store_(store) {}

bool ConsensusRuntime::configure(const NodeId& room, std::vector<NodeId> mirror_set,
                                 const NodeId& home) {
  const std::set<NodeId> unique(mirror_set.begin(), mirror_set.end());
  if (unique.size() != mirror_set.size() || unique.count(room) == 0 || unique.count(home) == 0) {
    return false;
  }
  // Each room draws its own timeouts: rooms of one node must not stand in lockstep.
  const std::uint64_t seed = seed_ ^ std::hash<std::string>{}(room);
  std::optional<ConsensusState> saved;
  if (store_ != nullptr) {
    auto loaded = store_->load(room);
    if (!loaded) {
      log_("federation: loading the agreement of " + room + " failed: " + loaded.error().message());
      return false;
    }
    saved = std::move(*loaded);
  }
  rooms_.erase(room);
  if (saved) {
    CommitConsensus::Saved s;
    s.term = std::max<std::uint64_t>(saved->term, 1);
    if (!saved->voted_for.empty()) s.voted_for = saved->voted_for;
    for (const ConsensusEntry& e : saved->log) s.log.push_back({e.term, e.commit});
    rooms_.emplace(
        room, Room{CommitConsensus(room, std::move(mirror_set), home, seed, options_, std::move(s)),
                   *saved});
  } else {
    Room r{CommitConsensus(room, std::move(mirror_set), home, seed, options_), ConsensusState{}};
    r.saved.term = 0;  // never saved: the first settle writes it
    rooms_.emplace(room, std::move(r));
    settle(room, rooms_.at(room), {});
  }
  return true;
}

void ConsensusRuntime::settle(const NodeId& room, Room& r, std::vector<Message> out) {
  if (store_ != nullptr) {
    const CommitConsensus& c = r.consensus;
    const std::string vote = c.voted_for().value_or("");
    const auto& log = c.log();
    // Called for every tick and message, so the usual case (nothing durable changed) must not
    // walk the log: two logs of one length whose last entries have one term are the same log
    // (Raft's Log Matching Property: leaders make entries, one per index and term).
    const bool same_log = log.size() == r.saved.log.size() &&
                          (log.empty() || (log.back().term == r.saved.log.back().term &&
                                           log.back().commit == r.saved.log.back().commit));
    if (c.term() != r.saved.term || vote != r.saved.voted_for || !same_log) {
      // The log from the first entry that differs from what the store holds.
      std::size_t from = 0;
      while (from < log.size() && from < r.saved.log.size() &&
             log[from].term == r.saved.log[from].term &&
             log[from].commit == r.saved.log[from].commit) {
        ++from;
      }
      std::vector<ConsensusEntry> tail;
      for (std::size_t i = from; i < log.size(); ++i) tail.push_back({log[i].term, log[i].commit});
      if (auto s = store_->save(room, c.term(), vote, from, tail); !s) {
        log_("federation: saving the agreement of " + room + " failed: " + s.error().message() +
             "; holding back " + std::to_string(out.size()) + " messages");
        return;
      }
      r.saved.term = c.term();
      r.saved.voted_for = vote;
      r.saved.log.resize(from);
      r.saved.log.insert(r.saved.log.end(), tail.begin(), tail.end());
    }
  }
  for (const Message& m : out) {
    xmpp::Element s =
        xmpp::make_stanza("message", "normal", m.from, m.to, "fc" + std::to_string(++next_id_));
    s.add_child(encode(m));
    send_(std::move(s));
  }
}

void ConsensusRuntime::tick() {
  for (auto& [room, r] : rooms_) settle(room, r, r.consensus.tick());
}

bool ConsensusRuntime::on_stanza(const xmpp::Element& stanza) {
  if (stanza.name() != "message") return false;
  const xmpp::Element* payload = stanza.first_child();
  if (payload == nullptr || !is_consensus_payload(*payload)) return false;
  // Room JIDs are bare; a full JID here is not a room of a mirror set.
  auto from = xmpp::Jid::parse(stanza.attr_or("from"));
  auto to = xmpp::Jid::parse(stanza.attr_or("to"));
  if (!from || !to || !from->resource().empty() || !to->resource().empty()) {
    log_("consensus message with a malformed address dropped");
    return true;
  }
  auto it = rooms_.find(to->bare_string());
  if (it == rooms_.end()) {
    log_("consensus message for " + to->bare_string() + ", which is in no mirror set here");
    return true;
  }
  WireError err;
  auto m = decode(*payload, from->bare_string(), to->bare_string(), &err);
  if (!m) {
    log_("consensus message from " + from->bare_string() + " dropped: " + err.what);
    return true;
  }
  // CommitConsensus ignores senders outside the mirror set itself; the servers' s2s
  // authentication (dialback or TLS) vouches for the sender's domain.
  settle(it->first, it->second, it->second.consensus.receive(*m));
  return true;
}

std::optional<std::uint64_t> ConsensusRuntime::propose(const NodeId& room, Hash commit) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return std::nullopt;
  auto at = it->second.consensus.propose(std::move(commit));
  if (at) settle(room, it->second, it->second.consensus.flush());
  return at;
}

std::optional<ConsensusStatus> ConsensusRuntime::status(const NodeId& room) const {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return std::nullopt;
  const CommitConsensus& c = it->second.consensus;
  return ConsensusStatus{c.term(), c.role(), c.leader(), c.committed()};
}

std::vector<Hash> ConsensusRuntime::final_commits(const NodeId& room) const {
  auto it = rooms_.find(room);
  return it == rooms_.end() ? std::vector<Hash>{} : it->second.consensus.final_commits();
}

}  // namespace conclave::component::federation
