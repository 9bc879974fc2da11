#pragma once
// ConsensusRuntime: this node's CommitConsensus for each federated private group chat it
// serves, on the wire (docs/federation.md §3.3). It turns the state machines' messages into
// stanzas between the room JIDs of each mirror set and back, and drives their ticks. What it
// does not do yet is decide when to tick or where stanzas go: the component's timer and its
// stanza router call tick() and on_stanza(), and `send` hands stanzas to the XEP-0114 stream.
//
//   <message type='normal' from='room@mls.a.test' to='room@mls.b.test' id='…'>
//     <append xmlns='urn:xmpp:mls:0' …/>
//   </message>
//
// Messages, not IQs: the algorithm tolerates loss, duplication and reordering, so nothing waits
// for an answer, and a cut link costs no pending-request state.
//
// Threading: one thread (the component's I/O thread).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "component/federation/commit_consensus.h"
#include "component/store/consensus_store.h"
#include "xmpp/element.h"

namespace conclave::component::federation {

struct ConsensusStatus {
  std::uint64_t term = 0;
  Role role = Role::follower;
  std::optional<NodeId> leader;
  std::uint64_t committed = 0;
};

class ConsensusRuntime {
 public:
  using Send = std::function<void(xmpp::Element stanza)>;
  using Log = std::function<void(const std::string& line)>;

  // `store`: where each room's term, vote and log are saved before anything that depends on
  // them is sent (null: kept in memory only, for tests). Its calls block this thread: they
  // happen on a term change, a vote and an appended entry, never for a heartbeat.
  ConsensusRuntime(Send send, Log log, std::uint64_t seed, ConsensusOptions options = {},
                   ConsensusStore* store = nullptr);

  // configure: this node serves `room` (its own room JID, one of `mirror_set`), whose home is
  // `home`, resuming from what the store saved for it. False (and nothing changed) for a set
  // that does not hold `room` and `home`, or names one JID twice, or when the store fails.
  bool configure(const NodeId& room, std::vector<NodeId> mirror_set, const NodeId& home);

  // tick: one tick of every room's agreement; sends what they say.
  void tick();
  // on_stanza: a stanza from the network. True when it is a consensus message (then it is
  // consumed: handled, or ignored with a log line when malformed, from outside the mirror set,
  // or for a room this node does not serve); false for anything else.
  bool on_stanza(const xmpp::Element& stanza);

  // propose: as the room's sequencer, appends a commit; its log index, or nullopt when this
  // node does not sequence the room (or does not serve it).
  std::optional<std::uint64_t> propose(const NodeId& room, Hash commit);
  std::optional<ConsensusStatus> status(const NodeId& room) const;
  // The room's final commits, in epoch order.
  std::vector<Hash> final_commits(const NodeId& room) const;

 private:
  struct Room {
    CommitConsensus consensus;
    ConsensusState saved;  // what the store holds
  };
  // settle: saves what changed in `r`, then sends `out`; on a store failure sends nothing
  // (the next event tries again: nothing went out that the disk does not back).
  void settle(const NodeId& room, Room& r, std::vector<Message> out);

  Send send_;
  Log log_;
  std::uint64_t seed_;
  ConsensusOptions options_;
  ConsensusStore* store_;
  std::uint64_t next_id_ = 0;
  std::map<NodeId, Room> rooms_;
};

}  // namespace conclave::component::federation
