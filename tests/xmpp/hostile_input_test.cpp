// Hostile input: every case must end in the right stream error with bounded parser memory.
#include <gtest/gtest.h>

#include "xmpp/stream_parser.h"

namespace conclave::xmpp {
namespace {

constexpr std::string_view kHostileHeader =
    "<stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='s1'>";
constexpr std::size_t kMemoryBound = 4 * 256 * 1024 + 256 * 1024;

std::optional<StreamFailed> failure_of(const std::vector<StreamEvent>& events) {
  for (const auto& e : events) {
    if (const auto* f = std::get_if<StreamFailed>(&e)) return *f;
  }
  return std::nullopt;
}

StreamCondition condition_after(std::string_view input, StreamParser& p) {
  std::vector<StreamEvent> events;
  // Feed in several buffers, as a socket would.
  for (std::size_t i = 0; i < input.size(); i += 4000) p.feed(input.substr(i, 4000), events);
  auto f = failure_of(events);
  EXPECT_TRUE(f.has_value()) << "no stream error for input";
  EXPECT_TRUE(p.finished());
  EXPECT_LE(p.peak_parser_memory(), kMemoryBound);
  return f ? f->condition : StreamCondition::undefined_condition;
}

StreamCondition condition_after(std::string_view input) {
  StreamParser p;
  return condition_after(input, p);
}

TEST(HostileInput, BillionLaughs) {
  std::string input =
      "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
      "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
      "<!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>"
      "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]>";
  input += std::string(kHostileHeader) + "<message><body>&lol3;</body></message>";
  EXPECT_EQ(condition_after(input), StreamCondition::restricted_xml);
}

TEST(HostileInput, ExternalEntity) {
  EXPECT_EQ(condition_after("<!DOCTYPE s [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>" +
                            std::string(kHostileHeader) + "<message><body>&xxe;</body></message>"),
            StreamCondition::restricted_xml);
}

TEST(HostileInput, Doctype) {
  EXPECT_EQ(condition_after("<!DOCTYPE stream:stream>" + std::string(kHostileHeader)),
            StreamCondition::restricted_xml);
}

TEST(HostileInput, UndefinedEntityReference) {
  EXPECT_EQ(condition_after(std::string(kHostileHeader) + "<message><body>&nbsp;</body></message>"),
            StreamCondition::restricted_xml);
}

TEST(HostileInput, PredefinedAndCharacterReferencesAreFine) {
  StreamParser p;
  auto events = p.feed(std::string(kHostileHeader) +
                       "<message><body>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;</body></message>");
  EXPECT_FALSE(failure_of(events));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(
      std::get<StanzaReceived>(events[1]).stanza.child_text("body", "jabber:component:accept"),
      "<>&\"'AB");
}

TEST(HostileInput, ProcessingInstruction) {
  EXPECT_EQ(condition_after(std::string(kHostileHeader) + "<?evil data?>"),
            StreamCondition::restricted_xml);
}

TEST(HostileInput, Comment) {
  EXPECT_EQ(condition_after(std::string(kHostileHeader) + "<message><!-- hi --></message>"),
            StreamCondition::restricted_xml);
}

TEST(HostileInput, HugeStanzaInOneToken) {
  // One attribute value that never ends: Expat would buffer it all without the byte limit.
  std::string input =
      std::string(kHostileHeader) + "<message a='" + std::string(2 * 1024 * 1024, 'x');
  EXPECT_EQ(condition_after(input), StreamCondition::policy_violation);
}

TEST(HostileInput, HugeStanzaOfText) {
  std::string input = std::string(kHostileHeader) + "<message><body>" +
                      std::string(300 * 1024, 'x') + "</body></message>";
  EXPECT_EQ(condition_after(input), StreamCondition::policy_violation);
}

TEST(HostileInput, StanzaJustUnderTheLimitPasses) {
  ParserLimits limits;
  limits.max_stanza_bytes = 1000;
  StreamParser p(limits);
  p.feed(kHostileHeader);
  const std::string ok = "<message>" + std::string(1000 - 19, 'x') + "</message>";
  ASSERT_EQ(ok.size(), 1000u);
  auto events = p.feed(ok);
  EXPECT_FALSE(failure_of(events));
  EXPECT_EQ(events.size(), 1u);
  const std::string too_big = "<message>" + std::string(1001 - 19, 'x') + "</message>";
  EXPECT_EQ(condition_after(too_big, p), StreamCondition::policy_violation);
}

TEST(HostileInput, HugeTagNameBeforeAnyStanza) {
  EXPECT_EQ(condition_after(std::string(kHostileHeader) + "<" + std::string(1024 * 1024, 'a')),
            StreamCondition::policy_violation);
}

TEST(HostileInput, NoHeaderForever) {
  EXPECT_EQ(condition_after("<stream:stream " + std::string(1024 * 1024, ' ')),
            StreamCondition::policy_violation);
}

TEST(HostileInput, DeepNesting) {
  std::string input(kHostileHeader);
  for (int i = 0; i < 40; ++i) input += "<a>";
  EXPECT_EQ(condition_after(input), StreamCondition::policy_violation);
}

TEST(HostileInput, NestingAtTheLimitPasses) {
  StreamParser p;
  std::string input(kHostileHeader);
  for (int i = 0; i < 32; ++i) input += "<a>";
  for (int i = 0; i < 32; ++i) input += "</a>";
  EXPECT_FALSE(failure_of(p.feed(input)));
}

TEST(HostileInput, TooManyAttributes) {
  std::string input = std::string(kHostileHeader) + "<message";
  for (int i = 0; i < 65; ++i) input += " a" + std::to_string(i) + "='1'";
  input += "/>";
  EXPECT_EQ(condition_after(input), StreamCondition::policy_violation);
}

TEST(HostileInput, TooManyElements) {
  std::string input = std::string(kHostileHeader) + "<message>";
  for (int i = 0; i < 5000; ++i) input += "<a/>";
  input += "</message>";
  EXPECT_EQ(condition_after(input), StreamCondition::policy_violation);
}

TEST(HostileInput, InvalidUtf8) {
  EXPECT_EQ(
      condition_after(std::string(kHostileHeader) + "<message><body>\xC3\x28</body></message>"),
      StreamCondition::not_well_formed);
  EXPECT_EQ(
      condition_after(std::string(kHostileHeader) + "<message><body>\xED\xA0\x80</body></message>"),
      StreamCondition::not_well_formed);
}

TEST(HostileInput, ForeignEncodingDeclaration) {
  EXPECT_EQ(
      condition_after("<?xml version='1.0' encoding='ISO-8859-1'?>" + std::string(kHostileHeader)),
      StreamCondition::unsupported_encoding);
}

TEST(HostileInput, MismatchedTags) {
  EXPECT_EQ(condition_after(std::string(kHostileHeader) + "<message></presence>"),
            StreamCondition::not_well_formed);
}

TEST(HostileInput, InvalidCharacterReference) {
  EXPECT_EQ(condition_after(std::string(kHostileHeader) + "<message>&#0;</message>"),
            StreamCondition::not_well_formed);
}

TEST(HostileInput, MemoryCapRefusesAllocationsAsPolicyViolation) {
  ParserLimits limits;
  limits.max_parser_memory = 64 * 1024;  // smaller than one legitimate stanza's token
  StreamParser p(limits);
  std::string input =
      std::string(kHostileHeader) + "<message a='" + std::string(200 * 1024, 'x') + "'/>";
  std::vector<StreamEvent> events;
  p.feed(input, events);
  auto f = failure_of(events);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->condition, StreamCondition::policy_violation);
  EXPECT_LE(p.peak_parser_memory(), 64 * 1024u);
}

}  // namespace
}  // namespace conclave::xmpp
