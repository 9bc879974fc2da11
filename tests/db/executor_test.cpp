#include "db/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>

namespace conclave::db {
namespace {

TEST(Executor, RunsWorkOffTheCallingThreadAndReportsTheResult) {
  Executor ex(2);
  std::promise<std::pair<Result<int>, std::thread::id>> got;
  ex.submit<int>([] { return Result<int>(42); },
                 [&](Result<int> r) {
                   got.set_value({std::move(r), std::this_thread::get_id()});
                 });
  auto [result, thread] = got.get_future().get();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, 42);
  EXPECT_NE(thread, std::this_thread::get_id());
}

TEST(Executor, PassesErrorsThrough) {
  Executor ex(1);
  std::promise<Result<int>> got;
  ex.submit<int>([] { return Result<int>(fail(Errc::query_failed)); },
                 [&](Result<int> r) { got.set_value(std::move(r)); });
  Result<int> r = got.get_future().get();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Errc::query_failed);
}

TEST(Executor, UsesAllItsThreadsConcurrently) {
  constexpr int kThreads = 3;
  Executor ex(kThreads);
  std::atomic<int> inside{0};
  std::atomic<int> peak{0};
  std::promise<void> all_done;
  std::atomic<int> remaining{kThreads};
  for (int i = 0; i < kThreads; ++i) {
    ex.post([&] {
      int now = ++inside;
      int seen = peak.load();
      while (now > seen && !peak.compare_exchange_weak(seen, now)) {
      }
      // Blocking work (as a SQL call would be) must not hold up the others.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      --inside;
      if (--remaining == 0) all_done.set_value();
    });
  }
  all_done.get_future().get();
  EXPECT_EQ(peak.load(), kThreads);
}

TEST(Executor, DestructorRunsQueuedWork) {
  std::atomic<int> ran{0};
  {
    Executor ex(1);
    for (int i = 0; i < 20; ++i) {
      ex.post([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ++ran;
      });
    }
  }
  EXPECT_EQ(ran.load(), 20);
}

TEST(Executor, RefusesWorkAfterShutdown) {
  Executor ex(1);
  ex.shutdown();
  EXPECT_FALSE(ex.post([] {}));
  std::optional<Result<int>> got;
  ex.submit<int>([] { return Result<int>(1); }, [&](Result<int> r) { got = std::move(r); });
  ASSERT_TRUE(got.has_value());  // refused synchronously, on this thread
  ASSERT_FALSE(got->has_value());
  EXPECT_EQ(got->error(), Errc::shutting_down);
}

TEST(Executor, ZeroThreadsMeansOne) {
  Executor ex(0);
  EXPECT_EQ(ex.threads(), 1u);
}

}  // namespace
}  // namespace conclave::db
