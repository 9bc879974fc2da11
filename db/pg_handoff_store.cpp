#include "db/pg_handoff_store.h"

#include <algorithm>
#include <pqxx/pqxx>

namespace conclave::db {

component::Status PgHandoffStore::hand_off(const std::vector<std::string>& stanzas,
                                           const std::string& by) {
  if (stanzas.empty()) return {};
  return pool_.run([&](pqxx::connection_base& c) -> component::Status {
    pqxx::work tx(c);
    // One row per stanza, in order: bigserial ids follow the insert order of one transaction.
    for (const std::string& s : stanzas) {
      tx.exec_params("INSERT INTO stanza_handoff (stanza, handed_by) VALUES ($1, $2)", s, by);
    }
    tx.exec_params("SELECT pg_notify($1, '')", kHandoffChannel);
    tx.commit();
    return {};
  });
}

component::Result<std::vector<component::HandedStanza>> PgHandoffStore::take(std::size_t max) {
  return pool_.run<std::vector<component::HandedStanza>>(
      [&](pqxx::connection_base& c) -> component::Result<std::vector<component::HandedStanza>> {
        pqxx::work tx(c);
        // SKIP LOCKED: a second taker gets the next rows, never the same ones.
        auto rows = tx.exec_params(
            "DELETE FROM stanza_handoff WHERE id IN (SELECT id FROM stanza_handoff ORDER BY id "
            "LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING id, stanza",
            static_cast<std::int64_t>(max));
        tx.commit();
        std::vector<component::HandedStanza> out;
        out.reserve(rows.size());
        for (const auto& row : rows) {
          out.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>()});
        }
        // DELETE ... RETURNING gives no order; hand-off order is id order.
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
        return out;
      });
}

}  // namespace conclave::db
