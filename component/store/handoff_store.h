#pragma once
// HandoffStore: stanzas an instance received while it was not the active one (docs/cluster.md),
// queued in the database for the instance that is. The XMPP server may still route stanzas to
// a connection whose instance lost its lease (a paused process keeps its socket); that instance
// must neither handle them nor drop them. Calls block (run them on the BlockingRunner).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "component/store/result.h"

namespace conclave::component {

struct HandedStanza {
  std::int64_t id = 0;  // ascending in hand-off order
  std::string stanza;   // serialized, in the component namespace
};

class HandoffStore {
 public:
  virtual ~HandoffStore() = default;
  // Queues stanzas in this order (one transaction) and wakes the active instance (a hint; it
  // also polls).
  virtual Status hand_off(const std::vector<std::string>& stanzas, const std::string& by) = 0;
  // Takes up to `max` of the oldest queued stanzas, removing them. Concurrent takers get
  // disjoint sets.
  virtual Result<std::vector<HandedStanza>> take(std::size_t max) = 0;
};

}  // namespace conclave::component
