#pragma once
// Schema migrations (docs/style.md P14): numbered, forward-only SQL files schema/NNNN_name.sql.
// Each is applied in its own transaction together with its row in schema_migrations(version,
// name, applied_at, checksum); concurrent migrators are serialized by an advisory lock.
//
// Where the SQL comes from: the schema/ files are embedded into the binary at build time
// (db/embed_schema.cmake), so a binary always carries exactly the migrations it was built and
// tested with. A directory given at run time (the component's --schema-dir, or
// $CONCLAVE_SCHEMA_DIR through default_migrations()) replaces them, for development and tests.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "db/result.h"

namespace pqxx {
class connection_base;
}  // namespace pqxx

namespace conclave::db {

struct Migration {
  std::int32_t version = 0;  // NNNN of the file name; versions are 1, 2, ... without gaps
  std::string name;          // the rest of the file name, without ".sql"
  std::string sql;
  std::string checksum;  // SHA-256 of sql, lowercase hex
};

// make_migration: builds a Migration from a file name (NNNN_name.sql: four digits, then
// [a-z0-9_]) and its SQL. Error: invalid_migration (bad name).
Result<Migration> make_migration(std::string_view file_name, std::string sql);

// check_migration_set: versions must run 1..N in order. Error: invalid_migration.
Status check_migration_set(std::span<const Migration> migrations);

// embedded_migrations: the schema/ files this binary was built with, checked.
Result<std::vector<Migration>> embedded_migrations();

// load_migrations: every *.sql file of `dir` (other files are ignored), sorted and checked.
// Errors: schema_io_error, invalid_migration.
Result<std::vector<Migration>> load_migrations(const std::filesystem::path& dir);

// default_migrations: load_migrations($CONCLAVE_SCHEMA_DIR) if that is set, else embedded.
Result<std::vector<Migration>> default_migrations();

struct MigrationReport {
  std::int32_t previous_version = 0;  // schema version found (0: empty database)
  std::int32_t current_version = 0;   // schema version left
  std::vector<std::int32_t> applied;  // versions applied by this call, in order
};

// migrate: applies the migrations the database lacks. Idempotent: a second call applies none.
// Errors (nothing more is applied): migration_checksum_mismatch (an applied file was edited),
// database_newer_than_code, migration_missing (a version below the database's is not applied),
// migration_failed (the SQL failed; that migration was rolled back, earlier ones stay),
// connection_lost, query_failed. Details go to `log`.
Result<MigrationReport> migrate(pqxx::connection_base& conn, std::span<const Migration> migrations,
                                const Log& log = {});

// migrate: the same over a new connection to `conninfo` (the `migrate` entry point).
// Additional error: connection_failed.
Result<MigrationReport> migrate(const std::string& conninfo, std::span<const Migration> migrations,
                                const Log& log = {});

// check_schema: verifies without changing anything that the database is exactly at the
// migrations' latest version with unchanged checksums; returns that version. Errors as
// migrate, plus migrations_pending.
Result<std::int32_t> check_schema(pqxx::connection_base& conn,
                                  std::span<const Migration> migrations, const Log& log = {});

}  // namespace conclave::db
