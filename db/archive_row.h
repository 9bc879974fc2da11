#pragma once
// Writing one room_archive row inside a caller's transaction. The archive belongs to
// PgArchiveStore, but other stores write rows that must commit atomically with their own
// changes (a moderator's retraction notice with the tombstone it announces; an accepted MLS
// commit with its place in the room's history), so the INSERT lives here once.
#include <cstdint>
#include <pqxx/pqxx>

#include "component/store/archive_store.h"

namespace conclave::db {

// Times cross the SQL boundary as milliseconds since the epoch (timestamptz keeps
// microseconds, XEP-0082 stamps carry milliseconds).
std::int64_t to_epoch_ms(component::TimePoint t);

// insert_archive_row: appends `m` to the archive in `tx`. The caller has checked that the room
// exists (and holds it FOR SHARE or stronger); a duplicate stanza id for the room throws
// pqxx::unique_violation (constraint room_archive_stanza_id).
void insert_archive_row(pqxx::transaction_base& tx, const component::ArchivedMessage& m);

}  // namespace conclave::db
