#include <gtest/gtest.h>

#include <cstdlib>

#include "db/migrations.h"
#include "pg_test_env.h"

namespace conclave::db {
namespace {

using testing::TempDir;

TEST(MakeMigration, ParsesVersionAndName) {
  Result<Migration> m = make_migration("0042_add_things.sql", "SELECT 1;");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->version, 42);
  EXPECT_EQ(m->name, "add_things");
  EXPECT_EQ(m->sql, "SELECT 1;");
  EXPECT_EQ(m->checksum.size(), 64u);  // hex SHA-256; exact value in the next test
}

TEST(MakeMigration, ChecksumIsSha256OfTheSql) {
  // Known answer: SHA-256("abc") (FIPS 180-2 example).
  Result<Migration> m = make_migration("0001_x.sql", "abc");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->checksum, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Result<Migration> other = make_migration("0001_x.sql", "abd");
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->checksum, m->checksum);
}

TEST(MakeMigration, RejectsBadNames) {
  for (const char* name : {"1_x.sql", "001_x.sql", "0001x.sql", "0001_.sql", "0001_X.sql",
                           "0001_a-b.sql", "0001_x.txt", "abcd_x.sql", "0001_x.sql.bak", ""}) {
    Result<Migration> m = make_migration(name, "SELECT 1;");
    ASSERT_FALSE(m.has_value()) << name;
    EXPECT_EQ(m.error(), Errc::invalid_migration) << name;
  }
}

std::vector<Migration> set_of(std::initializer_list<const char*> names) {
  std::vector<Migration> out;
  for (const char* n : names) out.push_back(*make_migration(n, "SELECT 1;"));
  return out;
}

TEST(CheckMigrationSet, AcceptsConsecutiveVersionsFromOne) {
  EXPECT_TRUE(check_migration_set(set_of({})).has_value());
  EXPECT_TRUE(check_migration_set(set_of({"0001_a.sql", "0002_b.sql"})).has_value());
}

TEST(CheckMigrationSet, RejectsGapsDuplicatesAndWrongStart) {
  EXPECT_EQ(check_migration_set(set_of({"0002_a.sql"})).error(), Errc::invalid_migration);
  EXPECT_EQ(check_migration_set(set_of({"0001_a.sql", "0003_b.sql"})).error(),
            Errc::invalid_migration);
  EXPECT_EQ(check_migration_set(set_of({"0001_a.sql", "0001_b.sql"})).error(),
            Errc::invalid_migration);
}

TEST(LoadMigrations, ReadsSqlFilesInOrderAndIgnoresOthers) {
  TempDir dir;
  dir.write("0002_second.sql", "CREATE TABLE b ();");
  dir.write("0001_first.sql", "CREATE TABLE a ();");
  dir.write("README.md", "not a migration");
  Result<std::vector<Migration>> ms = load_migrations(dir.path());
  ASSERT_TRUE(ms.has_value()) << ms.error().message();
  ASSERT_EQ(ms->size(), 2u);
  EXPECT_EQ((*ms)[0].name, "first");
  EXPECT_EQ((*ms)[0].sql, "CREATE TABLE a ();");
  EXPECT_EQ((*ms)[1].name, "second");
}

TEST(LoadMigrations, RejectsAMisnamedSqlFile) {
  TempDir dir;
  dir.write("0001_first.sql", "SELECT 1;");
  dir.write("2_second.sql", "SELECT 1;");
  EXPECT_EQ(load_migrations(dir.path()).error(), Errc::invalid_migration);
}

TEST(LoadMigrations, RejectsAGap) {
  TempDir dir;
  dir.write("0001_first.sql", "SELECT 1;");
  dir.write("0003_third.sql", "SELECT 1;");
  EXPECT_EQ(load_migrations(dir.path()).error(), Errc::invalid_migration);
}

TEST(LoadMigrations, MissingDirectoryIsAnIoError) {
  EXPECT_EQ(load_migrations("/nonexistent/conclave/schema").error(), Errc::schema_io_error);
}

TEST(EmbeddedMigrations, HoldTheSchemaDirectory) {
  Result<std::vector<Migration>> embedded = embedded_migrations();
  ASSERT_TRUE(embedded.has_value()) << embedded.error().message();
  ASSERT_FALSE(embedded->empty());
  EXPECT_EQ((*embedded)[0].version, 1);
  EXPECT_EQ((*embedded)[0].name, "initial");
  // The build embeds exactly what schema/ holds now (a stale embed would fail here).
  Result<std::vector<Migration>> on_disk = load_migrations(CONCLAVE_SCHEMA_DIR);
  ASSERT_TRUE(on_disk.has_value());
  ASSERT_EQ(on_disk->size(), embedded->size());
  for (std::size_t i = 0; i < embedded->size(); ++i) {
    EXPECT_EQ((*embedded)[i].checksum, (*on_disk)[i].checksum) << (*embedded)[i].name;
  }
}

TEST(DefaultMigrations, EnvironmentOverridesTheEmbeddedSet) {
  TempDir dir;
  dir.write("0001_only.sql", "SELECT 1;");
  ::setenv("CONCLAVE_SCHEMA_DIR", dir.path().c_str(), 1);
  Result<std::vector<Migration>> ms = default_migrations();
  ::unsetenv("CONCLAVE_SCHEMA_DIR");
  ASSERT_TRUE(ms.has_value());
  ASSERT_EQ(ms->size(), 1u);
  EXPECT_EQ((*ms)[0].name, "only");
  Result<std::vector<Migration>> fallback = default_migrations();
  ASSERT_TRUE(fallback.has_value());
  EXPECT_EQ((*fallback)[0].name, "initial");
}

}  // namespace
}  // namespace conclave::db
