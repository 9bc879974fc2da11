#pragma once
// PgRoomStore: component::RoomStore on PostgreSQL (tables rooms, room_affiliations and,
// for moderation, room_archive of schema/0001_initial.sql). Every call blocks on a pooled
// connection: call it from a database thread only (component/core/blocking_runner.h).
#include "component/store/room_store.h"
#include "db/connection_pool.h"

namespace conclave::db {

class PgRoomStore : public component::RoomStore {
 public:
  // `pool` must outlive the store.
  explicit PgRoomStore(ConnectionPool& pool) : pool_(pool) {}

  component::Result<std::vector<component::RoomRecord>> load_persistent() override;
  component::Status purge_temporary() override;
  component::Status create(const component::RoomRecord& room) override;
  component::Status save(const component::RoomRecord& room) override;
  component::Status set_affiliations(
      const component::RoomJid& room,
      const std::vector<component::AffiliationRecord>& changes) override;
  component::Status destroy(const component::RoomJid& room) override;
  component::Result<std::string> tombstone_message(
      const component::RoomJid& room, const std::string& stanza_id, const Tombstoner& make,
      const component::ArchivedMessage& notice) override;

 private:
  ConnectionPool& pool_;
};

}  // namespace conclave::db
