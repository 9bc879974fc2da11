#include "db/connection_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <pqxx/pqxx>
#include <thread>

#include "db/database.h"
#include "pg_test_env.h"

namespace conclave::db {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

int backend_pid(pqxx::connection_base& c) {
  pqxx::nontransaction tx(c);
  return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
}

void terminate_backend(const std::string& conninfo, int pid) {
  pqxx::connection admin(conninfo);
  pqxx::nontransaction tx(admin);
  tx.exec_params("SELECT pg_terminate_backend($1)", pid);
}

TEST(ConnectionPool, LeasesEachConnectionOnceAndTimesOutWhenAllAreTaken) {
  const std::string conninfo = testing::pg_conninfo();
  ASSERT_FALSE(conninfo.empty());
  ConnectionPool pool({.conninfo = conninfo, .size = 2, .acquire_timeout = milliseconds(200)});
  Result<ConnectionPool::Lease> a = pool.acquire();
  Result<ConnectionPool::Lease> b = pool.acquire();
  ASSERT_TRUE(a.has_value()) << a.error().message();
  ASSERT_TRUE(b.has_value()) << b.error().message();
  EXPECT_NE(&a->connection(), &b->connection());
  EXPECT_NE(backend_pid(a->connection()), backend_pid(b->connection()));
  EXPECT_EQ(pool.idle(), 0u);

  const auto start = steady_clock::now();
  Result<ConnectionPool::Lease> c = pool.acquire();
  const auto waited = steady_clock::now() - start;
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error(), Errc::pool_timeout);
  EXPECT_GE(waited, milliseconds(190));
  EXPECT_LT(waited, milliseconds(2000));

  *a = std::move(*b);  // releases a's connection; b's moves into a
  EXPECT_EQ(pool.idle(), 1u);
  Result<ConnectionPool::Lease> d = pool.acquire();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(pool.idle(), 0u);
}

TEST(ConnectionPool, ReleasedConnectionIsReusedNotReopened) {
  const std::string conninfo = testing::pg_conninfo();
  ASSERT_FALSE(conninfo.empty());
  ConnectionPool pool({.conninfo = conninfo, .size = 1});
  int first = 0;
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.has_value());
    first = backend_pid(lease->connection());
  }
  auto lease = pool.acquire();
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(backend_pid(lease->connection()), first);
  EXPECT_EQ(pool.discarded(), 0u);
}

TEST(ConnectionPool, BlockedAcquireWakesWhenAConnectionIsReleased) {
  const std::string conninfo = testing::pg_conninfo();
  ASSERT_FALSE(conninfo.empty());
  ConnectionPool pool({.conninfo = conninfo, .size = 1, .acquire_timeout = milliseconds(5000)});
  auto held = std::make_optional(pool.acquire());
  ASSERT_TRUE(held->has_value());
  auto waiter = std::async(std::launch::async, [&] {
    const auto start = steady_clock::now();
    auto lease = pool.acquire();
    return std::make_pair(lease.has_value(), steady_clock::now() - start);
  });
  std::this_thread::sleep_for(milliseconds(150));
  held.reset();  // release
  auto [ok, waited] = waiter.get();
  EXPECT_TRUE(ok);
  EXPECT_GE(waited, milliseconds(100));
  EXPECT_LT(waited, milliseconds(4000));  // woken by the release, not by the timeout
}

TEST(ConnectionPool, ConnectionKilledWhileIdleIsReplacedOnAcquire) {
  const std::string conninfo = testing::pg_conninfo();
  ASSERT_FALSE(conninfo.empty());
  ConnectionPool pool({.conninfo = conninfo, .size = 1});
  int old_pid = 0;
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.has_value());
    old_pid = backend_pid(lease->connection());
  }
  terminate_backend(conninfo, old_pid);
  std::this_thread::sleep_for(milliseconds(100));  // let the FATAL notice arrive
  auto lease = pool.acquire();
  ASSERT_TRUE(lease.has_value()) << lease.error().message();
  const int new_pid = backend_pid(lease->connection());  // would throw on the dead connection
  EXPECT_NE(new_pid, old_pid);
  EXPECT_EQ(pool.discarded(), 1u);
}

TEST(ConnectionPool, RunRetriesOnceWhenTheConnectionBreaksBeforeCommit) {
  const std::string conninfo = testing::pg_conninfo();
  ASSERT_FALSE(conninfo.empty());
  ConnectionPool pool({.conninfo = conninfo, .size = 1});
  int calls = 0;
  Result<int> r = pool.run<int>([&](pqxx::connection_base& c) -> Result<int> {
    ++calls;
    if (calls == 1) {
      // Kill our own backend behind the pool's back: the pool's idle check cannot see it,
      // the statement below hits the dead socket.
      terminate_backend(conninfo, backend_pid(c));
      std::this_thread::sleep_for(milliseconds(50));
    }
    pqxx::work tx(c);
    const int v = tx.exec1("SELECT 7")[0].as<int>();
    tx.commit();
    return v;
  });
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(*r, 7);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(pool.discarded(), 1u);
}

TEST(ConnectionPool, RunGivesUpAfterTwoBrokenConnections) {
  const std::string conninfo = testing::pg_conninfo();
  ASSERT_FALSE(conninfo.empty());
  ConnectionPool pool({.conninfo = conninfo, .size = 1});
  int calls = 0;
  Status s = pool.run([&](pqxx::connection_base& c) -> Status {
    ++calls;
    terminate_backend(conninfo, backend_pid(c));
    std::this_thread::sleep_for(milliseconds(50));
    pqxx::work tx(c);
    tx.exec("SELECT 1");
    return {};
  });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error(), Errc::connection_lost);
  EXPECT_EQ(calls, 2);
}

TEST(ConnectionPool, SqlErrorIsQueryFailedAndKeepsTheConnection) {
  const std::string conninfo = testing::pg_conninfo();
  ASSERT_FALSE(conninfo.empty());
  ConnectionPool pool({.conninfo = conninfo, .size = 1});
  Status s = pool.run([&](pqxx::connection_base& c) -> Status {
    pqxx::work tx(c);
    tx.exec("SELECT no_such_column FROM pg_class");
    return {};
  });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error(), Errc::query_failed);
  EXPECT_EQ(pool.discarded(), 0u);
  Result<int> r = pool.run<int>([](pqxx::connection_base& c) -> Result<int> {
    pqxx::nontransaction tx(c);
    return tx.exec1("SELECT 1")[0].as<int>();
  });
  ASSERT_TRUE(r.has_value());
}

TEST(Database, AsyncWorkRunsOnAPooledConnectionAndCallsBack) {
  const std::string conninfo = testing::pg_conninfo();
  ASSERT_FALSE(conninfo.empty());
  Database db({.conninfo = conninfo, .size = 2});
  std::promise<std::pair<Result<int>, std::thread::id>> got;
  db.async<int>(
      [](pqxx::connection_base& c) -> Result<int> {
        pqxx::nontransaction tx(c);
        return tx.exec1("SELECT 40 + 2")[0].as<int>();
      },
      [&](Result<int> r) {
        got.set_value({std::move(r), std::this_thread::get_id()});
      });
  auto [r, thread] = got.get_future().get();
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(*r, 42);
  EXPECT_NE(thread, std::this_thread::get_id());
}

}  // namespace
}  // namespace conclave::db
