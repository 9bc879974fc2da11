#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "db/connection_pool.h"

namespace conclave::db {
namespace {

// Nothing listens on port 1 of loopback: connecting fails at once, without a server.
constexpr const char* kNowhere = "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2";

TEST(ConnectionPoolUnit, UnreachableServerIsConnectionFailedAndFreesTheSlot) {
  std::vector<std::string> lines;
  ConnectionPool pool({.conninfo = kNowhere,
                       .size = 1,
                       .acquire_timeout = std::chrono::milliseconds(100),
                       .log = [&](std::string_view l) { lines.emplace_back(l); }});
  for (int i = 0; i < 2; ++i) {  // the second try must not time out on a leaked slot
    Result<ConnectionPool::Lease> lease = pool.acquire();
    ASSERT_FALSE(lease.has_value());
    EXPECT_EQ(lease.error(), Errc::connection_failed);
    EXPECT_EQ(pool.idle(), 1u);
  }
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines[0].find("connect failed"), std::string::npos);
}

TEST(ConnectionPoolUnit, RunReportsConnectionFailedWithoutCallingTheWork) {
  ConnectionPool pool({.conninfo = kNowhere, .size = 1});
  bool called = false;
  Status s = pool.run([&](pqxx::connection_base&) -> Status {
    called = true;
    return {};
  });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error(), Errc::connection_failed);
  EXPECT_FALSE(called);
}

TEST(ConnectionPoolUnit, SizeZeroMeansOne) {
  ConnectionPool pool({.conninfo = kNowhere, .size = 0});
  EXPECT_EQ(pool.size(), 1u);
}

}  // namespace
}  // namespace conclave::db
