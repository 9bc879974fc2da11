// The pool survives a PostgreSQL restart. The test runs its own server through the harness
// script (tests/harness/postgres.sh), so restarting it cannot disturb tests running in parallel
// against the shared one.
#include <gtest/gtest.h>
#include <stdio.h>

#include <array>
#include <cstdlib>
#include <pqxx/pqxx>
#include <string>

#include "db/connection_pool.h"
#include "pg_test_env.h"

namespace conclave::db {
namespace {

std::string harness_dir() {
  const char* dir = std::getenv("CONCLAVE_TEST_HARNESS");
  return dir != nullptr && *dir != '\0' ? dir : CONCLAVE_HARNESS_DIR;
}

// sh runs a harness command and returns its stdout without the trailing newline; "" on failure
// (after recording it).
std::string sh(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) {
    ADD_FAILURE() << "popen failed: " << command;
    return {};
  }
  std::string out;
  std::array<char, 256> buf{};
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  const int status = ::pclose(p);
  if (status != 0) {
    ADD_FAILURE() << command << " exited with " << status;
    return {};
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class PgRestart : public ::testing::Test {
 protected:
  void SetUp() override {
    script_ = harness_dir() + "/postgres.sh";
    conninfo_ = sh(script_ + " start " + dir_.path().string());
    ASSERT_FALSE(conninfo_.empty());
  }
  void TearDown() override { sh(script_ + " stop " + dir_.path().string()); }
  void server(const char* command) { sh(script_ + " " + command + " " + dir_.path().string()); }

  testing::TempDir dir_;  // mode 700 from mkdtemp; postgres.sh makes it 755
  std::string script_;
  std::string conninfo_;
};

Result<int> select_one(ConnectionPool& pool) {
  return pool.run<int>([](pqxx::connection_base& c) -> Result<int> {
    pqxx::nontransaction tx(c);
    return tx.exec1("SELECT 1")[0].as<int>();
  });
}

TEST_F(PgRestart, PoolReconnectsAfterTheServerRestarts) {
  ConnectionPool pool({.conninfo = conninfo_, .size = 2});
  {
    // Open both connections.
    auto a = pool.acquire();
    auto b = pool.acquire();
    ASSERT_TRUE(a.has_value() && b.has_value());
  }
  ASSERT_TRUE(select_one(pool).has_value());
  server("restart");
  for (int i = 0; i < 2; ++i) {
    Result<int> r = select_one(pool);
    ASSERT_TRUE(r.has_value()) << r.error().message();
  }
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    ASSERT_TRUE(a.has_value() && b.has_value());
    pqxx::nontransaction ta(a->connection());
    ta.exec("SELECT 1");
    pqxx::nontransaction tb(b->connection());
    tb.exec("SELECT 1");
  }
  EXPECT_EQ(pool.discarded(), 2u);  // both old connections were replaced
}

TEST_F(PgRestart, PoolReportsTheOutageAndRecoversWhenTheServerReturns) {
  ConnectionPool pool({.conninfo = conninfo_ + "?connect_timeout=2", .size = 1});
  ASSERT_TRUE(select_one(pool).has_value());
  server("stop");
  Result<int> down = select_one(pool);
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error(), Errc::connection_failed);
  server("start");
  Result<int> up = select_one(pool);
  ASSERT_TRUE(up.has_value()) << up.error().message();
}

}  // namespace
}  // namespace conclave::db
