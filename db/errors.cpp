#include "db/errors.h"

#include <string>

namespace conclave::db {
namespace {

class StoreCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "conclave.store"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::ok:
        return "success";
      case Errc::connection_failed:
        return "cannot connect to the database";
      case Errc::pool_timeout:
        return "no database connection free within the timeout";
      case Errc::connection_lost:
        return "database connection lost";
      case Errc::query_failed:
        return "database statement failed";
      case Errc::shutting_down:
        return "database executor is shutting down";
      case Errc::invalid_migration:
        return "invalid schema migration file set";
      case Errc::migration_checksum_mismatch:
        return "an applied schema migration was modified";
      case Errc::database_newer_than_code:
        return "database schema is newer than this build";
      case Errc::migration_missing:
        return "database schema skipped a migration of this build";
      case Errc::migration_failed:
        return "schema migration failed";
      case Errc::schema_io_error:
        return "cannot read schema migration files";
      case Errc::migrations_pending:
        return "database schema lacks migrations of this build";
    }
    return "unknown storage error " + std::to_string(code);
  }
};

}  // namespace

const std::error_category& store_category() noexcept {
  static const StoreCategory category;
  return category;
}

}  // namespace conclave::db
