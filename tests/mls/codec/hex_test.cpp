// to_hex / from_hex.
#include "mls/codec/hex.h"

#include <gtest/gtest.h>

namespace conclave::mls {
namespace {

TEST(Hex, RoundTripsEveryByteValue) {
  Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  const std::string hex = to_hex(all);
  ASSERT_EQ(hex.size(), 512u);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(504), "fcfdfeff");
  const Result<Bytes> back = from_hex(hex);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, all);
}

TEST(Hex, EmptyIsEmpty) {
  EXPECT_EQ(to_hex(Bytes{}), "");
  const Result<Bytes> back = from_hex("");
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->empty());
}

TEST(Hex, AcceptsUpperCaseAndWritesLowerCase) {
  const Result<Bytes> b = from_hex("DEADbeef");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*b, (Bytes{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(to_hex(*b), "deadbeef");
}

class BadHex : public ::testing::TestWithParam<const char*> {};

TEST_P(BadHex, IsMalformed) {
  const Result<Bytes> b = from_hex(GetParam());
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error(), Errc::malformed);
}

INSTANTIATE_TEST_SUITE_P(Inputs, BadHex,
                         ::testing::Values("0", "abc", "0g", "g0", "zz", " 00", "00 ", "0x00", "-1",
                                           "0:", "@0", "`0", "G0", "/0"));

}  // namespace
}  // namespace conclave::mls
