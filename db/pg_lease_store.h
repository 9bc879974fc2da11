#pragma once
// PgLeaseStore: component::LeaseStore on PostgreSQL (table shard_lease of
// schema/0003_shard_leases.sql). Each call is one short transaction on a pooled connection and
// blocks; the component runs it on its BlockingRunner. Concurrent acquirers of one shard are
// serialized by the row lock of the UPDATE, and the loser re-reads the row (READ COMMITTED), so
// a lease is never handed out twice in one term.
#include "component/store/lease_store.h"
#include "db/connection_pool.h"

namespace conclave::db {

// The channel standbys LISTEN on; release() notifies it. A wake-up only: standbys poll too.
inline constexpr const char* kLeaseReleasedChannel = "conclave_lease_released";

class PgLeaseStore : public component::LeaseStore {
 public:
  // `pool` must outlive the store.
  explicit PgLeaseStore(ConnectionPool& pool) : pool_(pool) {}

  component::Status ensure_shards(std::uint32_t count) override;
  component::Result<std::vector<component::Lease>> acquire(
      const std::string& holder, const std::vector<std::uint32_t>& wanted,
      std::chrono::milliseconds length) override;
  component::Result<std::vector<component::Lease>> renew(const std::string& holder,
                                                         const std::vector<component::Lease>& held,
                                                         std::chrono::milliseconds length) override;
  component::Status release(const std::string& holder,
                            const std::vector<component::Lease>& held) override;
  component::Result<std::vector<component::ShardState>> shards() override;

 private:
  ConnectionPool& pool_;
};

}  // namespace conclave::db
