// The per-JID token buckets.
#include <gtest/gtest.h>

#include "component/core/rate_limiter.h"

namespace conclave::component::ds {
namespace {

TEST(DsRateLimiter, BurstThenRefill) {
  RateLimiter r(2, 60);  // 1 per second
  const auto t0 = RateLimiter::Clock::time_point(std::chrono::seconds(1000));
  EXPECT_TRUE(r.allow("a", t0));
  EXPECT_TRUE(r.allow("a", t0));
  EXPECT_FALSE(r.allow("a", t0));
  EXPECT_TRUE(r.allow("b", t0));  // per key
  EXPECT_TRUE(r.allow("a", t0 + std::chrono::seconds(1)));
  EXPECT_FALSE(r.allow("a", t0 + std::chrono::seconds(1)));
}

TEST(DsRateLimiter, ZeroRateDisables) {
  RateLimiter r(0, 0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(r.allow("a", {}));
}

TEST(DsRateLimiter, MemoryIsBounded) {
  RateLimiter r(1, 1, 3);
  const auto t0 = RateLimiter::Clock::time_point(std::chrono::seconds(1000));
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(r.allow("k" + std::to_string(i), t0 + std::chrono::seconds(i)));
  }
  EXPECT_EQ(r.size(), 3u);
}

}  // namespace
}  // namespace conclave::component::ds
