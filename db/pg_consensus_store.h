#pragma once
// PgConsensusStore: component::ConsensusStore on PostgreSQL (schema/0007_federation.sql).
#include "component/store/consensus_store.h"
#include "db/connection_pool.h"

namespace conclave::db {

class PgConsensusStore : public component::ConsensusStore {
 public:
  // `pool` must outlive the store.
  explicit PgConsensusStore(ConnectionPool& pool) : pool_(pool) {}

  component::Result<std::optional<component::ConsensusState>> load(
      const std::string& room) override;
  component::Status save(const std::string& room, std::uint64_t term, const std::string& voted_for,
                         std::uint64_t from,
                         const std::vector<component::ConsensusEntry>& tail) override;

 private:
  ConnectionPool& pool_;
};

}  // namespace conclave::db
