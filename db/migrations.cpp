#include "db/migrations.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <pqxx/pqxx>
#include <sstream>

#include "db/detail/embedded_schema.h"

namespace conclave::db {
namespace {

// Key of the advisory lock that serializes migrators ("conclave" in ASCII). Held per
// transaction (pg_advisory_xact_lock), so it can never stay behind after a crash.
constexpr std::int64_t kMigrationLockKey = 0x636f6e636c617665;

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " checksum text NOT NULL)";

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    std::abort();  // SHA-256 of memory cannot fail short of a broken OpenSSL
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

// label: the migration's file name without ".sql", as the operator knows it ("0001_initial").
std::string label(const Migration& m) {
  std::string v = std::to_string(m.version);
  return std::string(v.size() < 4 ? 4 - v.size() : 0, '0') + v + "_" + m.name;
}

void say(const Log& log, const std::string& line) {
  if (log) log(line);
}

struct AppliedRow {
  std::int32_t version;
  std::string name;
  std::string checksum;
};

// verify compares what the database recorded with the migrations this build has. The applied
// versions must be exactly 1..k: forward-only files mean nothing is ever inserted below.
Status verify(const std::vector<AppliedRow>& applied, std::span<const Migration> migrations,
              const Log& log) {
  for (std::size_t i = 0; i < applied.size(); ++i) {
    const AppliedRow& row = applied[i];
    if (row.version > static_cast<std::int32_t>(migrations.size())) {
      say(log, "database has migration " + std::to_string(row.version) + " (" + row.name +
                   "); this build knows up to " + std::to_string(migrations.size()));
      return fail(Errc::database_newer_than_code);
    }
    if (row.version != static_cast<std::int32_t>(i + 1)) {
      say(log, "migration " + std::to_string(i + 1) + " was never applied, but " +
                   std::to_string(row.version) + " was");
      return fail(Errc::migration_missing);
    }
    const Migration& m = migrations[i];
    if (row.checksum != m.checksum) {
      say(log, "migration " + label(m) + " differs from the applied one (checksum " + row.checksum +
                   ", file " + m.checksum + ")");
      return fail(Errc::migration_checksum_mismatch);
    }
  }
  return {};
}

std::vector<AppliedRow> read_applied(pqxx::transaction_base& tx) {
  std::vector<AppliedRow> rows;
  for (const auto& r : tx.exec("SELECT version, name, checksum FROM schema_migrations"
                               " ORDER BY version")) {
    rows.push_back({r[0].as<std::int32_t>(), r[1].as<std::string>(), r[2].as<std::string>()});
  }
  return rows;
}

// lock_and_read: takes the migration lock in `tx` (waiting for another migrator's transaction to
// end) and returns the applied rows, creating the table on first use.
std::vector<AppliedRow> lock_and_read(pqxx::work& tx) {
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLockKey);
  tx.exec(kCreateTable);
  return read_applied(tx);
}

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Result<Migration> make_migration(std::string_view file_name, std::string sql) {
  constexpr std::string_view kSuffix = ".sql";
  if (file_name.size() < 4 + 1 + 1 + kSuffix.size() || !file_name.ends_with(kSuffix) ||
      !all_digits(file_name.substr(0, 4)) || file_name[4] != '_') {
    return fail(Errc::invalid_migration);
  }
  std::string_view name = file_name.substr(5, file_name.size() - 5 - kSuffix.size());
  if (!std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    return fail(Errc::invalid_migration);
  }
  Migration m;
  m.version = std::stoi(std::string(file_name.substr(0, 4)));
  m.name = std::string(name);
  m.checksum = sha256_hex(sql);
  m.sql = std::move(sql);
  return m;
}

Status check_migration_set(std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<std::int32_t>(i + 1)) {
      return fail(Errc::invalid_migration);
    }
  }
  return {};
}

Result<std::vector<Migration>> embedded_migrations() {
  std::vector<Migration> out;
  for (const auto& f : detail::embedded_schema_files()) {
    Result<Migration> m = make_migration(f.file_name, std::string(f.sql));
    if (!m) return fail(m.error());
    out.push_back(std::move(*m));
  }
  if (Status s = check_migration_set(out); !s) return fail(s.error());
  return out;
}

Result<std::vector<Migration>> load_migrations(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".sql") files.push_back(it->path());
  }
  if (ec) return fail(Errc::schema_io_error);
  std::sort(files.begin(), files.end());
  std::vector<Migration> out;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream sql;
    sql << in.rdbuf();
    if (!in) return fail(Errc::schema_io_error);
    Result<Migration> m = make_migration(path.filename().string(), std::move(sql).str());
    if (!m) return fail(m.error());
    out.push_back(std::move(*m));
  }
  if (Status s = check_migration_set(out); !s) return fail(s.error());
  return out;
}

Result<std::vector<Migration>> default_migrations() {
  if (const char* dir = std::getenv("CONCLAVE_SCHEMA_DIR"); dir != nullptr && *dir != '\0') {
    return load_migrations(dir);
  }
  return embedded_migrations();
}

Result<MigrationReport> migrate(pqxx::connection_base& conn, std::span<const Migration> migrations,
                                const Log& log) {
  if (Status s = check_migration_set(migrations); !s) return fail(s.error());
  MigrationReport report;
  bool first = true;
  try {
    // One transaction per migration, each re-reading the state under the lock: a concurrent
    // migrator may have applied the next one while this one waited.
    for (;;) {
      pqxx::work tx(conn, "migrate");
      std::vector<AppliedRow> applied = lock_and_read(tx);
      if (Status s = verify(applied, migrations, log); !s) return fail(s.error());
      const auto version = static_cast<std::int32_t>(applied.size());
      if (first) report.previous_version = version;
      first = false;
      report.current_version = version;
      if (applied.size() == migrations.size()) {
        tx.commit();  // keeps the schema_migrations table of an empty migration set
        return report;
      }
      const Migration& m = migrations[applied.size()];
      try {
        tx.exec(m.sql);
      } catch (const pqxx::broken_connection&) {
        throw;
      } catch (const std::exception& e) {
        say(log, "migration " + label(m) + " failed: " + e.what());
        return fail(Errc::migration_failed);
      }
      tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                     m.version, m.name, m.checksum);
      tx.commit();
      say(log, "applied migration " + label(m));
      report.applied.push_back(m.version);
      report.current_version = m.version;
    }
  } catch (const pqxx::broken_connection& e) {
    say(log, std::string("migrate: connection lost: ") + e.what());
    return fail(Errc::connection_lost);
  } catch (const pqxx::in_doubt_error& e) {
    say(log, std::string("migrate: connection lost during commit: ") + e.what());
    return fail(Errc::connection_lost);
  } catch (const std::exception& e) {
    say(log, std::string("migrate: ") + e.what());
    return fail(Errc::query_failed);
  }
}

Result<MigrationReport> migrate(const std::string& conninfo, std::span<const Migration> migrations,
                                const Log& log) {
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(conninfo);
  } catch (const std::exception& e) {
    say(log, std::string("migrate: cannot connect: ") + e.what());
    return fail(Errc::connection_failed);
  }
  return migrate(*conn, migrations, log);
}

Result<std::int32_t> check_schema(pqxx::connection_base& conn,
                                  std::span<const Migration> migrations, const Log& log) {
  if (Status s = check_migration_set(migrations); !s) return fail(s.error());
  try {
    pqxx::read_transaction tx(conn, "check_schema");
    const bool exists =
        tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL")[0].as<bool>();
    std::vector<AppliedRow> applied;
    if (exists) applied = read_applied(tx);
    if (Status s = verify(applied, migrations, log); !s) return fail(s.error());
    if (applied.size() < migrations.size()) {
      say(log, "database at schema version " + std::to_string(applied.size()) + ", this build " +
                   std::to_string(migrations.size()) + ": run migrate");
      return fail(Errc::migrations_pending);
    }
    return static_cast<std::int32_t>(applied.size());
  } catch (const pqxx::broken_connection& e) {
    say(log, std::string("check_schema: connection lost: ") + e.what());
    return fail(Errc::connection_lost);
  } catch (const std::exception& e) {
    say(log, std::string("check_schema: ") + e.what());
    return fail(Errc::query_failed);
  }
}

}  // namespace conclave::db
