#include "xmpp/serializer.h"

#include <gtest/gtest.h>

#include "xmpp/namespaces.h"

namespace conclave::xmpp {
namespace {

TEST(Serializer, EscapesAttributesAndText) {
  Element e("message", std::string(ns::kComponent));
  e.set_attr("to", "a&b<c>\"d'e");
  e.add_child("body", std::string(ns::kComponent)).set_text("1 < 2 & 3 > \"q\" 'a'");
  EXPECT_EQ(to_string(e, ns::kComponent),
            "<message to='a&amp;b&lt;c&gt;&quot;d&apos;e'><body>1 &lt; 2 &amp; 3 &gt; \"q\" "
            "'a'</body></message>");
}

TEST(Serializer, DeclaresDefaultNamespaceWhereItChanges) {
  Element iq("iq", std::string(ns::kComponent));
  iq.add_child("query", std::string(ns::kDiscoInfo))
      .add_child("feature", std::string(ns::kDiscoInfo));
  EXPECT_EQ(to_string(iq),
            "<iq xmlns='jabber:component:accept'><query "
            "xmlns='http://jabber.org/protocol/disco#info'><feature/></query></iq>");
  EXPECT_EQ(to_string(iq, ns::kComponent).rfind("<iq><query", 0), 0u);
}

TEST(Serializer, QualifiedAttributes) {
  Element e("body", "x");
  e.set_attr("xml:lang", "en").set_attr("{urn:a}b", "v");
  EXPECT_EQ(to_string(e, "x"), "<body xml:lang='en' xmlns:a0='urn:a' a0:b='v'/>");
}

TEST(Serializer, WhitespaceInAttributesSurvives) {
  Element e("x", "y");
  e.set_attr("v", "a\tb\nc\r");
  EXPECT_EQ(to_string(e, "y"), "<x v='a&#9;b&#10;c&#13;'/>");
}

}  // namespace
}  // namespace conclave::xmpp
