// Base64 as urn:xmpp:mls:0 uses it (docs/protocol.md §4): RFC 4648 vectors, every byte value,
// the whitespace rule and the canonical-form rule.
#include "base/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace conclave {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes b(std::string_view s) { return Bytes(s.begin(), s.end()); }

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

TEST(Base64, UrlUnpaddedRfc4648Vectors) {
  // RFC 4648 §10's vectors (their characters are the same in the URL alphabet of §5), without
  // the padding (§3.2).
  const std::pair<std::string_view, std::string_view> v[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, enc] : v) EXPECT_EQ(base64url_encode_unpadded(b(plain)), enc);
}

TEST(Base64, UrlAlphabetReplacesPlusAndSlash) {
  // Values 62 and 63: '+' and '/' in the standard alphabet, '-' and '_' in the URL one (§5).
  const Bytes v{0xfb, 0xff};
  EXPECT_EQ(base64_encode(v), "+/8=");
  EXPECT_EQ(base64url_encode_unpadded(v), "-_8");
  Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  std::string expected = base64_encode(all);
  while (!expected.empty() && expected.back() == '=') expected.pop_back();
  for (char& c : expected) c = c == '+' ? '-' : c == '/' ? '_' : c;
  EXPECT_EQ(base64url_encode_unpadded(all), expected);
}

TEST(Base64, AllByteValuesRoundTrip) {
  Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(Base64, WhitespaceOnlyAroundTheValue) {
  EXPECT_EQ(base64_decode("\n  Zm9v \n"), b("foo"));
  EXPECT_EQ(base64_decode(" \t\r\n"), Bytes{});
  EXPECT_FALSE(base64_decode("Zm 9v"));
  EXPECT_FALSE(base64_decode("Zm9v\nYmFy"));  // no line breaks inside (docs/protocol.md §4)
}

TEST(Base64, WhitespaceIsXmlWhitespaceOnly) {
  // Space, tab, CR and LF (XML's whitespace) around the value; nothing else, nowhere else.
  EXPECT_EQ(base64_decode("\t\r\nZm9vYg==\r\n\t "), b("foob"));
  EXPECT_EQ(base64_decode("Zg==\n"), b("f"));
  for (const char* bad : {"\vZm9v", "Zm9v\f", "Zg= =", "Zg =="}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
  EXPECT_FALSE(base64_decode(std::string_view("Zm9v\0", 5)).has_value());
  EXPECT_FALSE(base64_decode("\xc2\xa0Zm9v").has_value());  // U+00A0 is not XML whitespace
}

TEST(Base64, NonCanonicalInputRefused) {
  for (const char* bad : {"Zg", "Zg=", "Zm9", "Zh==", "Zm9=", "Z===", "Zg=a", "Zg==Zm9v",
                          "Zm9v====", "=Zm9", "Zm9v!A==", "Zm-v", "Zm_v"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace conclave
