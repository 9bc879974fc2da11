#include "db/pg_consensus_store.h"

#include <pqxx/pqxx>

#include "db/errors.h"

namespace conclave::db {

using component::ConsensusEntry;
using component::ConsensusState;

component::Result<std::optional<ConsensusState>> PgConsensusStore::load(const std::string& room) {
  using Out = std::optional<ConsensusState>;
  return pool_.run<Out>([&](pqxx::connection_base& c) -> component::Result<Out> {
    pqxx::read_transaction tx(c);
    const auto head =
        tx.exec_params("SELECT term, voted_for FROM federation_consensus WHERE room = $1", room);
    if (head.empty()) return Out{};
    ConsensusState s;
    s.term = head[0][0].as<std::uint64_t>();
    s.voted_for = head[0][1].as<std::string>();
    for (const auto& row : tx.exec_params(
             "SELECT idx, term, commit_hash FROM federation_log WHERE room = $1 ORDER BY idx",
             room)) {
      // Entries are written in one piece from an index on, so the indexes have no holes; a
      // hole would be a damaged log, which no node may serve from.
      if (row[0].as<std::uint64_t>() != s.log.size()) return fail(Errc::query_failed);
      const pqxx::binarystring bytes(row[2]);
      s.log.push_back({row[1].as<std::uint64_t>(),
                       std::vector<std::uint8_t>(bytes.data(), bytes.data() + bytes.size())});
    }
    return Out(std::move(s));
  });
}

component::Status PgConsensusStore::save(const std::string& room, std::uint64_t term,
                                         const std::string& voted_for, std::uint64_t from,
                                         const std::vector<ConsensusEntry>& tail) {
  return pool_.run([&](pqxx::connection_base& c) -> component::Status {
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO federation_consensus (room, term, voted_for) VALUES ($1, $2, $3) "
        "ON CONFLICT (room) DO UPDATE SET term = EXCLUDED.term, voted_for = EXCLUDED.voted_for",
        room, static_cast<std::int64_t>(term), voted_for);
    tx.exec_params("DELETE FROM federation_log WHERE room = $1 AND idx >= $2", room,
                   static_cast<std::int64_t>(from));
    for (std::size_t i = 0; i < tail.size(); ++i) {
      tx.exec_params(
          "INSERT INTO federation_log (room, idx, term, commit_hash) VALUES ($1, $2, $3, $4)", room,
          static_cast<std::int64_t>(from + i), static_cast<std::int64_t>(tail[i].term),
          pqxx::binarystring(tail[i].commit.data(), tail[i].commit.size()));
    }
    tx.commit();
    return {};
  });
}

}  // namespace conclave::db
