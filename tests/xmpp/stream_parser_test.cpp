#include "xmpp/stream_parser.h"

#include <gtest/gtest.h>

#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::xmpp {
namespace {

constexpr std::string_view kHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='mls.localhost' id='abc123'>";

std::vector<Element> stanzas(const std::vector<StreamEvent>& events) {
  std::vector<Element> out;
  for (const auto& e : events) {
    if (const auto* s = std::get_if<StanzaReceived>(&e)) out.push_back(s->stanza);
  }
  return out;
}

TEST(StreamParser, HeaderEventCarriesIdAndContentNamespace) {
  StreamParser p;
  auto events = p.feed(kHeader);
  ASSERT_EQ(events.size(), 1u);
  const auto* opened = std::get_if<StreamOpened>(&events[0]);
  ASSERT_NE(opened, nullptr);
  EXPECT_EQ(opened->header.attr_or("id"), "abc123");
  EXPECT_EQ(opened->header.attr_or("from"), "mls.localhost");
  EXPECT_EQ(opened->content_ns, ns::kComponent);
}

TEST(StreamParser, StanzaSplitAcrossBuffers) {
  StreamParser p;
  const std::string input =
      std::string(kHeader) + "<message to='a@b' id='x'><body>hello &amp; bye</body></message>";
  std::vector<StreamEvent> events;
  for (char c : input) p.feed(std::string_view(&c, 1), events);  // worst case: byte at a time
  auto got = stanzas(events);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].name(), "message");
  EXPECT_EQ(got[0].ns(), ns::kComponent);
  EXPECT_EQ(got[0].child_text("body", ns::kComponent), "hello & bye");
}

TEST(StreamParser, ManyStanzasInOneBuffer) {
  StreamParser p;
  std::string input(kHeader);
  for (int i = 0; i < 100; ++i) input += "<presence id='" + std::to_string(i) + "'/> ";
  auto got = stanzas(p.feed(input));
  ASSERT_EQ(got.size(), 100u);
  EXPECT_EQ(got[99].attr_or("id"), "99");
}

TEST(StreamParser, NamespacesResolveAndPrefixesDisappear) {
  StreamParser p;
  auto got = stanzas(p.feed(std::string(kHeader) +
                            "<iq type='get' id='1'><q:query xmlns:q='http://jabber.org/protocol/"
                            "disco#info' node='n'/></iq><stream:error><conflict "
                            "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"));
  ASSERT_EQ(got.size(), 2u);
  ASSERT_NE(got[0].child("query", ns::kDiscoInfo), nullptr);
  EXPECT_EQ(got[0].child("query", ns::kDiscoInfo)->attr_or("node"), "n");
  EXPECT_TRUE(is_stream_error(got[1]));
  EXPECT_EQ(parse_stream_error(got[1]).condition, StreamCondition::conflict);
}

TEST(StreamParser, EscapingRoundTrip) {
  Element m("message", std::string(ns::kComponent));
  m.set_attr("to", "r@s/<&\"'>").set_attr("xml:lang", "de");
  m.add_child("body", std::string(ns::kComponent)).set_text("a<b>&c\"d'e\r\nf]]>");
  Element& p = m.add_child("p", "urn:x");
  p.set_text("one");
  p.add_child("b", "urn:x").mutable_tail() = "three";
  m.add_child("x", "urn:y").set_attr("{urn:z}attr", "v\t1");
  StreamParser parser;
  auto got = stanzas(parser.feed(std::string(kHeader) + to_string(m, ns::kComponent)));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], m);
}

TEST(StreamParser, StreamEndAndInputAfterItIgnored) {
  StreamParser p;
  auto events = p.feed(std::string(kHeader) + "<presence/></stream:stream><junk");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<StreamClosed>(events[2]));
  EXPECT_TRUE(p.finished());
  EXPECT_TRUE(p.feed("<more/>").empty());
}

TEST(StreamParser, WrongRootIsInvalidNamespace) {
  StreamParser p;
  auto events = p.feed("<stream xmlns='jabber:client'>");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<StreamFailed>(events[0]).condition, StreamCondition::invalid_namespace);
}

TEST(StreamParser, WhitespaceKeepalivesDoNotAccumulate) {
  ParserLimits limits;
  limits.max_stanza_bytes = 1024;
  StreamParser p(limits);
  p.feed(kHeader);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(p.feed(" ").empty());
  EXPECT_EQ(stanzas(p.feed("<presence/>")).size(), 1u);
}

TEST(StreamParser, LongStreamOfDistinctNamesStaysBounded) {
  // Expat remembers every attribute name it sees; the parser recycles it at stanza boundaries.
  ParserLimits limits;
  limits.max_stanza_bytes = 4096;
  StreamParser p(limits);
  p.feed(kHeader);
  std::size_t count = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string s = "<message a" + std::to_string(i) + "='1' xmlns:p" + std::to_string(i) +
                          "='urn:" + std::to_string(i) + "'><p" + std::to_string(i) +
                          ":x/></message>";
    auto events = p.feed(s);
    for (const auto& e : events) ASSERT_FALSE(std::holds_alternative<StreamFailed>(e));
    count += stanzas(events).size();
  }
  EXPECT_EQ(count, 20000u);
  EXPECT_LE(p.peak_parser_memory(), 4 * 4096u + 256 * 1024u);
  // The stream root is still open on the recycled instance.
  auto events = p.feed("</stream:stream>");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<StreamClosed>(events[0]));
}

TEST(StreamParser, ResetAcceptsANewStream) {
  StreamParser p;
  p.feed(std::string(kHeader) + "</stream:stream>");
  p.reset();
  auto events = p.feed(kHeader);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<StreamOpened>(events[0]));
}

}  // namespace
}  // namespace conclave::xmpp
