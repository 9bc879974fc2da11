#include "component/store/epoch.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <type_traits>

namespace conclave::component {
namespace {

TEST(Epoch, StartsAtZeroAndCountsUp) {
  constexpr Epoch zero;
  static_assert(zero.value() == 0);
  static_assert(zero.next() == Epoch(1));
  static_assert(Epoch(7).next().value() == 8);
  EXPECT_EQ(Epoch(3), 3u);  // compares with the number it stands for
  EXPECT_LT(Epoch(2), Epoch(3));
  EXPECT_NE(Epoch(2), Epoch(3));
}

// Only the explicit constructor makes an Epoch: a count or an index does not pass for one.
static_assert(!std::is_convertible_v<std::uint64_t, Epoch>);
static_assert(std::is_constructible_v<Epoch, std::uint64_t>);

}  // namespace
}  // namespace conclave::component
