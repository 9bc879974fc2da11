#pragma once
// LeaseStore: the shard leases that elect each room's sequencer when several Conclave instances
// share one database (docs/sequencing.md §A.1, §A.3). Rooms hash into a fixed number of shards;
// a shard's holder alone sequences its rooms. Every lease carries a term that grows at each
// takeover: the term is the fencing token the commit transaction checks (§A.4), so a holder
// that paused past its expiry fails instead of writing.
//
// Expiry is decided by the database's clock alone; instances never compare clocks. Calls block
// (run them on the BlockingRunner).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "component/store/result.h"

namespace conclave::component {

// One held lease: the fencing token of a shard.
struct Lease {
  std::uint32_t shard = 0;
  std::uint64_t term = 0;

  friend bool operator==(const Lease&, const Lease&) = default;
};

// The fencing token a write carries (docs/sequencing.md §A.4): the writer's holder id and the
// lease it believes it holds. The database refuses the write unless that lease is still live.
struct Fence {
  std::string holder;
  Lease lease;

  friend bool operator==(const Fence&, const Fence&) = default;
};

// One shard as the database sees it (the admin `stats` command and the room list show these).
struct ShardState {
  std::uint32_t shard = 0;
  std::string holder;  // empty: never held, or released
  std::uint64_t term = 0;
  bool live = false;                  // held and not expired by the database's clock
  std::chrono::milliseconds left{0};  // until expiry; 0 when not live
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;

  // Makes sure shards 0..count-1 have rows (idempotent; new rows are free, term 0).
  virtual Status ensure_shards(std::uint32_t count) = 0;

  // Takes those of `wanted` that are free or expired, for `length`, each with its term + 1.
  // Returns the leases taken (possibly none). Several instances calling at once never take the
  // same shard in the same term.
  virtual Result<std::vector<Lease>> acquire(const std::string& holder,
                                             const std::vector<std::uint32_t>& wanted,
                                             std::chrono::milliseconds length) = 0;

  // Extends the leases still held by `holder` in the given terms to now + `length`; returns the
  // ones extended. A lease missing from the answer is lost (taken over, or expired and taken).
  virtual Result<std::vector<Lease>> renew(const std::string& holder,
                                           const std::vector<Lease>& held,
                                           std::chrono::milliseconds length) = 0;

  // Gives the leases up at once (graceful shutdown or rebalancing) and wakes the standbys
  // (a hint only: they also poll). Leases not held any more are skipped.
  virtual Status release(const std::string& holder, const std::vector<Lease>& held) = 0;

  // Every shard's holder, term and remaining time, by the database's clock.
  virtual Result<std::vector<ShardState>> shards() = 0;
};

// shard_of: the shard of a room JID among `count` shards, the same on every instance and every
// build (FNV-1a over the bare JID's bytes; std::hash is neither stable nor specified).
std::uint32_t shard_of(std::string_view room_jid, std::uint32_t count);

}  // namespace conclave::component
