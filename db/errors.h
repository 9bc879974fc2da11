#pragma once
// Error codes of the storage layer, carried as std::error_code in Result<T> (docs/style.md P6).
// Append new codes at the end; never renumber (they may be logged and compared).
#include <system_error>

namespace conclave::db {

enum class Errc {
  ok = 0,
  connection_failed = 1,  // could not open a connection to PostgreSQL
  pool_timeout,           // no pooled connection became free within the timeout
  connection_lost,        // the connection broke during the work (outcome of a commit unknown)
  query_failed,           // PostgreSQL rejected a statement
  shutting_down,          // the executor no longer accepts work
  invalid_migration,      // a schema file is misnamed, duplicated or its versions have a gap
  migration_checksum_mismatch,  // an applied migration's file changed since it was applied
  database_newer_than_code,     // the database has a migration this build does not know
  migration_missing,            // the database skipped a version this build has (out-of-order file)
  migration_failed,             // a migration's SQL failed; its transaction was rolled back
  schema_io_error,              // the schema directory or a file in it could not be read
  migrations_pending,           // the database lacks migrations of this build (check_schema)
};

const std::error_category& store_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

}  // namespace conclave::db

template <>
struct std::is_error_code_enum<conclave::db::Errc> : std::true_type {};
