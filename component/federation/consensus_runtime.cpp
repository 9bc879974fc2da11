#include "component/federation/consensus_runtime.h"

#include <algorithm>
#include <set>

#include "component/federation/consensus_wire.h"
#include "xmpp/jid.h"
#include "xmpp/stanza.h"

namespace conclave::component::federation {

ConsensusRuntime::ConsensusRuntime(Send send, Log log, std::uint64_t seed, ConsensusOptions options)
    : send_(std::move(send)), log_(std::move(log)), seed_(seed), options_(options) {}

bool ConsensusRuntime::configure(const NodeId& room, std::vector<NodeId> mirror_set,
                                 const NodeId& home) {
  const std::set<NodeId> unique(mirror_set.begin(), mirror_set.end());
  if (unique.size() != mirror_set.size() || unique.count(room) == 0 || unique.count(home) == 0) {
    return false;
  }
  rooms_.erase(room);
  // Each room draws its own timeouts: rooms of one node must not stand in lockstep.
  rooms_.emplace(room, CommitConsensus(room, std::move(mirror_set), home,
                                       seed_ ^ std::hash<std::string>{}(room), options_));
  return true;
}

void ConsensusRuntime::send_all(std::vector<Message> out) {
  for (const Message& m : out) {
    xmpp::Element s =
        xmpp::make_stanza("message", "normal", m.from, m.to, "fc" + std::to_string(++next_id_));
    s.add_child(encode(m));
    send_(std::move(s));
  }
}

void ConsensusRuntime::tick() {
  for (auto& [room, c] : rooms_) send_all(c.tick());
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
  send_all(it->second.receive(*m));
  return true;
}

std::optional<std::uint64_t> ConsensusRuntime::propose(const NodeId& room, Hash commit) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return std::nullopt;
  auto at = it->second.propose(std::move(commit));
  if (at) send_all(it->second.flush());
  return at;
}

std::optional<ConsensusStatus> ConsensusRuntime::status(const NodeId& room) const {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return std::nullopt;
  const CommitConsensus& c = it->second;
  return ConsensusStatus{c.term(), c.role(), c.leader(), c.committed()};
}

std::vector<Hash> ConsensusRuntime::final_commits(const NodeId& room) const {
  auto it = rooms_.find(room);
  return it == rooms_.end() ? std::vector<Hash>{} : it->second.final_commits();
}

}  // namespace conclave::component::federation
