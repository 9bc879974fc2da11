#include "component/core/rate_limiter.h"

#include <algorithm>

namespace conclave::component {

RateLimiter::RateLimiter(double burst, double per_minute, std::size_t max_keys)
    : burst_(burst),
      per_second_(per_minute / 60.0),
      max_keys_(std::max<std::size_t>(1, max_keys)) {}

bool RateLimiter::allow(const std::string& key, Clock::time_point now, double cost) {
  if (per_second_ <= 0) return true;
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) evict_one();
    it = buckets_.emplace(key, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  if (now > b.updated) {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * per_second_);
    b.updated = now;
  }
  if (b.tokens < cost) return false;
  b.tokens -= cost;
  return true;
}

void RateLimiter::evict_one() {
  auto oldest = buckets_.begin();
  for (auto it = buckets_.begin(); it != buckets_.end(); ++it) {
    if (it->second.updated < oldest->second.updated) oldest = it;
  }
  if (oldest != buckets_.end()) buckets_.erase(oldest);
}

}  // namespace conclave::component
