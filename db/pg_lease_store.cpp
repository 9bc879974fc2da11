#include "db/pg_lease_store.h"

#include <pqxx/pqxx>

namespace conclave::db {

using component::Lease;
using component::ShardState;

namespace {

// A PostgreSQL array literal of integers ("{1,2,3}"), passed as one text parameter and cast in
// SQL: one statement whatever the number of shards.
template <class Range, class Get>
std::string int_array(const Range& items, Get get) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += std::to_string(get(item));
  }
  return out + "}";
}

std::vector<Lease> leases_of(const pqxx::result& rows) {
  std::vector<Lease> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    out.push_back({row[0].as<std::uint32_t>(), row[1].as<std::uint64_t>()});
  }
  return out;
}

}  // namespace

component::Status PgLeaseStore::ensure_shards(std::uint32_t count) {
  return pool_.run([&](pqxx::connection_base& c) -> component::Status {
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO shard_lease (shard) SELECT generate_series(0, $1::int - 1) "
        "ON CONFLICT (shard) DO NOTHING",
        static_cast<std::int64_t>(count));
    tx.commit();
    return {};
  });
}

component::Result<std::vector<Lease>> PgLeaseStore::acquire(
    const std::string& holder, const std::vector<std::uint32_t>& wanted,
    std::chrono::milliseconds length) {
  if (wanted.empty()) return std::vector<Lease>{};
  const std::string shards = int_array(wanted, [](std::uint32_t s) { return s; });
  return pool_.run<std::vector<Lease>>(
      [&](pqxx::connection_base& c) -> component::Result<std::vector<Lease>> {
        pqxx::work tx(c);
        // §A.3: free or expired by the database's clock; the term grows at every takeover.
        auto rows = tx.exec_params(
            "UPDATE shard_lease SET holder = $1, term = term + 1, "
            "expires_at = now() + $3::bigint * interval '1 millisecond' "
            "WHERE shard = ANY($2::int[]) AND (holder IS NULL OR expires_at < now()) "
            "RETURNING shard, term",
            holder, shards, static_cast<std::int64_t>(length.count()));
        tx.commit();
        return leases_of(rows);
      });
}

component::Result<std::vector<Lease>> PgLeaseStore::renew(const std::string& holder,
                                                          const std::vector<Lease>& held,
                                                          std::chrono::milliseconds length) {
  if (held.empty()) return std::vector<Lease>{};
  const std::string shards = int_array(held, [](const Lease& l) { return l.shard; });
  const std::string terms = int_array(held, [](const Lease& l) { return l.term; });
  return pool_.run<std::vector<Lease>>(
      [&](pqxx::connection_base& c) -> component::Result<std::vector<Lease>> {
        pqxx::work tx(c);
        // Held in the same term: nobody took it over, so nobody else can have sequenced its rooms,
        // even if it expired meanwhile (the holder's own monotonic deadline, not this, decides when
        // it stops acting).
        auto rows = tx.exec_params(
            "UPDATE shard_lease l SET expires_at = now() + $4::bigint * interval '1 millisecond' "
            "FROM unnest($2::int[], $3::bigint[]) AS h(shard, term) "
            "WHERE l.shard = h.shard AND l.term = h.term AND l.holder = $1 "
            "RETURNING l.shard, l.term",
            holder, shards, terms, static_cast<std::int64_t>(length.count()));
        tx.commit();
        return leases_of(rows);
      });
}

component::Status PgLeaseStore::release(const std::string& holder, const std::vector<Lease>& held) {
  if (held.empty()) return {};
  const std::string shards = int_array(held, [](const Lease& l) { return l.shard; });
  const std::string terms = int_array(held, [](const Lease& l) { return l.term; });
  return pool_.run([&](pqxx::connection_base& c) -> component::Status {
    pqxx::work tx(c);
    auto rows = tx.exec_params(
        "UPDATE shard_lease l SET holder = NULL, expires_at = NULL "
        "FROM unnest($2::int[], $3::bigint[]) AS h(shard, term) "
        "WHERE l.shard = h.shard AND l.term = h.term AND l.holder = $1 RETURNING l.shard",
        holder, shards, terms);
    // Delivered at COMMIT, so a standby woken by it finds the rows free.
    if (!rows.empty()) tx.exec_params("SELECT pg_notify($1, '')", kLeaseReleasedChannel);
    tx.commit();
    return {};
  });
}

component::Result<std::vector<ShardState>> PgLeaseStore::shards() {
  return pool_.run<std::vector<ShardState>>(
      [&](pqxx::connection_base& c) -> component::Result<std::vector<ShardState>> {
        pqxx::work tx(c);
        auto rows = tx.exec(
            "SELECT shard, COALESCE(holder, ''), term, COALESCE(expires_at > now(), false), "
            "GREATEST(0, COALESCE(extract(epoch FROM expires_at - now()) * 1000, 0))::bigint "
            "FROM shard_lease ORDER BY shard");
        tx.commit();
        std::vector<ShardState> out;
        out.reserve(rows.size());
        for (const auto& row : rows) {
          ShardState s;
          s.shard = row[0].as<std::uint32_t>();
          s.holder = row[1].as<std::string>();
          s.term = row[2].as<std::uint64_t>();
          s.live = row[3].as<bool>();
          s.left = s.live ? std::chrono::milliseconds(row[4].as<std::int64_t>())
                          : std::chrono::milliseconds(0);
          out.push_back(std::move(s));
        }
        return out;
      });
}

}  // namespace conclave::db
