#include "component/cluster/lease_keeper.h"

#include <algorithm>
#include <memory>

namespace conclave::component::cluster {

LeaseKeeper::LeaseKeeper(LeaseSettings settings, std::string holder, LeaseStore& store,
                         Services& services, std::function<SteadyClock::time_point()> steady_now)
    : settings_(settings),
      holder_(std::move(holder)),
      store_(store),
      services_(services),
      steady_now_(std::move(steady_now)) {
  if (settings_.shards == 0) settings_.shards = 1;
}

void LeaseKeeper::step() {
  const SteadyClock::time_point now = steady_now_();
  drop_expired(now);
  if (in_flight_ || stopping_) return;

  std::vector<Lease> renew;
  bool due = false;
  for (const auto& [shard, h] : held_) {
    renew.push_back({shard, h.term});
    if (now - h.renewed >= settings_.renew_every) due = true;
  }
  if (!due) renew.clear();
  // Leader first (see the header): only the holder of shard 0 takes the other shards.
  const bool leader = held_.count(kLeaderShard) != 0;
  std::vector<std::uint32_t> rest;
  for (std::uint32_t s = 0; s < settings_.shards; ++s) {
    if (s != kLeaderShard && held_.count(s) == 0) rest.push_back(s);
  }
  if (renew.empty() && leader && rest.empty()) return;

  in_flight_ = true;
  const bool ensure = !shards_ensured_;
  const std::uint32_t count = settings_.shards;
  const std::string me = holder_;
  const std::chrono::milliseconds length = settings_.length;
  LeaseStore* store = &store_;
  // The deadline counts from the send time: the database sets expires_at = now() + L when it
  // executes the statement, which is later (§A.3).
  run_blocking<Round>(
      *services_.runner,
      [store, ensure, count, me, renew, leader, rest, length] {
        Round r;
        if (ensure) {
          if (auto s = store->ensure_shards(count); !s) {
            r.renewed = r.acquired = fail(s.error());
            return r;
          }
        }
        r.renewed = store->renew(me, renew, length);
        std::vector<Lease> got;
        if (!leader) {
          auto first = store->acquire(me, {kLeaderShard}, length);
          if (!first || first->empty()) {
            r.acquired = std::move(first);
            return r;
          }
          got = std::move(*first);
        }
        auto others = store->acquire(me, rest, length);
        if (!others) {
          r.acquired = got.empty() ? std::move(others) : Result<std::vector<Lease>>(got);
          return r;
        }
        got.insert(got.end(), others->begin(), others->end());
        r.acquired = std::move(got);
        return r;
      },
      [this, now, renew](Round r) { finish_round(now, renew, std::move(r)); });
}

void LeaseKeeper::finish_round(SteadyClock::time_point sent, const std::vector<Lease>& asked,
                               Round round) {
  in_flight_ = false;
  if (round.renewed) {
    // A lease asked for and not renewed is gone: taken over after we failed to renew in time.
    std::vector<std::uint32_t> gone;
    for (const Lease& a : asked) {
      bool kept = false;
      for (const Lease& r : *round.renewed) kept = kept || r == a;
      auto it = held_.find(a.shard);
      if (it == held_.end() || it->second.term != a.term) continue;  // dropped meanwhile
      if (kept) {
        it->second.renewed = sent;
        it->second.deadline = sent + settings_.length - settings_.margin;
      } else {
        gone.push_back(a.shard);
      }
    }
    counters_.lost += gone.size();
    if (!gone.empty()) {
      log(LogLevel::warn, std::to_string(gone.size()) + " shard lease(s) lost at renewal");
      lose(gone);
    }
  } else {
    ++counters_.store_errors;
    // Keep acting until the deadline: the database may be back before it (§A.3).
    log(LogLevel::warn, "renewing shard leases failed: " + round.renewed.error().message());
  }
  if (round.acquired) {
    shards_ensured_ = true;
    bool leader_now = held_.count(kLeaderShard) != 0;
    for (const Lease& l : *round.acquired) leader_now = leader_now || l.shard == kLeaderShard;
    if ((stopping_ || !leader_now) && !round.acquired->empty()) {
      // Taken while shutting down, or while the leader shard was lost in the same round: not
      // ours to sequence; give them straight back.
      give_back(*round.acquired);
      return;
    }
    std::vector<Lease> gained;
    for (const Lease& l : *round.acquired) {
      held_[l.shard] = {l.term, sent + settings_.length - settings_.margin, sent};
      gained.push_back(l);
    }
    counters_.acquired += gained.size();
    if (!gained.empty()) {
      log(LogLevel::info, "took " + std::to_string(gained.size()) + " shard lease(s)");
      if (on_gained) on_gained(gained);
    }
  } else {
    ++counters_.store_errors;
    log(LogLevel::warn, "taking shard leases failed: " + round.acquired.error().message());
  }
  drop_expired(steady_now_());
}

void LeaseKeeper::drop_expired(SteadyClock::time_point now) {
  std::vector<std::uint32_t> expired;
  for (const auto& [shard, h] : held_) {
    if (now >= h.deadline) expired.push_back(shard);
  }
  if (expired.empty()) return;
  counters_.demoted += expired.size();
  log(LogLevel::warn,
      "stopped sequencing " + std::to_string(expired.size()) + " shard(s): no renewal in time");
  lose(expired);
}

void LeaseKeeper::lose(const std::vector<std::uint32_t>& shards) {
  std::vector<std::uint32_t> gone = shards;
  for (std::uint32_t s : shards) held_.erase(s);
  const bool leader_lost = std::find(shards.begin(), shards.end(), kLeaderShard) != shards.end();
  if (leader_lost && !held_.empty()) {
    // Without the leader shard this instance is no longer the active one: it gives the other
    // shards back at once, so the new leader need not wait for them to expire.
    std::vector<Lease> rest = held();
    for (const Lease& l : rest) gone.push_back(l.shard);
    held_.clear();
    give_back(std::move(rest));
  }
  if (on_lost) on_lost(gone);
}

void LeaseKeeper::release_all(std::function<void()> done) {
  stopping_ = true;
  std::vector<Lease> all = held();
  std::vector<std::uint32_t> shards;
  for (const Lease& l : all) shards.push_back(l.shard);
  // Stop acting first: nothing is sequenced under a lease being given away.
  if (!shards.empty()) lose(shards);
  give_back(std::move(all), std::move(done));
}

void LeaseKeeper::give_back(std::vector<Lease> leases, std::function<void()> done) {
  counters_.released += leases.size();
  LeaseStore* store = &store_;
  run_blocking<Status>(
      *services_.runner,
      [store, me = holder_, leases = std::move(leases)] { return store->release(me, leases); },
      [this, done = std::move(done)](Status s) {
        if (!s) log(LogLevel::warn, "releasing shard leases failed: " + s.error().message());
        if (done) done();
      });
}

std::optional<Lease> LeaseKeeper::fence_for(std::string_view room_jid) const {
  const std::uint32_t shard = shard_of(room_jid, settings_.shards);
  auto it = held_.find(shard);
  if (it == held_.end() || steady_now_() >= it->second.deadline) return std::nullopt;
  return Lease{shard, it->second.term};
}

bool LeaseKeeper::holds(std::uint32_t shard) const {
  auto it = held_.find(shard);
  return it != held_.end() && steady_now_() < it->second.deadline;
}

std::vector<Lease> LeaseKeeper::held() const {
  std::vector<Lease> out;
  for (const auto& [shard, h] : held_) out.push_back({shard, h.term});
  return out;
}

void LeaseKeeper::log(LogLevel level, const std::string& line) const {
  if (services_.log) services_.log(level, "cluster: " + line);
}

}  // namespace conclave::component::cluster
