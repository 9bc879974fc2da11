#include "client/base64.h"

#include <gtest/gtest.h>

namespace conclave::client {
namespace {

mls::Bytes b(std::string_view s) { return mls::Bytes(s.begin(), s.end()); }

TEST(Base64, Rfc4648Vectors) {
  // RFC 4648 §10
  const std::pair<std::string_view, std::string_view> v[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, enc] : v) {
    EXPECT_EQ(base64_encode(b(plain)), enc);
    auto d = base64_decode(enc);
    ASSERT_TRUE(d) << enc;
    EXPECT_EQ(*d, b(plain));
  }
}

TEST(Base64, AllByteValuesRoundTrip) {
  mls::Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(Base64, IgnoresXmlWhitespace) { EXPECT_EQ(base64_decode(" Zm9v\nYmFy\r\n\t"), b("foobar")); }

TEST(Base64, RejectsMalformed) {
  EXPECT_FALSE(base64_decode("Zm9"));       // length not a multiple of 4
  EXPECT_FALSE(base64_decode("Zm9v!A=="));  // outside the alphabet
  EXPECT_FALSE(base64_decode("Zg=a"));      // data after padding
  EXPECT_FALSE(base64_decode("Z==="));      // too much padding
  EXPECT_FALSE(base64_decode("Zg==Zm9v"));  // padding in the middle
  EXPECT_FALSE(base64_decode("Zh=="));      // non-zero pad bits (not canonical)
  EXPECT_FALSE(base64_decode("Zm9="));      // non-zero pad bits
  EXPECT_FALSE(base64_decode("Zm9v-_AA"));  // base64url alphabet is not accepted
}

}  // namespace
}  // namespace conclave::client
