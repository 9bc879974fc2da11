#pragma once
// PgHandoffStore: component::HandoffStore on PostgreSQL (table stanza_handoff of
// schema/0003_shard_leases.sql).
#include "component/store/handoff_store.h"
#include "db/connection_pool.h"

namespace conclave::db {

// The channel the active instance LISTENs on; hand_off notifies it at commit.
inline constexpr const char* kHandoffChannel = "conclave_handoff";

class PgHandoffStore : public component::HandoffStore {
 public:
  explicit PgHandoffStore(ConnectionPool& pool) : pool_(pool) {}

  component::Status hand_off(const std::vector<std::string>& stanzas,
                             const std::string& by) override;
  component::Result<std::vector<component::HandedStanza>> take(std::size_t max) override;

 private:
  ConnectionPool& pool_;
};

}  // namespace conclave::db
