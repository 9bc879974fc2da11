#pragma once
// LeaseKeeper: one instance's side of the shard leases (docs/sequencing.md §A.3). It takes the
// free or expired shards, renews the ones it holds, and stops acting for a shard on its own
// monotonic clock before the database could hand the shard to someone else, so at any moment at
// most one instance believes it sequences a room. What it believes is only an optimisation: the
// commit transaction checks the same (holder, term) in the database (§A.4), so an instance that
// was paused past its deadline is fenced even before it notices.
//
// Policy: one active instance. Shard 0 is the leader shard: an instance first takes shard 0 and
// only its holder takes the other shards (every free one). So one instance sequences everything
// and holds the XMPP connection (docs/cluster.md explains why: XEP-0114 gives no per-room
// routing that follows leases, and Prosody takes one connection); the others stand by, and the
// first to take shard 0 after the active one dies or leaves takes over. Losing shard 0 gives
// the rest back at once. Shards remain the unit of fencing, and of balancing later.
//
// Threading: everything but the store calls runs on the I/O thread; step() is called by a
// timer (app/) at least every `poll` and after a lease_released notification.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "component/core/services.h"
#include "component/store/lease_store.h"

namespace conclave::component::cluster {

using SteadyClock = std::chrono::steady_clock;

struct LeaseSettings {
  std::uint32_t shards = 64;                    // cluster.shards: S, the same on every instance
  std::chrono::milliseconds length{10000};      // cluster.lease_ms: L
  std::chrono::milliseconds renew_every{2000};  // cluster.renew_ms: R (about L/5)
  // The holder stops acting this long before its lease could expire in the database: covers the
  // time between sending a renewal and the database executing it, and clock rate differences.
  std::chrono::milliseconds margin{1000};

  friend bool operator==(const LeaseSettings&, const LeaseSettings&) = default;
};

inline constexpr std::uint32_t kLeaderShard = 0;

class LeaseKeeper {
 public:
  // `holder`: this process's id (name, pid and a random part: a restarted instance must never
  // take its predecessor's leases for its own). `steady_now`: the monotonic clock (injectable).
  LeaseKeeper(LeaseSettings settings, std::string holder, LeaseStore& store, Services& services,
              std::function<SteadyClock::time_point()> steady_now = SteadyClock::now);

  // step: drops leases past their deadline, then (unless a round is in flight) renews what is
  // due and tries to take the free shards, in one blocking round.
  void step();

  // release_all: gives every lease up (graceful shutdown), then calls `done` on the I/O thread.
  void release_all(std::function<void()> done);

  // The fence for a room: its shard's lease when this instance holds it and its deadline has not
  // passed; nullopt otherwise (someone else sequences it, or nobody yet).
  std::optional<Lease> fence_for(std::string_view room_jid) const;
  bool holds(std::uint32_t shard) const;
  // active: this instance holds the leader shard (so it sequences and holds the connection).
  bool active() const { return holds(kLeaderShard); }
  std::vector<Lease> held() const;

  const std::string& holder() const { return holder_; }
  const LeaseSettings& settings() const { return settings_; }

  // Called on the I/O thread when shards are gained or lost (lost includes self-demotion).
  std::function<void(const std::vector<Lease>&)> on_gained;
  std::function<void(const std::vector<std::uint32_t>&)> on_lost;

  // Counters for the admin stats command and the tests.
  struct Counters {
    std::uint64_t acquired = 0;  // leases taken
    std::uint64_t lost = 0;      // leases the database no longer had for us at renewal
    std::uint64_t demoted = 0;   // leases dropped because their deadline passed unrenewed
    std::uint64_t released = 0;  // leases given up
    std::uint64_t store_errors = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Held {
    std::uint64_t term = 0;
    SteadyClock::time_point deadline;  // stop acting at this instant
    SteadyClock::time_point renewed;   // send time of the last successful renewal
  };
  struct Round {
    Result<std::vector<Lease>> renewed = std::vector<Lease>{};
    Result<std::vector<Lease>> acquired = std::vector<Lease>{};
  };

  void drop_expired(SteadyClock::time_point now);
  void finish_round(SteadyClock::time_point sent, const std::vector<Lease>& asked, Round round);
  void lose(const std::vector<std::uint32_t>& shards);
  // give_back: releases `leases` in the store (counted), then `done` if set.
  void give_back(std::vector<Lease> leases, std::function<void()> done = {});
  void log(LogLevel level, const std::string& line) const;

  LeaseSettings settings_;
  std::string holder_;
  LeaseStore& store_;
  Services& services_;
  std::function<SteadyClock::time_point()> steady_now_;
  std::map<std::uint32_t, Held> held_;
  bool in_flight_ = false;
  bool shards_ensured_ = false;
  bool stopping_ = false;
  Counters counters_;
};

}  // namespace conclave::component::cluster
