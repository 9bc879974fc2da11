#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "db/migrations.h"
#include "pg_test_env.h"

namespace conclave::db {
namespace {

using testing::ScratchDatabase;
using testing::TempDir;

class Migrate : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = testing::pg_conninfo();
    ASSERT_FALSE(base_.empty());
    db_.emplace(base_);
  }

  std::string conninfo() const { return db_->conninfo(); }
  Log log() {
    return [this](std::string_view l) { lines_.emplace_back(l); };
  }
  static std::vector<Migration> load(const TempDir& dir) {
    Result<std::vector<Migration>> ms = load_migrations(dir.path());
    EXPECT_TRUE(ms.has_value());
    return ms ? *ms : std::vector<Migration>{};
  }
  std::vector<std::pair<int, std::string>> recorded() const {
    pqxx::connection c(conninfo());
    pqxx::read_transaction tx(c);
    std::vector<std::pair<int, std::string>> out;
    for (const auto& r : tx.exec("SELECT version, name FROM schema_migrations ORDER BY version")) {
      out.emplace_back(r[0].as<int>(), r[1].as<std::string>());
    }
    return out;
  }
  bool table_exists(const std::string& name) const {
    pqxx::connection c(conninfo());
    pqxx::read_transaction tx(c);
    return tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", name)[0].as<bool>();
  }

  std::string base_;
  std::optional<ScratchDatabase> db_;
  std::vector<std::string> lines_;
};

TEST_F(Migrate, AppliesAllOnAnEmptyDatabaseInOrder) {
  TempDir dir;
  dir.write("0001_a.sql", "CREATE TABLE a (x int);");
  // 0002 needs 0001's table: proves the order.
  dir.write("0002_b.sql",
            "ALTER TABLE a ADD PRIMARY KEY (x); CREATE TABLE b (y int REFERENCES a);");
  Result<MigrationReport> r = migrate(conninfo(), load(dir), log());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->previous_version, 0);
  EXPECT_EQ(r->current_version, 2);
  EXPECT_EQ(r->applied, (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(recorded(), (std::vector<std::pair<int, std::string>>{{1, "a"}, {2, "b"}}));
  EXPECT_TRUE(table_exists("b"));
  EXPECT_EQ(lines_.size(), 2u);  // one line per applied migration
}

TEST_F(Migrate, SecondRunIsANoOp) {
  TempDir dir;
  dir.write("0001_a.sql", "CREATE TABLE a (x int);");  // would fail if run twice
  const auto ms = load(dir);
  ASSERT_TRUE(migrate(conninfo(), ms).has_value());
  Result<MigrationReport> again = migrate(conninfo(), ms);
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_EQ(again->previous_version, 1);
  EXPECT_EQ(again->current_version, 1);
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(recorded().size(), 1u);
}

TEST_F(Migrate, AppliesOnlyTheNewMigrations) {
  TempDir dir;
  dir.write("0001_a.sql", "CREATE TABLE a (x int);");
  ASSERT_TRUE(migrate(conninfo(), load(dir)).has_value());
  dir.write("0002_b.sql", "CREATE TABLE b (x int);");
  Result<MigrationReport> r = migrate(conninfo(), load(dir));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->previous_version, 1);
  EXPECT_EQ(r->applied, (std::vector<std::int32_t>{2}));
}

TEST_F(Migrate, ChangedAppliedFileIsAChecksumMismatch) {
  TempDir dir;
  dir.write("0001_a.sql", "CREATE TABLE a (x int);");
  ASSERT_TRUE(migrate(conninfo(), load(dir)).has_value());
  dir.write("0001_a.sql", "CREATE TABLE a (x bigint);");  // edited after it was applied
  dir.write("0002_b.sql", "CREATE TABLE b (x int);");
  Result<MigrationReport> r = migrate(conninfo(), load(dir), log());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Errc::migration_checksum_mismatch);
  EXPECT_FALSE(table_exists("b"));  // nothing applied after the mismatch
  ASSERT_FALSE(lines_.empty());
  EXPECT_NE(lines_.back().find("0001"), std::string::npos) << lines_.back();
}

TEST_F(Migrate, DatabaseNewerThanCodeIsAnError) {
  TempDir dir;
  dir.write("0001_a.sql", "CREATE TABLE a (x int);");
  dir.write("0002_b.sql", "CREATE TABLE b (x int);");
  std::vector<Migration> ms = load(dir);
  ASSERT_TRUE(migrate(conninfo(), ms).has_value());
  ms.pop_back();  // an older build
  Result<MigrationReport> r = migrate(conninfo(), ms);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Errc::database_newer_than_code);
  pqxx::connection c(conninfo());
  EXPECT_EQ(check_schema(c, ms).error(), Errc::database_newer_than_code);
}

TEST_F(Migrate, FailingMigrationRollsBackEntirelyAndKeepsEarlierOnes) {
  TempDir dir;
  dir.write("0001_a.sql", "CREATE TABLE a (x int);");
  dir.write("0002_b.sql", "CREATE TABLE b (x int); SELECT no_such_function();");
  Result<MigrationReport> r = migrate(conninfo(), load(dir), log());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Errc::migration_failed);
  EXPECT_TRUE(table_exists("a"));
  EXPECT_FALSE(table_exists("b"));  // same transaction as the failing statement
  EXPECT_EQ(recorded().size(), 1u);
  ASSERT_FALSE(lines_.empty());
  EXPECT_NE(lines_.back().find("no_such_function"), std::string::npos) << lines_.back();
}

TEST_F(Migrate, GapInTheAppliedVersionsIsMigrationMissing) {
  TempDir dir;
  dir.write("0001_a.sql", "SELECT 1;");
  dir.write("0002_b.sql", "SELECT 2;");
  std::vector<Migration> ms = load(dir);
  ASSERT_TRUE(migrate(conninfo(), std::span(ms).first(1)).has_value());
  {
    // As if a branch had applied 0002 of another file set and 0001 were lost.
    pqxx::connection c(conninfo());
    pqxx::work tx(c);
    tx.exec("DELETE FROM schema_migrations");
    tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES (2, 'b', $1)",
                   ms[1].checksum);
    tx.commit();
  }
  Result<MigrationReport> r = migrate(conninfo(), ms);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Errc::migration_missing);
}

TEST_F(Migrate, ConcurrentMigratorsApplyEachMigrationOnce) {
  TempDir dir;
  // pg_sleep widens the window in which the second migrator would interfere without the lock;
  // re-running any of these would fail (duplicate table).
  dir.write("0001_a.sql", "SELECT pg_sleep(0.2); CREATE TABLE a (x int);");
  dir.write("0002_b.sql", "SELECT pg_sleep(0.2); CREATE TABLE b (x int);");
  dir.write("0003_c.sql", "CREATE TABLE c (x int);");
  const std::vector<Migration> ms = load(dir);
  std::vector<Result<MigrationReport>> results(2, fail(Errc::query_failed));
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] { results[i] = migrate(conninfo(), ms); });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(results[0].has_value()) << results[0].error().message();
  ASSERT_TRUE(results[1].has_value()) << results[1].error().message();
  std::vector<std::int32_t> all = results[0]->applied;
  all.insert(all.end(), results[1]->applied.begin(), results[1]->applied.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::int32_t>{1, 2, 3}));
  EXPECT_EQ(results[0]->current_version, 3);
  EXPECT_EQ(results[1]->current_version, 3);
  EXPECT_EQ(recorded().size(), 3u);
}

TEST_F(Migrate, CheckSchemaReportsPendingThenCurrent) {
  TempDir dir;
  dir.write("0001_a.sql", "CREATE TABLE a (x int);");
  const auto ms = load(dir);
  {
    pqxx::connection c(conninfo());
    EXPECT_EQ(check_schema(c, ms).error(), Errc::migrations_pending);  // no table yet
  }
  ASSERT_TRUE(migrate(conninfo(), ms).has_value());
  pqxx::connection c(conninfo());
  Result<std::int32_t> v = check_schema(c, ms);
  ASSERT_TRUE(v.has_value()) << v.error().message();
  EXPECT_EQ(*v, 1);
}

TEST_F(Migrate, UnreachableServerIsConnectionFailed) {
  Result<MigrationReport> r =
      migrate("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2", {}, log());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Errc::connection_failed);
}

}  // namespace
}  // namespace conclave::db
