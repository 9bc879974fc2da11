#include "mls/treesync/parallel_for.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace conclave::mls {
namespace {

TEST(ParallelFor, VisitsEveryIndexOnce) {
  for (unsigned threads : {0u, 1u, 2u, 3u, 8u}) {
    for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{1000}}) {
      for (std::size_t batch : {std::size_t{0}, std::size_t{1}, std::size_t{16}}) {
        std::vector<std::atomic<int>> seen(count);
        parallel_for(count, threads, batch, [&](std::size_t i) { seen[i].fetch_add(1); });
        for (std::size_t i = 0; i < count; ++i) {
          EXPECT_EQ(seen[i].load(), 1) << threads << " threads, " << count << " items, " << i;
        }
      }
    }
  }
}

TEST(ParallelFor, OneThreadRunsInOrderOnTheCaller) {
  std::vector<std::size_t> order;
  const auto caller = std::this_thread::get_id();
  bool same_thread = true;
  parallel_for(50, 1, 16, [&](std::size_t i) {
    order.push_back(i);
    same_thread = same_thread && std::this_thread::get_id() == caller;
  });
  ASSERT_EQ(order.size(), 50u);
  for (std::size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i);
  EXPECT_TRUE(same_thread);
}

}  // namespace
}  // namespace conclave::mls
