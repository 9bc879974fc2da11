#pragma once
// PgArchiveStore: component::ArchiveStore on PostgreSQL (table room_archive of
// schema/0001_initial.sql). Calls block on a pooled connection; see PgRoomStore.
#include "component/store/archive_store.h"
#include "db/connection_pool.h"

namespace conclave::db {

class PgArchiveStore : public component::ArchiveStore {
 public:
  // `pool` must outlive the store.
  explicit PgArchiveStore(ConnectionPool& pool) : pool_(pool) {}

  component::Status append(const component::ArchivedMessage& message) override;
  component::Status append_batch(const std::vector<component::ArchivedMessage>& messages) override;
  component::Result<component::ArchivePage> query(const component::ArchiveQuery& query) override;
  component::Result<std::vector<component::ArchivedMessage>> recent(const component::RoomJid& room,
                                                                    std::size_t max) override;

 private:
  ConnectionPool& pool_;
};

}  // namespace conclave::db
