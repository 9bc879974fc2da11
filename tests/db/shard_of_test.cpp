// shard_of (component/store/lease_store.h): every instance and every build must map a room to
// the same shard, so the values are pinned, and the spread must be even enough that shards are
// a fair unit of work.
#include <gtest/gtest.h>

#include <vector>

#include "component/store/lease_store.h"

namespace conclave::component {
namespace {

TEST(ShardOf, IsStableAcrossBuilds) {
  // FNV-1a 64 of the bytes, modulo the count: pinned values (computed independently with
  // Python: h = 0xcbf29ce484222325; for b in s: h = ((h ^ b) * 0x100000001b3) % 2**64).
  EXPECT_EQ(shard_of("", 256), 14695981039346656037ull % 256);
  EXPECT_EQ(shard_of("a", 1000), 12638187200555641996ull % 1000);
  EXPECT_EQ(shard_of("room@mls.localhost", 64), shard_of("room@mls.localhost", 64));
  EXPECT_EQ(shard_of("anything", 1), 0u);
  EXPECT_EQ(shard_of("anything", 0), 0u);  // no shards configured: one implicit shard
}

TEST(ShardOf, SpreadsRoomsEvenly) {
  constexpr std::uint32_t kShards = 64;
  constexpr int kRooms = 64 * 200;
  std::vector<int> count(kShards);
  for (int i = 0; i < kRooms; ++i) {
    ++count[shard_of("room" + std::to_string(i) + "@mls.localhost", kShards)];
  }
  for (std::uint32_t s = 0; s < kShards; ++s) {
    // Expected 200 per shard; a binomial standard deviation is about 14, so 130..270 is
    // five deviations either side.
    EXPECT_GT(count[s], 130) << s;
    EXPECT_LT(count[s], 270) << s;
  }
}

}  // namespace
}  // namespace conclave::component
