#include "xmpp/disco.h"

#include <gtest/gtest.h>

#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"
#include "xmpp/stanza.h"

namespace conclave::xmpp {
namespace {

Element disco_get(std::string_view query_ns, std::string_view node = {}) {
  Element iq = make_iq("get", "alice@localhost/pc", "mls.localhost", "d1");
  Element& q = iq.add_child("query", std::string(query_ns));
  if (!node.empty()) q.set_attr("node", std::string(node));
  return iq;
}

TEST(Disco, InfoAnswerListsIdentitiesFeaturesAndExtensions) {
  DiscoResponder d;
  DiscoInfo info;
  info.identities.push_back({"conference", "text", "Conclave", {}});
  info.add_feature("http://jabber.org/protocol/muc");
  info.add_feature("http://jabber.org/protocol/muc");  // duplicate ignored
  DataForm ext;
  ext.type = FormType::result;
  ext.set_form_type("urn:xmpp:dataforms:softwareinfo");
  info.extensions.push_back(ext);
  d.set_info("", info);
  auto reply = d.handle(disco_get(ns::kDiscoInfo));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(type_of(*reply), "result");
  EXPECT_EQ(to_of(*reply), "alice@localhost/pc");
  const Element* q = reply->child("query", ns::kDiscoInfo);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->children_named("identity", ns::kDiscoInfo).size(), 1u);
  EXPECT_EQ(q->children_named("feature", ns::kDiscoInfo).size(), 1u);
  EXPECT_NE(q->child("x", ns::kDataForms), nullptr);
}

TEST(Disco, UnknownNodeIsItemNotFoundAndRootItemsDefaultEmpty) {
  DiscoResponder d;
  auto reply = d.handle(disco_get(ns::kDiscoInfo, "nope"));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(parse_stanza_error(*reply)->condition, StanzaCondition::item_not_found);
  auto items = d.handle(disco_get(ns::kDiscoItems));
  ASSERT_TRUE(items.has_value());
  EXPECT_EQ(type_of(*items), "result");
  EXPECT_TRUE(items->child("query", ns::kDiscoItems)->children().empty());
}

TEST(Disco, ItemsProviderSeesRequestAndNodeIsEchoed) {
  DiscoResponder d;
  d.set_items_provider("rooms", [](const Element& iq) {
    return std::optional<std::vector<DiscoItem>>(
        {{"r1@mls.localhost", "", std::string(from_of(iq))}});
  });
  auto reply = d.handle(disco_get(ns::kDiscoItems, "rooms"));
  const Element* q = reply->child("query", ns::kDiscoItems);
  EXPECT_EQ(q->attr_or("node"), "rooms");
  EXPECT_EQ(q->child("item", ns::kDiscoItems)->attr_or("name"), "alice@localhost/pc");
}

TEST(Disco, NotADiscoRequest) {
  DiscoResponder d;
  Element set = disco_get(ns::kDiscoInfo);
  set.set_attr("type", "set");
  EXPECT_FALSE(d.handle(set).has_value());
  EXPECT_FALSE(d.handle(make_stanza("message", "chat", "a@b", "c@d", "1")).has_value());
}

}  // namespace
}  // namespace conclave::xmpp
