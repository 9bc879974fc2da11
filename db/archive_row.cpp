#include "db/archive_row.h"

namespace conclave::db {

std::int64_t to_epoch_ms(component::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void insert_archive_row(pqxx::transaction_base& tx, const component::ArchivedMessage& m) {
  tx.exec_params0(
      "INSERT INTO room_archive (room, stanza_id, ts, from_nick, occupant_id, from_jid, stanza) "
      "VALUES ($1, $2, to_timestamp($3::bigint / 1000.0), $4, NULLIF($5, ''), NULLIF($6, ''), $7)",
      m.room.str(), m.stanza_id, to_epoch_ms(m.ts), m.from_nick, m.occupant_id, m.from_jid,
      m.stanza);
}

}  // namespace conclave::db
