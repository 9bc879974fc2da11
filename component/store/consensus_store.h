#pragma once
// ConsensusStore: what a node of a federated room's mirror set must keep across a restart
// before it answers a peer (docs/federation.md §3.2; the Raft algorithm's persistent state): its
// term, its vote in that term, and its log. Without it a restarted node could vote twice in one
// term, or forget entries a majority counted on. Calls block.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "component/store/result.h"

namespace conclave::component {

struct ConsensusEntry {
  std::uint64_t term = 0;
  std::vector<std::uint8_t> commit;  // a commit's hash; empty: a sequencer's no-op
  friend bool operator==(const ConsensusEntry&, const ConsensusEntry&) = default;
};

struct ConsensusState {
  std::uint64_t term = 1;
  std::string voted_for;  // empty: nobody in this term
  std::vector<ConsensusEntry> log;
  friend bool operator==(const ConsensusState&, const ConsensusState&) = default;
};

class ConsensusStore {
 public:
  virtual ~ConsensusStore() = default;
  // load: the room's state, or nullopt if it was never saved.
  virtual Result<std::optional<ConsensusState>> load(const std::string& room) = 0;
  // save: term and vote, and the log from index `from` on replaced by `tail` (the entries
  // before `from` are kept as they are), in one transaction.
  virtual Status save(const std::string& room, std::uint64_t term, const std::string& voted_for,
                      std::uint64_t from, const std::vector<ConsensusEntry>& tail) = 0;
};

}  // namespace conclave::component
