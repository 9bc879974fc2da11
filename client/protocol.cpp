#include "client/protocol.h"

#include <charconv>

#include "base/base64.h"
#include "xmpp/stanza.h"

namespace conclave::client {

using xmpp::Element;

namespace {

Element stanza(std::string_view kind, std::string_view type, std::string_view to) {
  Element e{std::string(kind), std::string(ns::kClient)};
  if (!type.empty()) e.set_attr("type", std::string(type));
  if (!to.empty()) e.set_attr("to", std::string(to));
  return e;
}

Element mls_child(std::string_view name, mls::ByteView data) {
  Element e{std::string(name), std::string(ns::kMls)};
  e.set_text(base64_encode(data));
  return e;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string bare_of(std::string_view jid) {
  const auto slash = jid.find('/');
  return std::string(slash == std::string_view::npos ? jid : jid.substr(0, slash));
}

}  // namespace

Element external_sender_request(std::string_view service) {
  Element iq = stanza("iq", "get", service);
  iq.add_child("external-sender", std::string(ns::kMls));
  return iq;
}

Element key_packages_upload(std::string_view service,
                            const std::vector<KeyPackageUpload>& packages) {
  Element iq = stanza("iq", "set", service);
  Element& kps = iq.add_child("key-packages", std::string(ns::kMls));
  for (const KeyPackageUpload& p : packages) {
    Element& kp = kps.add_child(mls_child("key-package", p.message));
    if (p.last_resort) kp.set_attr("last-resort", "true");
  }
  return iq;
}

Element key_packages_count_request(std::string_view service,
                                   std::optional<std::string_view> device) {
  Element iq = stanza("iq", "get", service);
  Element& k = iq.add_child("key-packages", std::string(ns::kMls));
  if (device) k.set_attr("device", std::string(*device));
  return iq;
}

Element claim_request(std::string_view service, std::string_view jid) {
  Element iq = stanza("iq", "get", service);
  iq.add_child("claim", std::string(ns::kMls)).set_attr("jid", std::string(jid));
  return iq;
}

Element delete_key_packages_request(std::string_view service, const std::vector<mls::Bytes>& refs,
                                    std::optional<std::string_view> device) {
  Element iq = stanza("iq", "set", service);
  Element& d = iq.add_child("delete-key-packages", std::string(ns::kMls));
  if (device) d.set_attr("device", std::string(*device));
  for (const mls::Bytes& ref : refs) d.add_child(mls_child("ref", ref));
  return iq;
}

Element devices_request(std::string_view service) {
  Element iq = stanza("iq", "get", service);
  iq.add_child("devices", std::string(ns::kMls));
  return iq;
}

Element retire_device_request(std::string_view to, std::string_view device) {
  Element iq = stanza("iq", "set", to);
  iq.add_child("retire-device", std::string(ns::kMls)).set_attr("id", std::string(device));
  return iq;
}

Element rooms_request(std::string_view service) {
  Element iq = stanza("iq", "get", service);
  iq.add_child("rooms", std::string(ns::kMls));
  return iq;
}

Element create_request(std::string_view room, mls::ByteView group_info,
                       mls::ByteView ratchet_tree) {
  Element iq = stanza("iq", "set", room);
  Element& c = iq.add_child("create", std::string(ns::kMls));
  c.add_child(mls_child("group-info", group_info));
  c.add_child(mls_child("ratchet-tree", ratchet_tree));
  return iq;
}

Element group_info_request(std::string_view room) {
  Element iq = stanza("iq", "get", room);
  iq.add_child("group-info", std::string(ns::kMls));
  return iq;
}

Element welcome_request(std::string_view room) {
  Element iq = stanza("iq", "get", room);
  iq.add_child("welcome", std::string(ns::kMls));
  return iq;
}

Element commit_request(std::string_view room, mls::ByteView commit,
                       std::optional<mls::ByteView> welcome, mls::ByteView group_info) {
  Element iq = stanza("iq", "set", room);
  Element& c = iq.add_child("commit", std::string(ns::kMls));
  c.add_child(mls_child("message", commit));
  if (welcome) c.add_child(mls_child("welcome", *welcome));
  c.add_child(mls_child("group-info", group_info));
  return iq;
}

Element commits_request(std::string_view room, std::uint64_t since) {
  Element iq = stanza("iq", "get", room);
  iq.add_child("commits", std::string(ns::kMls)).set_attr("since", std::to_string(since));
  return iq;
}

Element mam_query(std::string_view room, std::string_view query_id, std::string_view after_id,
                  std::size_t max) {
  Element iq = stanza("iq", "set", room);
  Element& q = iq.add_child("query", std::string(ns::kMam));
  q.set_attr("queryid", std::string(query_id));
  Element& set = q.add_child("set", std::string(ns::kRsm));
  set.add_child("max", std::string(ns::kRsm)).set_text(std::to_string(max));
  if (!after_id.empty())
    set.add_child("after", std::string(ns::kRsm)).set_text(std::string(after_id));
  return iq;
}

Element room_config(std::string_view room, std::optional<bool> members_only) {
  Element iq = stanza("iq", "set", room);
  Element& q = iq.add_child("query", std::string(ns::kMucOwner));
  Element& x = q.add_child("x", std::string(ns::kData));
  x.set_attr("type", "submit");
  // An encrypted group's state (its ratchet tree, commit log and archive) must outlive the
  // moments when no member is online and a restart or failover of the service: a temporary
  // room would take it with it (XEP-0045 §10.1.3; docs/cluster.md).
  auto field = [&x](std::string_view var, std::string value) {
    Element& f = x.add_child("field", std::string(ns::kData));
    f.set_attr("var", std::string(var));
    f.add_child("value", std::string(ns::kData)).set_text(std::move(value));
  };
  field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig");
  field("muc#roomconfig_persistentroom", "1");
  if (members_only) field("muc#roomconfig_membersonly", *members_only ? "1" : "0");
  return iq;
}

Element muc_invitation(std::string_view room, std::string_view invitee) {
  Element m = stanza("message", "", room);
  Element& x = m.add_child("x", std::string(ns::kMucUser));
  x.add_child("invite", std::string(ns::kMucUser)).set_attr("to", std::string(invitee));
  return m;
}

Element encrypted_message(std::string_view room, std::string_view id,
                          mls::ByteView private_message) {
  Element m = stanza("message", "groupchat", room);
  m.set_attr("id", std::string(id));
  m.add_child(mls_child("encrypted", private_message));
  Element& eme = m.add_child("encryption", std::string(ns::kEme));
  eme.set_attr("namespace", std::string(ns::kMls));
  eme.set_attr("name", "MLS");
  m.add_child("body", std::string(ns::kClient)).set_text(std::string(kFallbackBody));
  m.add_child("store", std::string(ns::kHints));
  return m;
}

Element muc_join(std::string_view room, std::string_view nick) {
  Element p = stanza("presence", "", std::string(room) + "/" + std::string(nick));
  Element& x = p.add_child("x", std::string(ns::kMuc));
  x.add_child("history", std::string(ns::kMuc)).set_attr("maxstanzas", "0");
  return p;
}

Element muc_leave(std::string_view room, std::string_view nick) {
  return stanza("presence", "unavailable", std::string(room) + "/" + std::string(nick));
}

std::optional<ServiceError> parse_service_error(const Element& s) {
  if (!xmpp::is_error_stanza(s)) return std::nullopt;
  ServiceError out;
  out.condition = "undefined-condition";
  const Element* e = s.child("error", s.ns());
  if (e == nullptr) return out;
  out.type = std::string(e->attr_or("type"));
  for (const Element& c : e->children()) {
    if (c.ns() == ns::kStanzas) {
      if (c.name() == "text") {
        out.text = c.text_content();
      } else {
        out.condition = c.name();
      }
    } else if (out.app_condition.empty()) {
      out.app_condition = c.name();
      out.app_text = c.text_content();
      if (c.is("wrong-epoch", ns::kMls)) out.current_epoch = parse_u64(c.attr_or("current"));
    }
  }
  return out;
}

Result<const Element*> mls_payload(const Element& iq, std::string_view name) {
  const xmpp::IqType type = xmpp::iq_type_of(iq);
  if (type == xmpp::IqType::error) return fail(Errc::stanza_error);
  if (type != xmpp::IqType::result) return fail(Errc::bad_response);
  const Element* p = iq.child(name, ns::kMls);
  if (p == nullptr) return fail(Errc::bad_response);
  return p;
}

Result<mls::Bytes> mls_bytes(const Element& e) {
  auto b = base64_decode(e.text_content());
  if (!b || b->empty()) return fail(Errc::bad_response);
  return std::move(*b);
}

Result<std::uint64_t> parse_epoch_attr(const Element& e, std::string_view attr) {
  auto v = parse_u64(e.attr_or(attr));
  if (!v) return fail(Errc::bad_response);
  return *v;
}

Result<std::optional<mls::Bytes>> parse_chain_attr(const Element& e) {
  const auto* v = e.attr("chain");
  if (v == nullptr) return std::optional<mls::Bytes>();
  auto b = base64_decode(*v);
  if (!b || b->empty()) return fail(Errc::bad_response);
  return std::optional<mls::Bytes>(std::move(*b));
}

Result<KeyPackageCount> parse_key_package_count(const Element& iq) {
  auto p = mls_payload(iq, "key-packages");
  if (!p) return fail(p.error());
  auto n = parse_u64((*p)->attr_or("count"));
  if (!n) return fail(Errc::bad_response);
  return KeyPackageCount{static_cast<std::size_t>(*n), (*p)->attr_or("last-resort") == "true"};
}

Result<GroupInfoReply> parse_group_info_reply(const Element& iq) {
  auto p = mls_payload(iq, "group-info");
  if (!p) return fail(p.error());
  GroupInfoReply out;
  auto epoch = parse_epoch_attr(**p, "epoch");
  const Element* gi = (*p)->child("group-info", ns::kMls);
  const Element* tree = (*p)->child("ratchet-tree", ns::kMls);
  if (!epoch || gi == nullptr || tree == nullptr) return fail(Errc::bad_response);
  auto gi_bytes = mls_bytes(*gi);
  auto tree_bytes = mls_bytes(*tree);
  auto chain = parse_chain_attr(**p);
  if (!gi_bytes || !tree_bytes || !chain) return fail(Errc::bad_response);
  out.chain = std::move(*chain);
  out.epoch = *epoch;
  out.group_info = std::move(*gi_bytes);
  out.ratchet_tree = std::move(*tree_bytes);
  return out;
}

Result<CommitsReply> parse_commits_reply(const Element& iq) {
  auto p = mls_payload(iq, "commits");
  if (!p) return fail(p.error());
  CommitsReply out;
  out.more = (*p)->attr_or("more") == "true";
  for (const Element* c : (*p)->children_named("commit", ns::kMls)) {
    auto epoch = parse_epoch_attr(*c, "epoch");
    auto data = mls_bytes(*c);
    auto chain = parse_chain_attr(*c);
    if (!epoch || !data || !chain) return fail(Errc::bad_response);
    // The service answers in epoch order; anything else would make the client skip commits.
    if (!out.commits.empty() && *epoch != out.commits.back().epoch + 1) {
      return fail(Errc::bad_response);
    }
    out.commits.push_back({*epoch, std::move(*data), std::move(*chain)});
  }
  return out;
}

std::optional<Result<RoomPayload>> parse_room_payload(const Element& msg) {
  static constexpr std::pair<std::string_view, RoomPayload::Kind> kKinds[] = {
      {"commit", RoomPayload::Kind::commit},
      {"proposal", RoomPayload::Kind::proposal},
      {"welcome", RoomPayload::Kind::welcome},
      {"encrypted", RoomPayload::Kind::encrypted},
  };
  for (const auto& [name, kind] : kKinds) {
    const Element* e = msg.child(name, ns::kMls);
    if (e == nullptr) continue;
    RoomPayload out;
    out.kind = kind;
    if (kind != RoomPayload::Kind::encrypted) {
      auto epoch = parse_epoch_attr(*e, "epoch");
      if (!epoch) return Result<RoomPayload>(fail(Errc::bad_response));
      out.epoch = *epoch;
    }
    auto data = mls_bytes(*e);
    auto chain = parse_chain_attr(*e);
    if (!data || !chain) return Result<RoomPayload>(fail(Errc::bad_response));
    out.data = std::move(*data);
    out.chain = std::move(*chain);
    return Result<RoomPayload>(std::move(out));
  }
  return std::nullopt;
}

Result<RoomPayload> parse_welcome_reply(const Element& iq) {
  auto p = mls_payload(iq, "welcome");
  if (!p) return fail(p.error());
  auto payload = parse_room_payload(iq);
  if (!payload || !*payload || (*payload)->kind != RoomPayload::Kind::welcome) {
    return fail(Errc::bad_response);
  }
  return std::move(**payload);
}

std::string stanza_id_by(const Element& msg, std::string_view by) {
  for (const Element* s : msg.children_named("stanza-id", ns::kStanzaId)) {
    if (s->attr_or("by") == by) return std::string(s->attr_or("id"));
  }
  return {};
}

std::string muc_item_jid(const Element& stanza) {
  const Element* x = stanza.child("x", ns::kMucUser);
  if (x == nullptr) return {};
  const Element* item = x->child("item", ns::kMucUser);
  if (item == nullptr) return {};
  return bare_of(item->attr_or("jid"));
}

std::vector<int> muc_status_codes(const Element& stanza) {
  std::vector<int> out;
  const Element* x = stanza.child("x", ns::kMucUser);
  if (x == nullptr) return out;
  for (const Element* s : x->children_named("status", ns::kMucUser)) {
    auto v = parse_u64(s->attr_or("code"));
    if (v && *v < 1000) out.push_back(static_cast<int>(*v));
  }
  return out;
}

std::optional<MamResult> parse_mam_result(const Element& msg) {
  const Element* r = msg.child("result", ns::kMam);
  if (r == nullptr) return std::nullopt;
  const Element* fwd = r->child("forwarded", ns::kForward);
  if (fwd == nullptr) return std::nullopt;
  for (const Element& c : fwd->children()) {
    if (c.name() == "message") {
      return MamResult{std::string(r->attr_or("queryid")), std::string(r->attr_or("id")), c};
    }
  }
  return std::nullopt;
}

Result<MamFin> parse_mam_fin(const Element& iq) {
  if (xmpp::iq_type_of(iq) == xmpp::IqType::error) return fail(Errc::stanza_error);
  const Element* fin = iq.child("fin", ns::kMam);
  if (fin == nullptr) return fail(Errc::bad_response);
  MamFin out;
  out.complete = fin->attr_or("complete") == "true";
  if (const Element* set = fin->child("set", ns::kRsm))
    out.last = set->child_text("last", ns::kRsm);
  return out;
}

Result<std::vector<ClaimedKeyPackage>> parse_claim_reply(const Element& iq) {
  auto p = mls_payload(iq, "key-packages");
  if (!p) return fail(p.error());
  std::vector<ClaimedKeyPackage> out;
  for (const Element* item : (*p)->children_named("key-package", ns::kMls)) {
    auto bytes = mls_bytes(*item);
    if (!bytes) return fail(bytes.error());
    out.push_back({std::string(item->attr_or("device")), std::move(*bytes),
                   item->attr_or("last-resort") == "true"});
  }
  if (out.empty()) return fail(Errc::bad_response);
  return out;
}

Result<std::vector<DeviceInfo>> parse_devices_reply(const Element& iq) {
  auto p = mls_payload(iq, "devices");
  if (!p) return fail(p.error());
  std::vector<DeviceInfo> out;
  for (const Element* item : (*p)->children_named("device", ns::kMls)) {
    DeviceInfo d;
    d.device = std::string(item->attr_or("id"));
    if (auto n = parse_epoch_attr(*item, "count")) d.count = static_cast<std::size_t>(*n);
    d.last_resort = item->attr_or("last-resort") == "true";
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<RoomLeaf>> parse_rooms_reply(const Element& iq) {
  auto p = mls_payload(iq, "rooms");
  if (!p) return fail(p.error());
  std::vector<RoomLeaf> out;
  for (const Element* item : (*p)->children_named("room", ns::kMls)) {
    out.push_back({std::string(item->attr_or("jid")), std::string(item->attr_or("device"))});
  }
  return out;
}

}  // namespace conclave::client
