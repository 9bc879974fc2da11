#include "client/protocol.h"

#include <gtest/gtest.h>

#include "base/base64.h"
#include "xmpp/serializer.h"

namespace conclave::client {
namespace {

using xmpp::Element;

std::string xml(const Element& e) { return xmpp::to_string(e, ns::kClient); }

Element iq_reply(std::string_view type, Element payload) {
  Element iq("iq", std::string(ns::kClient));
  iq.set_attr("type", std::string(type));
  iq.add_child(std::move(payload));
  return iq;
}

Element mls_el(std::string_view name) { return Element(std::string(name), std::string(ns::kMls)); }

TEST(Protocol, KeyPackageUploadMarksLastResort) {
  Element iq = key_packages_upload("mls.localhost", {{{1, 2}, false}, {{3}, true}});
  EXPECT_EQ(xml(iq),
            "<iq type='set' to='mls.localhost'><key-packages xmlns='urn:xmpp:mls:0'>"
            "<key-package>AQI=</key-package><key-package last-resort='true'>Aw==</key-package>"
            "</key-packages></iq>");
}

TEST(Protocol, CommitRequestOmitsWelcomeWhenAbsent) {
  const mls::Bytes c{1}, w{2}, gi{3};
  Element with = commit_request("r@mls.localhost", c, mls::ByteView(w), gi);
  Element without = commit_request("r@mls.localhost", c, std::nullopt, gi);
  const Element* cw = with.child("commit", ns::kMls);
  ASSERT_NE(cw, nullptr);
  EXPECT_EQ(cw->child_text("message", ns::kMls), "AQ==");
  EXPECT_EQ(cw->child_text("welcome", ns::kMls), "Ag==");
  EXPECT_EQ(cw->child_text("group-info", ns::kMls), "Aw==");
  EXPECT_EQ(without.child("commit", ns::kMls)->child("welcome", ns::kMls), nullptr);
  EXPECT_EQ(with.attr_or("type"), "set");
  EXPECT_EQ(with.attr_or("to"), "r@mls.localhost");
}

TEST(Protocol, SimpleRequests) {
  EXPECT_EQ(xml(claim_request("mls.localhost", "bob@localhost")),
            "<iq type='get' to='mls.localhost'><claim xmlns='urn:xmpp:mls:0' "
            "jid='bob@localhost'/></iq>");
  EXPECT_EQ(xml(commits_request("r@mls.localhost", 5)),
            "<iq type='get' to='r@mls.localhost'><commits xmlns='urn:xmpp:mls:0' "
            "since='5'/></iq>");
  EXPECT_EQ(xml(external_sender_request("mls.localhost")),
            "<iq type='get' to='mls.localhost'><external-sender xmlns='urn:xmpp:mls:0'/></iq>");
  EXPECT_EQ(xml(group_info_request("r@mls.localhost")),
            "<iq type='get' to='r@mls.localhost'><group-info xmlns='urn:xmpp:mls:0'/></iq>");
}

// A room the reference client creates is persistent: its group must outlive empty moments and
// a restart or failover of the service (docs/cluster.md §6).
TEST(Protocol, InstantRoomConfigurationMakesThePersistentRoom) {
  EXPECT_EQ(xml(room_config("r@mls.localhost")),
            "<iq type='set' to='r@mls.localhost'><query "
            "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
            "type='submit'><field var='FORM_TYPE'><value>"
            "http://jabber.org/protocol/muc#roomconfig</value></field><field "
            "var='muc#roomconfig_persistentroom'><value>1</value></field></x></query></iq>");
}

// `create` makes a private group chat unless asked for an open room (client/README.md).
TEST(Protocol, RoomConfigurationSetsMembersOnlyWhenAsked) {
  auto members_only = [](const Element& iq) {
    const Element* x = iq.first_child()->first_child();
    for (const Element& f : x->children()) {
      if (f.attr_or("var") == "muc#roomconfig_membersonly") {
        return std::optional<std::string>(f.child_text("value", ns::kData));
      }
    }
    return std::optional<std::string>();
  };
  EXPECT_EQ(members_only(room_config("r@mls.localhost", true)), "1");
  EXPECT_EQ(members_only(room_config("r@mls.localhost", false)), "0");
  EXPECT_EQ(members_only(room_config("r@mls.localhost")), std::nullopt);
}

// XEP-0045 §7.8.2: a mediated invitation, sent to the room's bare JID.
TEST(Protocol, InvitationGoesThroughTheRoom) {
  EXPECT_EQ(xml(muc_invitation("r@mls.localhost", "bob@localhost")),
            "<message to='r@mls.localhost'><x xmlns='http://jabber.org/protocol/muc#user'><invite "
            "to='bob@localhost'/></x></message>");
}

TEST(Protocol, EncryptedMessageHasEmeFallbackAndStoreHint) {
  Element m = encrypted_message("r@mls.localhost", "id1", mls::Bytes{0xff});
  EXPECT_EQ(m.attr_or("type"), "groupchat");
  EXPECT_EQ(m.attr_or("id"), "id1");
  EXPECT_EQ(m.child_text("encrypted", ns::kMls), "/w==");
  const Element* eme = m.child("encryption", ns::kEme);
  ASSERT_NE(eme, nullptr);
  EXPECT_EQ(eme->attr_or("namespace"), ns::kMls);
  EXPECT_EQ(m.child_text("body", ns::kClient), kFallbackBody);
  EXPECT_NE(m.child("store", ns::kHints), nullptr);
}

TEST(Protocol, MucJoinAsksForNoHistory) {
  Element p = muc_join("r@mls.localhost", "alice");
  EXPECT_EQ(xml(p),
            "<presence to='r@mls.localhost/alice'><x xmlns='http://jabber.org/protocol/muc'>"
            "<history maxstanzas='0'/></x></presence>");
  EXPECT_EQ(muc_leave("r@mls.localhost", "alice").attr_or("type"), "unavailable");
}

TEST(Protocol, ParsesWrongEpochError) {
  Element iq("iq", std::string(ns::kClient));
  iq.set_attr("type", "error");
  Element& err = iq.add_child("error", std::string(ns::kClient));
  err.set_attr("type", "cancel");
  err.add_child("conflict", std::string(ns::kStanzas));
  err.add_child("wrong-epoch", std::string(ns::kMls)).set_attr("current", "8");
  auto e = parse_service_error(iq);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "conflict");
  EXPECT_EQ(e->type, "cancel");
  EXPECT_EQ(e->app_condition, "wrong-epoch");
  EXPECT_EQ(e->current_epoch, 8u);
  auto payload = mls_payload(iq, "accepted");
  EXPECT_EQ(payload.error(), make_error_code(Errc::stanza_error));
  iq.set_attr("type", "result");
  EXPECT_FALSE(parse_service_error(iq));
}

TEST(Protocol, ParsesInvalidCommitReason) {
  Element iq("iq", std::string(ns::kClient));
  iq.set_attr("type", "error");
  Element& err = iq.add_child("error", std::string(ns::kClient));
  err.add_child("bad-request", std::string(ns::kStanzas));
  err.add_child("text", std::string(ns::kStanzas)).set_text("human");
  err.add_child("invalid-commit", std::string(ns::kMls)).set_text("bad signature");
  auto e = parse_service_error(iq);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "bad-request");
  EXPECT_EQ(e->text, "human");
  EXPECT_EQ(e->app_text, "bad signature");
  EXPECT_FALSE(e->current_epoch);
}

TEST(Protocol, KeyPackageCount) {
  Element kp = mls_el("key-packages");
  kp.set_attr("count", "3");
  kp.set_attr("last-resort", "true");
  auto c = parse_key_package_count(iq_reply("result", kp));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->count, 3u);
  EXPECT_TRUE(c->last_resort);
  kp.set_attr("count", "-1");
  EXPECT_EQ(parse_key_package_count(iq_reply("result", kp)).error(),
            make_error_code(Errc::bad_response));
}

TEST(Protocol, GroupInfoReply) {
  Element gi = mls_el("group-info");
  gi.set_attr("epoch", "7");
  gi.add_child(mls_el("group-info")).set_text(base64_encode(mls::Bytes{1}));
  gi.add_child(mls_el("ratchet-tree")).set_text(base64_encode(mls::Bytes{2, 3}));
  auto r = parse_group_info_reply(iq_reply("result", gi));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->epoch, 7u);
  EXPECT_EQ(r->group_info, (mls::Bytes{1}));
  EXPECT_EQ(r->ratchet_tree, (mls::Bytes{2, 3}));
  gi.children().pop_back();  // no tree
  EXPECT_FALSE(parse_group_info_reply(iq_reply("result", gi)));
}

TEST(Protocol, CommitsReplyMustBeConsecutive) {
  Element cs = mls_el("commits");
  cs.set_attr("more", "true");
  for (const char* e : {"5", "6"}) {
    Element& c = cs.add_child(mls_el("commit"));
    c.set_attr("epoch", e);
    c.set_text("AQ==");
  }
  auto r = parse_commits_reply(iq_reply("result", cs));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->more);
  ASSERT_EQ(r->commits.size(), 2u);
  EXPECT_EQ(r->commits[1].epoch, 6u);
  cs.children()[1].set_attr("epoch", "8");  // a gap
  EXPECT_FALSE(parse_commits_reply(iq_reply("result", cs)));
}

TEST(Protocol, RoomPayloads) {
  Element m("message", std::string(ns::kClient));
  EXPECT_FALSE(parse_room_payload(m));
  Element& c = m.add_child(mls_el("commit"));
  c.set_attr("epoch", "4");
  c.set_text("AQI=");
  auto p = parse_room_payload(m);
  ASSERT_TRUE(p && *p);
  EXPECT_EQ((*p)->kind, RoomPayload::Kind::commit);
  EXPECT_EQ((*p)->epoch, 4u);
  EXPECT_EQ((*p)->data, (mls::Bytes{1, 2}));
  EXPECT_FALSE((*p)->chain);  // absent: nothing to check
  c.set_attr("chain", "AwQ=");
  p = parse_room_payload(m);
  ASSERT_TRUE(p && *p);
  EXPECT_EQ((*p)->chain, (mls::Bytes{3, 4}));
  c.set_attr("chain", "??");  // a chain that is not base64 makes the payload malformed
  p = parse_room_payload(m);
  ASSERT_TRUE(p);
  EXPECT_FALSE(*p);
  c.remove_attr("chain");
  c.set_text("not base64!");
  p = parse_room_payload(m);
  ASSERT_TRUE(p);
  EXPECT_FALSE(*p);
  c.set_text("AQI=");
  c.remove_attr("epoch");  // commits must say their epoch
  p = parse_room_payload(m);
  ASSERT_TRUE(p);
  EXPECT_FALSE(*p);

  Element enc("message", std::string(ns::kClient));
  enc.add_child(mls_el("encrypted")).set_text("AQ==");
  p = parse_room_payload(enc);
  ASSERT_TRUE(p && *p);
  EXPECT_EQ((*p)->kind, RoomPayload::Kind::encrypted);
  EXPECT_FALSE((*p)->epoch);
}

TEST(Protocol, StanzaIdOnlyFromTheRoom) {
  Element m("message", std::string(ns::kClient));
  Element& forged = m.add_child("stanza-id", std::string(ns::kStanzaId));
  forged.set_attr("by", "evil@localhost");
  forged.set_attr("id", "x");
  EXPECT_EQ(stanza_id_by(m, "r@mls.localhost"), "");
  Element& real = m.add_child("stanza-id", std::string(ns::kStanzaId));
  real.set_attr("by", "r@mls.localhost");
  real.set_attr("id", "y");
  EXPECT_EQ(stanza_id_by(m, "r@mls.localhost"), "y");
}

TEST(Protocol, MucUserParts) {
  Element p("presence", std::string(ns::kClient));
  Element& x = p.add_child("x", std::string(ns::kMucUser));
  x.add_child("item", std::string(ns::kMucUser)).set_attr("jid", "bob@localhost/phone");
  x.add_child("status", std::string(ns::kMucUser)).set_attr("code", "110");
  x.add_child("status", std::string(ns::kMucUser)).set_attr("code", "201");
  EXPECT_EQ(muc_item_jid(p), "bob@localhost");
  EXPECT_EQ(muc_status_codes(p), (std::vector<int>{110, 201}));
}

TEST(Protocol, MamResultAndFin) {
  Element m("message", std::string(ns::kClient));
  Element& r = m.add_child("result", std::string(ns::kMam));
  r.set_attr("queryid", "q1");
  r.set_attr("id", "a7");
  Element& fwd = r.add_child("forwarded", std::string(ns::kForward));
  fwd.add_child("message", std::string(ns::kClient)).set_attr("from", "r@mls.localhost/bob");
  auto res = parse_mam_result(m);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->query_id, "q1");
  EXPECT_EQ(res->archive_id, "a7");
  EXPECT_EQ(res->message.attr_or("from"), "r@mls.localhost/bob");

  Element fin("fin", std::string(ns::kMam));
  fin.set_attr("complete", "true");
  fin.add_child("set", std::string(ns::kRsm))
      .add_child("last", std::string(ns::kRsm))
      .set_text("a9");
  auto f = parse_mam_fin(iq_reply("result", fin));
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->complete);
  EXPECT_EQ(f->last, "a9");
  auto q = mam_query("r@mls.localhost", "q1", "a7", 50);
  const Element* set = q.child("query", ns::kMam)->child("set", ns::kRsm);
  EXPECT_EQ(set->child_text("after", ns::kRsm), "a7");
  EXPECT_EQ(set->child_text("max", ns::kRsm), "50");
}

}  // namespace
}  // namespace conclave::client
