#include "xmpp/stanza.h"

#include <gtest/gtest.h>

#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::xmpp {
namespace {

TEST(StanzaError, ReplySwapsAddressesKeepsIdAndCarriesCondition) {
  Element iq = make_iq("get", "alice@localhost/phone", "room@mls.localhost", "q1");
  iq.add_child("query", std::string(ns::kDiscoInfo));
  auto reply = error_reply(iq, StanzaError::of(StanzaCondition::item_not_found, "no such room"));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(to_string(*reply, ns::kComponent),
            "<iq type='error' id='q1' to='alice@localhost/phone' from='room@mls.localhost'>"
            "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
            "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no such room</text></error></iq>");
}

TEST(StanzaError, NeverRepliesToAnError) {
  Element m = make_stanza("message", "error", "a@b", "c@d", "m1");
  EXPECT_FALSE(error_reply(m, StanzaError::of(StanzaCondition::bad_request)).has_value());
}

TEST(StanzaError, DefaultTypesAndApplicationCondition) {
  EXPECT_EQ(StanzaError::of(StanzaCondition::bad_request).type, ErrorType::modify);
  EXPECT_EQ(StanzaError::of(StanzaCondition::forbidden).type, ErrorType::auth);
  EXPECT_EQ(StanzaError::of(StanzaCondition::resource_constraint).type, ErrorType::wait);
  Element msg = make_stanza("message", "chat", "a@b", "c@d", "");
  auto err = StanzaError::of(StanzaCondition::bad_request);
  err.with(Element("bad-sessionid", std::string(ns::kCommands)));
  auto reply = error_reply(msg, err);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->attr("id"), nullptr);
  auto parsed = parse_stanza_error(*reply);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->condition, StanzaCondition::bad_request);
  EXPECT_EQ(parsed->type, ErrorType::modify);
  ASSERT_TRUE(parsed->application.has_value());
  EXPECT_EQ(parsed->application->name(), "bad-sessionid");
}

TEST(Stanza, KindsAndAccessors) {
  Element iq = make_iq("set", "a@b/c", "d@e", "7");
  EXPECT_EQ(kind_of(iq), StanzaKind::iq);
  EXPECT_FALSE(is_iq_request(iq));  // no payload
  iq.add_child("ping", std::string(ns::kPing));
  EXPECT_TRUE(is_iq_request(iq));
  EXPECT_EQ(from_jid(iq)->resource(), "c");
  EXPECT_EQ(to_jid(iq)->node(), "d");
  Element res = iq_result(iq);
  EXPECT_EQ(type_of(res), "result");
  EXPECT_EQ(to_of(res), "a@b/c");
  EXPECT_EQ(from_of(res), "d@e");
  EXPECT_EQ(id_of(res), "7");
  EXPECT_EQ(kind_of(Element("foo", "bar")), StanzaKind::other);
}

TEST(Stanza, TypesParseToEnumeratorsWithDefaultsAndUnknown) {
  EXPECT_EQ(iq_type_from("get"), IqType::get);
  EXPECT_EQ(iq_type_from("set"), IqType::set);
  EXPECT_EQ(iq_type_from("result"), IqType::result);
  EXPECT_EQ(iq_type_from("error"), IqType::error);
  EXPECT_EQ(iq_type_from(""), IqType::unknown);  // an iq has no default type
  EXPECT_EQ(iq_type_from("GET"), IqType::unknown);
  EXPECT_EQ(message_type_from(""), MessageType::normal);  // RFC 6121 §5.2.2
  EXPECT_EQ(message_type_from("normal"), MessageType::normal);
  EXPECT_EQ(message_type_from("chat"), MessageType::chat);
  EXPECT_EQ(message_type_from("groupchat"), MessageType::groupchat);
  EXPECT_EQ(message_type_from("headline"), MessageType::headline);
  EXPECT_EQ(message_type_from("error"), MessageType::error);
  EXPECT_EQ(message_type_from("shout"), MessageType::unknown);
  EXPECT_EQ(presence_type_from(""), PresenceType::available);  // RFC 6121 §4.7.1
  EXPECT_EQ(presence_type_from("unavailable"), PresenceType::unavailable);
  EXPECT_EQ(presence_type_from("subscribe"), PresenceType::subscribe);
  EXPECT_EQ(presence_type_from("subscribed"), PresenceType::subscribed);
  EXPECT_EQ(presence_type_from("unsubscribe"), PresenceType::unsubscribe);
  EXPECT_EQ(presence_type_from("unsubscribed"), PresenceType::unsubscribed);
  EXPECT_EQ(presence_type_from("probe"), PresenceType::probe);
  EXPECT_EQ(presence_type_from("error"), PresenceType::error);
  EXPECT_EQ(presence_type_from("available"), PresenceType::unknown);  // not a wire value
  Element m = make_stanza("message", "groupchat", "a@b/c", "d@e", "1");
  EXPECT_EQ(message_type_of(m), MessageType::groupchat);
  EXPECT_FALSE(is_error_stanza(m));
  m.set_attr("type", "error");
  EXPECT_TRUE(is_error_stanza(m));
  EXPECT_EQ(iq_type_of(make_iq("get", "a@b/c", "d@e", "2")), IqType::get);
  EXPECT_EQ(presence_type_of(make_stanza("presence", "", "a@b/c", "d@e", "")),
            PresenceType::available);
}

}  // namespace
}  // namespace conclave::xmpp
