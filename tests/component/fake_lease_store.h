#pragma once
// FakeLeaseStore: the lease table of schema/0003 in memory, with the rules of PgLeaseStore
// (db/pg_lease_store.cpp) and a database clock the test moves.
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include "component/store/lease_store.h"

namespace conclave::component::testing {

using namespace std::chrono_literals;

class FakeLeaseStore : public LeaseStore {
 public:
  struct Row {
    std::string holder;
    std::uint64_t term = 0;
    std::chrono::milliseconds expires{0};
  };
  std::chrono::milliseconds db_now{1000};
  std::map<std::uint32_t, Row> rows;
  bool down = false;

  Status ensure_shards(std::uint32_t count) override {
    if (down) return fail(std::make_error_code(std::errc::connection_refused));
    for (std::uint32_t s = 0; s < count; ++s) rows.try_emplace(s);
    return {};
  }
  Result<std::vector<Lease>> acquire(const std::string& holder,
                                     const std::vector<std::uint32_t>& wanted,
                                     std::chrono::milliseconds length) override {
    if (down) return fail(std::make_error_code(std::errc::connection_refused));
    std::vector<Lease> out;
    for (std::uint32_t s : wanted) {
      Row& r = rows[s];
      if (!r.holder.empty() && r.expires >= db_now) continue;
      r = {holder, r.term + 1, db_now + length};
      out.push_back({s, r.term});
    }
    return out;
  }
  Result<std::vector<Lease>> renew(const std::string& holder, const std::vector<Lease>& held,
                                   std::chrono::milliseconds length) override {
    if (down) return fail(std::make_error_code(std::errc::connection_refused));
    std::vector<Lease> out;
    for (const Lease& l : held) {
      Row& r = rows[l.shard];
      if (r.holder != holder || r.term != l.term) continue;
      r.expires = db_now + length;
      out.push_back(l);
    }
    return out;
  }
  Status release(const std::string& holder, const std::vector<Lease>& held) override {
    if (down) return fail(std::make_error_code(std::errc::connection_refused));
    for (const Lease& l : held) {
      Row& r = rows[l.shard];
      if (r.holder == holder && r.term == l.term) r.holder.clear();
    }
    return {};
  }
  Result<std::vector<ShardState>> shards() override { return std::vector<ShardState>{}; }
};

}  // namespace conclave::component::testing
