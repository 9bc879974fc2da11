#include "db/pg_room_store.h"

#include <pqxx/pqxx>

#include "component/store/settings_codec.h"
#include "db/archive_row.h"

namespace conclave::db {

using component::Affiliation;
using component::AffiliationRecord;
using component::RoomJid;
using component::RoomRecord;
using component::StoreErrc;

namespace {

void write_affiliation(pqxx::work& tx, const RoomJid& room_jid, const AffiliationRecord& a) {
  const std::string& room = room_jid.str();  // SQL parameters are text
  if (a.affiliation == Affiliation::none) {
    tx.exec_params0("DELETE FROM room_affiliations WHERE room = $1 AND jid = $2", room, a.jid);
    return;
  }
  // A registered nick that another user holds would violate the unique index: the room layer
  // checks nicks first, so this only keeps the row's own nick.
  tx.exec_params0(
      "INSERT INTO room_affiliations (room, jid, affiliation, reason, nick) "
      "VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, '')) "
      "ON CONFLICT (room, jid) DO UPDATE SET affiliation = EXCLUDED.affiliation, "
      "reason = EXCLUDED.reason, nick = COALESCE(EXCLUDED.nick, room_affiliations.nick)",
      room, a.jid, std::string(to_string(a.affiliation)), a.reason, a.nick);
}

}  // namespace

component::Result<std::vector<RoomRecord>> PgRoomStore::load_persistent() {
  return pool_.run<std::vector<RoomRecord>>(
      [](pqxx::connection_base& c) -> Result<std::vector<RoomRecord>> {
        pqxx::read_transaction tx(c);
        std::vector<RoomRecord> out;
        std::map<std::string, std::size_t> index;
        for (const auto& row :
             tx.exec("SELECT jid, persistent, config::text, mode, mls_group_id IS NOT NULL "
                     "FROM rooms WHERE persistent OR mls_group_id IS NOT NULL ORDER BY jid")) {
          // rooms.jid only ever holds rooms' bare JIDs, written from RoomJid::str().
          auto jid = RoomJid::parse(row[0].as<std::string>());
          if (!jid) return fail(jid.error());
          RoomRecord r;
          r.jid = std::move(*jid);
          r.persistent = row[1].as<bool>();
          r.has_group = row[4].as<bool>();
          r.settings = component::decode_settings(row[2].as<std::string>());
          r.mode = component::room_mode_from(row[3].as<std::string>())
                       .value_or(component::RoomMode::chat_room);
          index[r.jid.str()] = out.size();
          out.push_back(std::move(r));
        }
        for (const auto& row :
             tx.exec("SELECT a.room, a.jid, a.affiliation, COALESCE(a.reason, ''), "
                     "COALESCE(a.nick, '') FROM room_affiliations a JOIN rooms r ON r.jid = a.room "
                     "WHERE r.persistent OR r.mls_group_id IS NOT NULL ORDER BY a.room, a.jid")) {
          auto it = index.find(row[0].as<std::string>());
          if (it == index.end()) continue;
          // The column's CHECK admits only the four stored affiliations.
          auto affiliation = component::affiliation_from(row[2].as<std::string>());
          if (!affiliation) return fail(std::make_error_code(std::errc::invalid_argument));
          out[it->second].affiliations.push_back({row[1].as<std::string>(), *affiliation,
                                                  row[3].as<std::string>(),
                                                  row[4].as<std::string>()});
        }
        return out;
      });
}

component::Status PgRoomStore::purge_temporary() {
  return pool_.run([](pqxx::connection_base& c) -> Status {
    pqxx::work tx(c);
    // A room that holds an MLS group is kept whatever its flag says (docs/protocol.md §6.5):
    // its group ends only with an explicit destroy.
    tx.exec0("DELETE FROM rooms WHERE NOT persistent AND mls_group_id IS NULL");
    tx.commit();
    return {};
  });
}

component::Status PgRoomStore::create(const RoomRecord& room) {
  return pool_.run([&](pqxx::connection_base& c) -> Status {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "INSERT INTO rooms (jid, mode, persistent, config) VALUES ($1, $2, $3, $4::jsonb) "
        "ON CONFLICT (jid) DO NOTHING",
        room.jid.str(), std::string(component::to_string(room.mode)), room.persistent,
        component::encode_settings(room.settings));
    if (r.affected_rows() != 1) return fail(make_error_code(StoreErrc::conflict));
    for (const AffiliationRecord& a : room.affiliations) write_affiliation(tx, room.jid, a);
    tx.commit();
    return {};
  });
}

component::Status PgRoomStore::save(const RoomRecord& room) {
  return pool_.run([&](pqxx::connection_base& c) -> Status {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "UPDATE rooms SET persistent = $2 OR mls_group_id IS NOT NULL, config = $3::jsonb, "
        "mode = $4 WHERE jid = $1",
        room.jid.str(), room.persistent, component::encode_settings(room.settings),
        std::string(component::to_string(room.mode)));
    if (r.affected_rows() != 1) return fail(make_error_code(StoreErrc::not_found));
    tx.commit();
    return {};
  });
}

component::Status PgRoomStore::set_affiliations(const RoomJid& room,
                                                const std::vector<AffiliationRecord>& changes) {
  return pool_.run([&](pqxx::connection_base& c) -> Status {
    pqxx::work tx(c);
    // Lock the room row: a concurrent destroy cannot leave orphan rows behind.
    auto r = tx.exec_params("SELECT 1 FROM rooms WHERE jid = $1 FOR UPDATE", room.str());
    if (r.empty()) return fail(make_error_code(StoreErrc::not_found));
    for (const AffiliationRecord& a : changes) write_affiliation(tx, room, a);
    tx.commit();
    return {};
  });
}

component::Status PgRoomStore::destroy(const RoomJid& room) {
  return pool_.run([&](pqxx::connection_base& c) -> Status {
    pqxx::work tx(c);
    tx.exec_params0("DELETE FROM rooms WHERE jid = $1", room.str());  // cascades to the archive
    tx.commit();
    return {};
  });
}

component::Result<std::string> PgRoomStore::tombstone_message(
    const RoomJid& room_jid, const std::string& stanza_id, const Tombstoner& make,
    const component::ArchivedMessage& notice) {
  const std::string& room = room_jid.str();  // SQL parameters are text
  return pool_.run<std::string>([&](pqxx::connection_base& c) -> Result<std::string> {
    pqxx::work tx(c);
    // The room first, FOR SHARE as every archive append holds it (a concurrent destroy waits;
    // taking it after the archive row would invert destroy's lock order).
    if (tx.exec_params("SELECT 1 FROM rooms WHERE jid = $1 FOR SHARE", room).empty()) {
      return component::fail(StoreErrc::not_found);
    }
    // FOR UPDATE: two moderators retracting the same message serialize here.
    auto r = tx.exec_params(
        "SELECT id, stanza FROM room_archive WHERE room = $1 AND stanza_id = $2 FOR UPDATE", room,
        stanza_id);
    if (r.empty()) return component::fail(StoreErrc::not_found);
    auto replaced = make(r[0][1].as<std::string>());
    if (!replaced) return component::fail(StoreErrc::conflict);
    tx.exec_params0("UPDATE room_archive SET stanza = $2 WHERE id = $1", r[0][0].as<long long>(),
                    *replaced);
    try {
      insert_archive_row(tx, notice);
    } catch (const pqxx::unique_violation&) {
      return component::fail(StoreErrc::conflict);  // the transaction rolls back: no tombstone
    }
    tx.commit();
    return *replaced;
  });
}

}  // namespace conclave::db
