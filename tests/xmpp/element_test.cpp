#include "xmpp/element.h"

#include <gtest/gtest.h>

namespace conclave::xmpp {
namespace {

TEST(Element, AttributesAreReplacedNotDuplicated) {
  Element e("iq", "jabber:component:accept");
  e.set_attr("id", "1").set_attr("id", "2");
  ASSERT_EQ(e.attributes().size(), 1u);
  EXPECT_EQ(*e.attr("id"), "2");
  EXPECT_EQ(e.attr("type"), nullptr);
  EXPECT_EQ(e.attr_or("type", "get"), "get");
  EXPECT_TRUE(e.remove_attr("id"));
  EXPECT_FALSE(e.remove_attr("id"));
}

TEST(Element, ChildLookupMatchesNameAndNamespace) {
  Element e("message", "jabber:component:accept");
  e.add_child("body", "jabber:component:accept").set_text("hi");
  e.add_child("body", "urn:other");
  EXPECT_EQ(e.child("body", "urn:other")->text(), "");
  EXPECT_EQ(e.child_text("body", "jabber:component:accept"), "hi");
  EXPECT_EQ(e.child("subject", "jabber:component:accept"), nullptr);
  EXPECT_EQ(e.children_named("body", "jabber:component:accept").size(), 1u);
}

TEST(Element, TextContentKeepsMixedContentOrder) {
  Element p("p", "x");
  p.set_text("a");
  p.add_child("b", "x").mutable_tail() = "c";
  EXPECT_EQ(p.text_content(), "ac");
}

}  // namespace
}  // namespace conclave::xmpp
