#pragma once
// FederationService: what the component runs of federation (docs/federation.md): for now, this
// node's part in the commit agreement of its federated rooms (ConsensusRuntime), fed by the
// component's timer and by the stanzas that peer rooms send, and a status query.
//
// It sees stanzas before the room service does (app/main.cpp): consensus messages between room
// JIDs of a mirror set, and the status query
//
//   <iq type='get' to='room@mls.a.test'><consensus xmlns='urn:xmpp:mls:0'/></iq>
//   <iq type='result'><consensus xmlns='urn:xmpp:mls:0' term='3' role='follower'
//        leader='room@mls.b.test' committed='12'/></iq>
//
// which answers anyone (term and sequencer are no secret; the room request limit of the room
// service does not apply here yet). Everything else goes on to the room service.
//
// Threading: the component's I/O thread.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "component/federation/consensus_runtime.h"
#include "xmpp/element.h"

namespace conclave::component::federation {

// The static mirror set of docs/configuration.md [federation] (one room per deployment until
// owners configure mirrors in their rooms, docs/federation.md §2).
struct FederationConfig {
  std::string home;                  // the home room's JID; empty: federation off
  std::vector<std::string> mirrors;  // the mirror set's room JIDs, the home among them
  std::string self;                  // this deployment's room of the set
};

class FederationService {
 public:
  using Send = std::function<void(xmpp::Element stanza)>;
  using Log = std::function<void(const std::string& line)>;

  // `store` keeps each room's term, vote and log across restarts (null: memory only).
  FederationService(const FederationConfig& config, Send send, Log log, std::uint64_t seed,
                    ConsensusStore* store = nullptr);

  // on_stanza: true when the stanza was for federation (consumed); false: the room service's.
  bool on_stanza(const xmpp::Element& stanza);
  // tick: one tick of every federated room (the component's timer, federation.tick_ms).
  void tick();

  ConsensusRuntime& runtime() { return runtime_; }
  // The federated room served here, its mirror set and home ("" when federation is off), and
  // where its agreement stands.
  const FederationConfig& config() const { return config_; }
  std::optional<ConsensusStatus> status() const { return runtime_.status(config_.self); }

 private:
  bool on_status_query(const xmpp::Element& iq);
  void log_changes();

  Send send_;
  Log log_;
  ConsensusRuntime runtime_;
  FederationConfig config_;  // all empty when federation is off
  ConsensusStatus last_;     // what was last logged, so that each change is logged once
};

}  // namespace conclave::component::federation
