#pragma once
// Helpers of the db integration tests: the server under test comes from the harness
// (tests/harness/with-servers.sh exports CONCLAVE_TEST_PG); a test without it fails, so a
// misconfigured run cannot pass by skipping everything.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "db/connection_pool.h"
#include "db/migrations.h"

namespace conclave::db::testing {

// pg_conninfo: $CONCLAVE_TEST_PG, or "" after recording a test failure.
inline std::string pg_conninfo() {
  const char* c = std::getenv("CONCLAVE_TEST_PG");
  if (c == nullptr || *c == '\0') {
    ADD_FAILURE() << "CONCLAVE_TEST_PG is not set: run integration tests through "
                     "tests/harness/with-servers.sh (e.g. with-servers.sh ctest -L integration)";
    return {};
  }
  return c;
}

// with_dbname: the same server, another database (a URI query parameter overrides the path).
inline std::string with_dbname(const std::string& conninfo, const std::string& db) {
  return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") + "dbname=" + db;
}

// ScratchDatabase: a new, empty database for one test, dropped afterwards, so tests can run in
// parallel against one server.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(std::string base) : base_(std::move(base)) {
    static std::atomic<int> counter{0};
    name_ = "scratch_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    pqxx::connection admin(base_);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    tx.exec("CREATE DATABASE " + name_);
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;
  ~ScratchDatabase() {
    try {
      pqxx::connection admin(base_);
      pqxx::nontransaction tx(admin);
      tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "dropping " << name_ << ": " << e.what();
    }
  }
  std::string conninfo() const { return with_dbname(base_, name_); }

 private:
  std::string base_;
  std::string name_;
};

// TempDir: a directory removed with its contents afterwards.
class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "conclave-db-test.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name, std::ios::binary | std::ios::trunc) << content;
  }

 private:
  std::filesystem::path path_;
};

// StoreTest<Store>: a scratch database with the embedded schema, a pool of 8 connections and a
// Store over it; the base of the PostgreSQL store tests (a derived SetUp calls this one first
// and returns if it failed).
template <class Store>
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string base = pg_conninfo();
    ASSERT_FALSE(base.empty());
    db_.emplace(base);
    auto ms = embedded_migrations();
    ASSERT_TRUE(ms.has_value());
    ASSERT_TRUE(migrate(db_->conninfo(), *ms, [](std::string_view) {}).has_value());
    pool_.emplace(PoolOptions{db_->conninfo(), 8});
    store_.emplace(*pool_);
  }
  std::optional<ScratchDatabase> db_;  // first: dropped after the pool closes
  std::optional<ConnectionPool> pool_;
  std::optional<Store> store_;
};

}  // namespace conclave::db::testing
