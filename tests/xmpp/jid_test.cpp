#include "xmpp/jid.h"

#include <gtest/gtest.h>

namespace conclave::xmpp {
namespace {

Jid must(std::string_view s) {
  auto j = Jid::parse(s);
  EXPECT_TRUE(j.has_value()) << s;
  return j.value_or(Jid{});
}

TEST(Jid, ParsesParts) {
  Jid j = must("room@mls.example.org/Nick Name");
  EXPECT_EQ(j.node(), "room");
  EXPECT_EQ(j.domain(), "mls.example.org");
  EXPECT_EQ(j.resource(), "Nick Name");
  EXPECT_EQ(j.full(), "room@mls.example.org/Nick Name");
  EXPECT_EQ(j.bare().full(), "room@mls.example.org");
  EXPECT_EQ(j.bare_string(), "room@mls.example.org");
  EXPECT_TRUE(j.bare().is_bare());
  EXPECT_EQ(must("example.org").full(), "example.org");
}

TEST(Jid, NodeAndDomainCaseFoldResourceKeepsCase) {
  Jid j = must("Alice@Example.ORG/ThePhone");
  EXPECT_EQ(j.node(), "alice");
  EXPECT_EQ(j.domain(), "example.org");
  EXPECT_EQ(j.resource(), "ThePhone");
  EXPECT_EQ(j, must("alice@example.org/ThePhone"));
  EXPECT_NE(j, must("alice@example.org/thephone"));
}

TEST(Jid, UnicodeNormalisation) {
  // nodeprep case-folds non-ASCII letters too; nameprep maps the fullwidth full stop.
  EXPECT_EQ(must("\xC3\x84LICE@example.org").node(), "\xC3\xA4lice");  // Ä -> ä
  EXPECT_EQ(must("a@example\xEF\xBC\x8Eorg").domain(), "example.org");
  EXPECT_EQ(must("a@example.org.").domain(), "example.org");  // RFC 7622 §3.2 trailing dot
}

TEST(Jid, ResourceMayContainSeparators) {
  Jid j = must("a@b/c@d/e");
  EXPECT_EQ(j.resource(), "c@d/e");
}

TEST(Jid, RejectsInvalid) {
  for (std::string_view bad :
       {"", "@example.org", "a@", "a@example.org/", "/res", "a@@example.org", "a b@example.org",
        "a\"b@example.org", "a&b@example.org", "a'b@example.org", "a:b@example.org",
        "a<b@example.org", "a>b@example.org", "exa mple.org", "example..org",
        "\xC3\x28@example.org", "a@example.org/\xFF", "a@[zz::1]", "a@exa_mple.org"}) {
    auto j = Jid::parse(bad);
    EXPECT_FALSE(j.has_value()) << "accepted: " << bad;
  }
  EXPECT_FALSE(Jid::parse(std::string("a\0b@example.org", 15)).has_value());
}

TEST(Jid, LengthLimits) {
  const std::string ok_node(1023, 'a');
  EXPECT_TRUE(Jid::parse(ok_node + "@example.org").has_value());
  auto too_long = Jid::parse(std::string(1024, 'a') + "@example.org");
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error(), Errc::jid_part_too_long);
  EXPECT_FALSE(Jid::parse("a@example.org/" + std::string(1024, 'r')).has_value());
  EXPECT_TRUE(Jid::parse("a@example.org/" + std::string(1023, 'r')).has_value());
}

TEST(Jid, IpLiteral) {
  EXPECT_EQ(must("a@[::1]").domain(), "[::1]");
  EXPECT_EQ(must("a@[FE80::1]").domain(), "[fe80::1]");
}

TEST(Jid, WithResourceAndOrdering) {
  Jid j = must("room@mls.localhost");
  auto full = j.with_resource("Nick");
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->full(), "room@mls.localhost/Nick");
  EXPECT_FALSE(j.with_resource(std::string(2000, 'x')).has_value());
  EXPECT_LT(must("a@x"), must("b@x"));
  EXPECT_EQ(JidHash{}(must("A@X")), JidHash{}(must("a@x")));
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(is_valid_utf8("h\xC3\xA9llo \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
}

}  // namespace
}  // namespace conclave::xmpp
