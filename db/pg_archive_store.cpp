#include "db/pg_archive_store.h"

#include <algorithm>
#include <limits>
#include <pqxx/pqxx>

#include "db/archive_row.h"

namespace conclave::db {

using component::ArchivedMessage;
using component::ArchivePage;
using component::ArchiveQuery;
using component::RoomJid;
using component::StoreErrc;
using component::TimePoint;

namespace {

std::int64_t to_ms(TimePoint t) { return to_epoch_ms(t); }
TimePoint from_ms(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

constexpr std::int64_t kNoStart = 0;              // 1970: before any archived message
constexpr std::int64_t kNoEnd = 253402300799000;  // 9999-12-31T23:59:59Z
constexpr std::int64_t kNoAfter = 0;              // ids start at 1
constexpr std::int64_t kNoBefore = std::numeric_limits<std::int64_t>::max();

constexpr const char* kColumns =
    "stanza_id, (extract(epoch FROM ts) * 1000)::bigint, from_nick, COALESCE(occupant_id, ''), "
    "COALESCE(from_jid, ''), stanza";

// The filters of a query, all as parameters ($1 room, $2/$3 time range, $4 nick or '').
constexpr const char* kFilter =
    "room = $1 AND ts >= to_timestamp($2::bigint / 1000.0) AND "
    "ts <= to_timestamp($3::bigint / 1000.0) AND ($4 = '' OR from_nick = $4)";

ArchivedMessage row_to_message(const RoomJid& room, const pqxx::row& row) {
  ArchivedMessage m;
  m.room = room;
  m.stanza_id = row[0].as<std::string>();
  m.ts = from_ms(row[1].as<std::int64_t>());
  m.from_nick = row[2].as<std::string>();
  m.occupant_id = row[3].as<std::string>();
  m.from_jid = row[4].as<std::string>();
  m.stanza = row[5].as<std::string>();
  return m;
}

// The archive row id of a stanza id in a room; nullopt if unknown.
std::optional<std::int64_t> row_id(pqxx::transaction_base& tx, const RoomJid& room,
                                   const std::string& stanza_id) {
  auto r = tx.exec_params("SELECT id FROM room_archive WHERE room = $1 AND stanza_id = $2",
                          room.str(), stanza_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::int64_t>();
}

}  // namespace

component::Status PgArchiveStore::append(const ArchivedMessage& m) {
  return pool_.run([&](pqxx::connection_base& c) -> Status {
    pqxx::work tx(c);
    auto exists = tx.exec_params("SELECT 1 FROM rooms WHERE jid = $1 FOR SHARE", m.room.str());
    if (exists.empty()) return fail(make_error_code(StoreErrc::not_found));
    insert_archive_row(tx, m);
    tx.commit();  // durable before the room reflects the message
    return {};
  });
}

component::Status PgArchiveStore::append_batch(const std::vector<ArchivedMessage>& messages) {
  if (messages.empty()) return {};
  // One transaction, one multi-row INSERT per kRowsPerInsert messages: a room's group commit
  // costs about one round trip whatever its size (PostgreSQL takes at most 65535 parameters).
  constexpr std::size_t kRowsPerInsert = 500;
  constexpr std::size_t kColumnsPerRow = 7;
  return pool_.run([&](pqxx::connection_base& c) -> Status {
    pqxx::work tx(c);
    std::vector<RoomJid> checked;
    for (const ArchivedMessage& m : messages) {
      if (std::find(checked.begin(), checked.end(), m.room) != checked.end()) continue;
      auto exists = tx.exec_params("SELECT 1 FROM rooms WHERE jid = $1 FOR SHARE", m.room.str());
      if (exists.empty()) return fail(make_error_code(StoreErrc::not_found));
      checked.push_back(m.room);
    }
    std::vector<std::string> params;
    std::string sql;
    for (std::size_t first = 0; first < messages.size(); first += kRowsPerInsert) {
      const std::size_t last = std::min(messages.size(), first + kRowsPerInsert);
      params.clear();
      params.reserve((last - first) * kColumnsPerRow);
      sql =
          "INSERT INTO room_archive (room, stanza_id, ts, from_nick, occupant_id, from_jid, "
          "stanza) VALUES ";
      for (std::size_t i = first; i < last; ++i) {
        const ArchivedMessage& m = messages[i];
        const std::size_t n = params.size();
        auto p = [&](std::size_t k) { return "$" + std::to_string(n + k); };
        if (i != first) sql += ", ";
        sql += "(" + p(1) + ", " + p(2) + ", to_timestamp(" + p(3) + "::bigint / 1000.0), " + p(4) +
               ", NULLIF(" + p(5) + ", ''), NULLIF(" + p(6) + ", ''), " + p(7) + ")";
        params.push_back(m.room.str());
        params.push_back(m.stanza_id);
        params.push_back(std::to_string(to_ms(m.ts)));
        params.push_back(m.from_nick);
        params.push_back(m.occupant_id);
        params.push_back(m.from_jid);
        params.push_back(m.stanza);
      }
      tx.exec_params0(sql, pqxx::prepare::make_dynamic_params(params));
    }
    tx.commit();  // durable before the room reflects any of them
    return {};
  });
}

component::Result<ArchivePage> PgArchiveStore::query(const ArchiveQuery& q) {
  return pool_.run<ArchivePage>([&](pqxx::connection_base& c) -> Result<ArchivePage> {
    pqxx::read_transaction tx(c);
    std::int64_t after = kNoAfter, before = kNoBefore;
    if (q.after_id) {
      auto id = row_id(tx, q.room, *q.after_id);
      if (!id) return fail(make_error_code(StoreErrc::not_found));
      after = *id;
    }
    if (q.before_id) {
      auto id = row_id(tx, q.room, *q.before_id);
      if (!id) return fail(make_error_code(StoreErrc::not_found));
      before = *id;
    }
    const std::int64_t start = q.start ? to_ms(*q.start) : kNoStart;
    const std::int64_t end = q.end ? to_ms(*q.end) : kNoEnd;
    const std::string nick = q.with_nick.value_or("");
    ArchivePage page;
    page.count = tx.exec_params(std::string("SELECT count(*) FROM room_archive WHERE ") + kFilter,
                                q.room.str(), start, end, nick)[0][0]
                     .as<std::size_t>();
    // Backwards (RSM <before/>) pages are read newest first and reversed into archive order.
    const bool backwards = q.last_page || (q.before_id && !q.after_id);
    const std::string sql = std::string("SELECT ") + kColumns + " FROM room_archive WHERE " +
                            kFilter + " AND id > $5 AND id < $6 ORDER BY id " +
                            (backwards ? "DESC" : "ASC") + " LIMIT $7";
    auto rows = tx.exec_params(sql, q.room.str(), start, end, nick, after, before,
                               static_cast<std::int64_t>(q.max) + 1);
    const std::size_t n = std::min<std::size_t>(rows.size(), q.max);
    page.complete = rows.size() <= q.max;
    page.messages.reserve(n);
    for (std::size_t i = 0; i < n; ++i) page.messages.push_back(row_to_message(q.room, rows[i]));
    if (backwards) std::reverse(page.messages.begin(), page.messages.end());
    return page;
  });
}

component::Result<std::vector<ArchivedMessage>> PgArchiveStore::recent(const RoomJid& room,
                                                                       std::size_t max) {
  return pool_.run<std::vector<ArchivedMessage>>(
      [&](pqxx::connection_base& c) -> Result<std::vector<ArchivedMessage>> {
        pqxx::read_transaction tx(c);
        auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                       " FROM room_archive WHERE room = $1 ORDER BY id DESC "
                                       "LIMIT $2",
                                   room.str(), static_cast<std::int64_t>(max));
        std::vector<ArchivedMessage> out;
        out.reserve(rows.size());
        for (const auto& row : rows) out.push_back(row_to_message(room, row));
        std::reverse(out.begin(), out.end());
        return out;
      });
}

}  // namespace conclave::db
