#pragma once
// RateLimiter: a token bucket per key (a sender's bare JID), against key-package floods
// (uploads that fill the store, claims that drain someone's packages). Time is passed in, so
// tests control it. Memory is bounded: beyond `max_keys` the least recently used bucket goes
// (losing it only forgives that sender, never blocks another one).
#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace conclave::component {

class RateLimiter {
 public:
  using Clock =
      std::chrono::system_clock;  // the service clock (injectable), not steady: tests set it

  // `burst` tokens at most, refilled at `per_minute` tokens per minute. per_minute == 0 turns
  // the limiter off (allow() always true).
  RateLimiter(double burst, double per_minute, std::size_t max_keys = 100'000);

  // allow: takes `cost` tokens from `key`'s bucket if it holds that many; false otherwise (and
  // takes nothing).
  bool allow(const std::string& key, Clock::time_point now, double cost = 1.0);

  std::size_t size() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  void evict_one();

  double burst_;
  double per_second_;
  std::size_t max_keys_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace conclave::component
