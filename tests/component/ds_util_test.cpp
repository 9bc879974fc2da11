// Base64 as the protocol uses it, and the per-JID token buckets.
#include <gtest/gtest.h>

#include "component/ds/base64.h"
#include "component/ds/rate_limiter.h"

namespace conclave::component::ds {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(DsBase64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> v[] = {{"", ""},
                                                   {"f", "Zg=="},
                                                   {"fo", "Zm8="},
                                                   {"foo", "Zm9v"},
                                                   {"foob", "Zm9vYg=="},
                                                   {"fooba", "Zm9vYmE="},
                                                   {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, enc] : v) {
    EXPECT_EQ(base64_encode(bytes(plain)), enc);
    EXPECT_EQ(base64_decode(enc), bytes(plain));
  }
}

TEST(DsBase64, NonCanonicalInputRefused) {
  for (const char* bad : {"Zg", "Zg=", "Zh==", "Zm9=", "Z===", "Zm 9v", "Zm9v\nYmFy",
                          "Zm9v====", "=Zm9", "Zm-v", "Zm_v"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
  EXPECT_EQ(base64_decode("\n  Zm9v \n"), bytes("foo"));  // around the value only
}

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
