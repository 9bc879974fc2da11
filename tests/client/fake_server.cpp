#include "tests/client/fake_server.h"

#include <algorithm>
#include <set>

#include "base/base64.h"
#include "client/client_room.h"
#include "client/protocol.h"
#include "mls/codec/codec.h"
#include "mls/crypto/commit_chain.h"
#include "mls/group/welcome_crypto.h"

namespace conclave::client::testing {

using xmpp::Element;

namespace {

const mls::CipherSuite& suite1() {
  return **mls::CipherSuite::get(mls::CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519);
}

std::string bare_of(std::string_view jid) { return std::string(jid.substr(0, jid.find('/'))); }
std::string resource_of(std::string_view jid) {
  const auto slash = jid.find('/');
  return slash == std::string_view::npos ? std::string() : std::string(jid.substr(slash + 1));
}

Element mls_el(std::string_view name, mls::ByteView data) {
  Element e{std::string(name), std::string(ns::kMls)};
  e.set_text(base64_encode(data));
  return e;
}

Element make(std::string_view kind, std::string_view type, std::string_view from,
             std::string_view to) {
  Element e{std::string(kind), std::string(ns::kClient)};
  if (!type.empty()) e.set_attr("type", std::string(type));
  e.set_attr("from", std::string(from));
  e.set_attr("to", std::string(to));
  return e;
}

}  // namespace

// --- FakeTransport ----------------------------------------------------------------------------

FakeTransport::~FakeTransport() { server_.disconnect(this); }

std::string FakeTransport::send(Element stanza) {
  std::string id(stanza.attr_or("id"));
  if (id.empty()) {
    id = "f" + std::to_string(++next_id_);
    stanza.set_attr("id", id);
  }
  stanza.set_attr("from", jid_);
  server_.route(*this, stanza);
  return id;
}

Result<Element> FakeTransport::request(Element iq, std::chrono::milliseconds) {
  const std::string id = "q" + std::to_string(++next_id_);
  iq.set_attr("id", id);
  pending_ = id;
  answer_.reset();
  send(std::move(iq));
  pending_.reset();
  if (!answer_) return fail(Errc::timeout);
  Element a = std::move(*answer_);
  answer_.reset();
  return a;
}

Result<std::optional<Element>> FakeTransport::poll(std::chrono::milliseconds) {
  if (inbox_.empty()) return std::optional<Element>();
  Element e = std::move(inbox_.front());
  inbox_.pop_front();
  return std::optional<Element>(std::move(e));
}

void FakeTransport::deliver(Element e) {
  if (pending_ && e.name() == "iq" && e.attr_or("id") == *pending_) {
    answer_ = std::move(e);
    return;
  }
  inbox_.push_back(std::move(e));
}

// --- FakeServer -------------------------------------------------------------------------------

FakeServer::FakeServer() : es_key_(suite1().generate_signature_key_pair()) {
  es_.signature_key = es_key_.public_key;
  const std::string domain = "mls.localhost";
  es_.credential.value = mls::BasicCredential{mls::Bytes(domain.begin(), domain.end())};
}

std::unique_ptr<FakeTransport> FakeServer::connect(const std::string& full_jid) {
  auto t = std::make_unique<FakeTransport>(*this, full_jid);
  sessions_.push_back(t.get());
  return t;
}

void FakeServer::disconnect(FakeTransport* t) {
  sessions_.erase(std::remove(sessions_.begin(), sessions_.end(), t), sessions_.end());
  for (auto& [name, room] : rooms) {
    for (auto it = room.occupants.begin(); it != room.occupants.end();) {
      it = it->second == t ? room.occupants.erase(it) : std::next(it);
    }
  }
}

std::size_t FakeServer::one_time_count(const std::string& bare) const {
  auto it = key_packages.find(bare);
  if (it == key_packages.end()) return 0;
  return static_cast<std::size_t>(std::count_if(it->second.begin(), it->second.end(),
                                                [](const auto& k) { return !k.last_resort; }));
}

void FakeServer::route(FakeTransport& from, const Element& s) {
  if (s.name() == "iq") {
    handle_iq(from, s);
  } else if (s.name() == "presence") {
    handle_presence(from, s);
  } else if (s.name() == "message") {
    handle_message(from, s);
  }
}

void FakeServer::reply(FakeTransport& to, const Element& iq, std::optional<Element> payload) {
  Element r = make("iq", "result", iq.attr_or("to"), to.jid());
  r.set_attr("id", std::string(iq.attr_or("id")));
  if (payload) r.add_child(std::move(*payload));
  to.deliver(std::move(r));
}

void FakeServer::error(FakeTransport& to, const Element& s, std::string_view condition,
                       std::optional<Element> app) {
  Element r = make(s.name(), "error", s.attr_or("to"), to.jid());
  r.set_attr("id", std::string(s.attr_or("id")));
  Element& e = r.add_child("error", std::string(ns::kClient));
  e.set_attr("type", "cancel");
  e.add_child(std::string(condition), std::string(ns::kStanzas));
  if (app) e.add_child(std::move(*app));
  to.deliver(std::move(r));
}

void FakeServer::to_bare(const std::string& bare, const Element& e) {
  bool online = false;
  for (FakeTransport* t : sessions_) {
    if (t->bare() == bare) {
      Element copy = e;
      copy.set_attr("to", t->jid());
      t->deliver(std::move(copy));
      online = true;
    }
  }
  if (!online) offline_[bare].push_back(e);  // RFC 6121 §8.5.2 offline storage
}

Element& FakeServer::with_chain(Element& e, const Room& r, std::uint64_t epoch) const {
  if (epoch < r.base_epoch || epoch - r.base_epoch >= r.chains.size()) return e;
  mls::Bytes chain = r.chains[epoch - r.base_epoch];
  if (forge_chain) chain[0] ^= 1;
  return e.set_attr("chain", base64_encode(chain));
}

void FakeServer::broadcast(Room& r, const std::string& room, Element m) {
  const std::string sid = "sid" + std::to_string(++next_sid_);
  Element& st = m.add_child("stanza-id", std::string(ns::kStanzaId));
  st.set_attr("by", room);
  st.set_attr("id", sid);
  r.archive.emplace_back(sid, m);
  for (auto& [nick, t] : r.occupants) {
    Element copy = m;
    copy.set_attr("to", t->jid());
    t->deliver(std::move(copy));
  }
}

void FakeServer::handle_iq(FakeTransport& from, const Element& iq) {
  const std::string to(iq.attr_or("to"));
  const Element* q = iq.first_child();
  const std::string_view type = iq.attr_or("type");
  if (q == nullptr || (type != "get" && type != "set")) return;
  if (to == "mls.localhost") {
    handle_service_iq(from, iq, *q);
  } else if (to.find('@') != std::string::npos && bare_of(to) == to) {
    handle_room_iq(from, iq, *q, to);
  } else {
    error(from, iq, "service-unavailable");
  }
}

void FakeServer::handle_service_iq(FakeTransport& from, const Element& iq, const Element& q) {
  const std::string owner = from.bare();
  if (q.is("external-sender", ns::kMls)) {
    reply(from, iq, mls_el("external-sender", mls::encode(es_)));
  } else if (q.is("key-packages", ns::kMls) && iq.attr_or("type") == "set") {
    auto& list = key_packages[owner];
    std::size_t n = 0;
    for (const Element* kp : q.children_named("key-package", ns::kMls)) {
      auto bytes = base64_decode(kp->text_content());
      if (!bytes) return error(from, iq, "bad-request");
      auto msg = mls::decode<mls::MlsMessage>(*bytes);
      const auto* pkg = msg ? std::get_if<mls::KeyPackage>(&msg->message) : nullptr;
      if (pkg == nullptr) return error(from, iq, "bad-request");
      const std::string device = client::device_of(pkg->leaf_node);
      if (device.empty()) return error(from, iq, "bad-request");  // KP-7
      const bool lr = kp->attr_or("last-resort") == "true";
      if (lr) {
        list.erase(std::remove_if(list.begin(), list.end(),
                                  [&](auto& k) { return k.last_resort && k.device == device; }),
                   list.end());
      }
      list.push_back({*bytes, lr, device, mls::key_package_ref(suite1(), *pkg)});
      ++n;
    }
    Element r("key-packages", std::string(ns::kMls));
    r.set_attr("stored", std::to_string(n));
    reply(from, iq, r);
  } else if (q.is("key-packages", ns::kMls)) {
    Element r("key-packages", std::string(ns::kMls));
    const std::string device(q.attr_or("device"));
    const auto& list = key_packages[owner];
    auto mine = [&](const auto& k) { return device.empty() || k.device == device; };
    r.set_attr("count", std::to_string(std::count_if(list.begin(), list.end(), [&](auto& k) {
                 return mine(k) && !k.last_resort;
               })));
    const bool lr =
        std::any_of(list.begin(), list.end(), [&](auto& k) { return mine(k) && k.last_resort; });
    r.set_attr("last-resort", lr ? "true" : "false");
    reply(from, iq, r);
  } else if (q.is("claim", ns::kMls)) {
    // One package per device (docs/protocol.md §6.4).
    auto& list = key_packages[std::string(q.attr_or("jid"))];
    std::set<std::string> devices;
    for (const auto& k : list) devices.insert(k.device);
    Element r("key-packages", std::string(ns::kMls));
    r.set_attr("jid", std::string(q.attr_or("jid")));
    for (const std::string& d : devices) {
      auto it = std::find_if(list.begin(), list.end(),
                             [&](auto& k) { return !k.last_resort && k.device == d; });
      if (it == list.end()) {
        it = std::find_if(list.begin(), list.end(),
                          [&](auto& k) { return k.last_resort && k.device == d; });
      }
      if (it == list.end()) continue;
      Element& item = r.add_child(mls_el("key-package", it->message));
      item.set_attr("device", d);
      if (it->last_resort) item.set_attr("last-resort", "true");
      if (!it->last_resort) list.erase(it);
    }
    if (r.children().empty()) return error(from, iq, "item-not-found");
    reply(from, iq, r);
  } else if (q.is("delete-key-packages", ns::kMls)) {
    auto& list = key_packages[owner];
    std::vector<mls::Bytes> refs;
    for (const Element* ref : q.children_named("ref", ns::kMls)) {
      if (auto b = base64_decode(ref->text_content())) refs.push_back(*b);
    }
    const std::string device(q.attr_or("device"));
    const auto before = list.size();
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](auto& k) {
                                return (!device.empty() && k.device == device) ||
                                       std::find(refs.begin(), refs.end(), k.ref) != refs.end();
                              }),
               list.end());
    ++deletions;
    Element r("delete-key-packages", std::string(ns::kMls));
    r.set_attr("deleted", std::to_string(before - list.size()));
    reply(from, iq, r);
  } else if (q.is("rooms", ns::kMls)) {
    Element r("rooms", std::string(ns::kMls));
    for (const auto& [jid, room] : rooms) {
      if (!room.pub) continue;
      for (mls::LeafIndex l : room.pub->tree().non_blank_leaves()) {
        auto leaf = room.pub->tree().leaf_node(l);
        if (!leaf || client::identity_of(*leaf) != owner) continue;
        Element& item = r.add_child("room", std::string(ns::kMls));
        item.set_attr("jid", jid);
        item.set_attr("device", client::device_of(*leaf));
      }
    }
    reply(from, iq, r);
  } else {
    error(from, iq, "feature-not-implemented");
  }
}

void FakeServer::handle_room_iq(FakeTransport& from, const Element& iq, const Element& q,
                                const std::string& room) {
  Room& r = rooms[room];
  if (q.is("query", ns::kMucOwner)) return reply(from, iq, std::nullopt);
  if (q.is("create", ns::kMls)) {
    if (r.pub) return error(from, iq, "conflict");
    auto gi_bytes = base64_decode(q.child_text("group-info", ns::kMls));
    auto tree_bytes = base64_decode(q.child_text("ratchet-tree", ns::kMls));
    auto msg = gi_bytes ? mls::decode<mls::MlsMessage>(*gi_bytes) : mls::Result<mls::MlsMessage>();
    auto tree =
        tree_bytes ? mls::decode<mls::RatchetTree>(*tree_bytes) : mls::Result<mls::RatchetTree>();
    if (!gi_bytes || !msg || !tree || !std::holds_alternative<mls::GroupInfo>(msg->message)) {
      return error(from, iq, "bad-request");
    }
    const auto& gi = std::get<mls::GroupInfo>(msg->message);
    // docs/protocol.md §3: the group must list the service's external sender.
    const mls::Extension* ext =
        mls::find_extension(gi.group_context.extensions, mls::kExtExternalSenders);
    auto senders = ext ? mls::decode<std::vector<mls::ExternalSenderEntry>>(ext->extension_data)
                       : mls::Result<std::vector<mls::ExternalSenderEntry>>();
    if (!senders || std::find(senders->begin(), senders->end(), es_) == senders->end()) {
      return error(from, iq, "bad-request");
    }
    auto pub = mls::PublicGroup::from_group_info(suite1(), gi, *tree);
    if (!pub) return error(from, iq, "bad-request");
    r.pub.emplace(std::move(*pub));
    r.group_info = *gi_bytes;
    r.base_epoch = r.pub->epoch();
    r.chains = {mls::commit_chain_genesis(suite1())};
    Element a("accepted", std::string(ns::kMls));
    a.set_attr("epoch", std::to_string(r.pub->epoch()));
    return reply(from, iq, with_chain(a, r, r.pub->epoch()));
  }
  if (!r.pub) return error(from, iq, "item-not-found");
  if (q.is("group-info", ns::kMls)) {
    ++group_info_queries;
    Element g("group-info", std::string(ns::kMls));
    g.set_attr("epoch", std::to_string(r.pub->epoch()));
    with_chain(g, r, r.pub->epoch());
    g.add_child(mls_el("group-info", r.group_info));
    g.add_child(mls_el("ratchet-tree", r.pub->tree().encode()));
    return reply(from, iq, g);
  }
  if (q.is("welcome", ns::kMls)) {
    auto w = r.welcomes.find(from.bare());
    if (no_welcome_fetch || w == r.welcomes.end()) return error(from, iq, "item-not-found");
    ++welcome_fetches;
    return reply(from, iq, w->second);
  }
  if (q.is("commits", ns::kMls)) {
    const std::uint64_t since = std::stoull(std::string(q.attr_or("since", "0")));
    Element cs("commits", std::string(ns::kMls));
    for (std::uint64_t e = std::max(since, r.base_epoch); !withhold_commits && e < r.pub->epoch();
         ++e) {
      Element& c = cs.add_child(mls_el("commit", r.commits[e - r.base_epoch]));
      c.set_attr("epoch", std::to_string(e));
      with_chain(c, r, e + 1);
    }
    return reply(from, iq, cs);
  }
  if (q.is("commit", ns::kMls)) {
    auto bytes = base64_decode(q.child_text("message", ns::kMls));
    auto gi = base64_decode(q.child_text("group-info", ns::kMls));
    auto msg = bytes ? mls::decode<mls::MlsMessage>(*bytes) : mls::Result<mls::MlsMessage>();
    const auto* pm = msg ? std::get_if<mls::PublicMessage>(&msg->message) : nullptr;
    if (pm == nullptr || !gi) return error(from, iq, "bad-request");
    const std::uint64_t current = r.pub->epoch();
    if (pm->content.epoch != current) {
      Element we("wrong-epoch", std::string(ns::kMls));
      we.set_attr("current", std::to_string(current));
      return error(from, iq, "conflict", we);
    }
    auto staged = r.pub->stage_commit(*msg);
    if (!staged) {
      Element ic("invalid-commit", std::string(ns::kMls));
      ic.set_text(staged.error().message());
      return error(from, iq, "bad-request", ic);
    }
    const mls::PublicCommitReport report = staged->report();
    r.pub.emplace(std::move(*staged).merge());
    r.group_info = *gi;
    r.commits.push_back(*bytes);
    r.chains.push_back(mls::commit_chain_next(suite1(), r.chains.back(), suite1().hash(*bytes)));
    Element a("accepted", std::string(ns::kMls));
    a.set_attr("epoch", std::to_string(r.pub->epoch()));
    reply(from, iq, with_chain(a, r, r.pub->epoch()));
    Element fan = make("message", "groupchat", room, "");
    with_chain(fan.add_child(mls_el("commit", *bytes)), r, current + 1)
        .set_attr("epoch", std::to_string(current));
    broadcast(r, room, fan);
    if (auto w = base64_decode(q.child_text("welcome", ns::kMls)); w && !w->empty()) {
      for (mls::LeafIndex l : report.added) {
        auto leaf = r.pub->tree().leaf_node(l);
        if (!leaf) continue;
        const auto& id = std::get<mls::BasicCredential>(leaf->credential.value).identity;
        Element wm = make("message", "normal", room, "");
        Element& we = with_chain(wm.add_child(mls_el("welcome", *w)), r, r.pub->epoch())
                          .set_attr("epoch", std::to_string(r.pub->epoch()));
        r.welcomes.insert_or_assign(std::string(id.begin(), id.end()), we);
        to_bare(std::string(id.begin(), id.end()), wm);
      }
    }
    return;
  }
  if (q.is("query", ns::kMam)) {
    std::string after;
    std::size_t max = 20;
    if (const Element* set = q.child("set", ns::kRsm)) {
      after = set->child_text("after", ns::kRsm);
      if (!set->child_text("max", ns::kRsm).empty())
        max = std::stoul(set->child_text("max", ns::kRsm));
    }
    auto it = r.archive.begin();
    if (!after.empty()) {
      it = std::find_if(r.archive.begin(), r.archive.end(),
                        [&](const auto& a) { return a.first == after; });
      if (it == r.archive.end()) return error(from, iq, "item-not-found");
      ++it;
    }
    std::string last;
    std::size_t sent = 0;
    for (; it != r.archive.end() && sent < max; ++it, ++sent) {
      if (withhold_commits && it->second.child("commit", ns::kMls) != nullptr) continue;
      Element m = make("message", "", room, from.jid());
      Element& res = m.add_child("result", std::string(ns::kMam));
      res.set_attr("queryid", std::string(q.attr_or("queryid")));
      res.set_attr("id", it->first);
      res.add_child("forwarded", std::string(ns::kForward)).add_child(it->second);
      from.deliver(std::move(m));
      last = it->first;
    }
    Element fin("fin", std::string(ns::kMam));
    if (it == r.archive.end()) fin.set_attr("complete", "true");
    if (!last.empty()) {
      fin.add_child("set", std::string(ns::kRsm))
          .add_child("last", std::string(ns::kRsm))
          .set_text(last);
    }
    return reply(from, iq, fin);
  }
  error(from, iq, "feature-not-implemented");
}

void FakeServer::handle_presence(FakeTransport& from, const Element& p) {
  const std::string to(p.attr_or("to"));
  if (to.empty()) {
    // Initial presence: hand over what offline storage kept.
    auto it = offline_.find(from.bare());
    if (it != offline_.end()) {
      for (Element e : it->second) {
        e.set_attr("to", from.jid());
        from.deliver(std::move(e));
      }
      offline_.erase(it);
    }
    return;
  }
  const std::string room = bare_of(to);
  const std::string nick = resource_of(to);
  const bool created = rooms.find(room) == rooms.end();
  Room& r = rooms[room];
  auto occupant_presence = [&](const std::string& n, FakeTransport& who, std::string_view type) {
    Element pr = make("presence", type, room + "/" + n, "");
    Element& x = pr.add_child("x", std::string(ns::kMucUser));
    x.add_child("item", std::string(ns::kMucUser)).set_attr("jid", who.jid());
    return pr;
  };
  if (p.attr_or("type") == "unavailable") {
    r.occupants.erase(nick);
    for (auto& [n, t] : r.occupants) {
      Element pr = occupant_presence(nick, from, "unavailable");
      pr.set_attr("to", t->jid());
      t->deliver(std::move(pr));
    }
    return;
  }
  for (auto& [n, t] : r.occupants) {
    Element existing = occupant_presence(n, *t, "");
    existing.set_attr("to", from.jid());
    from.deliver(std::move(existing));
    Element arrival = occupant_presence(nick, from, "");
    arrival.set_attr("to", t->jid());
    t->deliver(std::move(arrival));
  }
  r.occupants[nick] = &from;
  Element self = occupant_presence(nick, from, "");
  self.set_attr("to", from.jid());
  Element* x = self.child("x", ns::kMucUser);
  x->add_child("status", std::string(ns::kMucUser)).set_attr("code", "110");
  if (created) x->add_child("status", std::string(ns::kMucUser)).set_attr("code", "201");
  from.deliver(std::move(self));
}

void FakeServer::handle_message(FakeTransport& from, const Element& m) {
  const std::string room(m.attr_or("to"));
  auto rit = rooms.find(room);
  if (rit == rooms.end() || m.attr_or("type") != "groupchat") return;
  Room& r = rit->second;
  std::string nick;
  for (auto& [n, t] : r.occupants) {
    if (t == &from) nick = n;
  }
  if (nick.empty()) return error(from, m, "not-acceptable");
  if (r.pub) {
    auto bytes = base64_decode(m.child_text("encrypted", ns::kMls));
    auto msg = bytes ? mls::decode<mls::MlsMessage>(*bytes) : mls::Result<mls::MlsMessage>();
    const auto* pm = msg ? std::get_if<mls::PrivateMessage>(&msg->message) : nullptr;
    if (pm == nullptr) return error(from, m, "not-acceptable");
    // docs/protocol.md §8: a window of 3 epochs back, nothing ahead.
    if (pm->epoch > r.pub->epoch() || pm->epoch + 3 < r.pub->epoch()) {
      Element we("wrong-epoch", std::string(ns::kMls));
      we.set_attr("current", std::to_string(r.pub->epoch()));
      return error(from, m, "not-acceptable", we);
    }
  }
  Element out = m;
  out.set_attr("from", room + "/" + (spoof_nick.empty() ? nick : spoof_nick));
  out.remove_attr("to");
  if (!forge_item.empty()) {
    out.add_child("x", std::string(ns::kMucUser))
        .add_child("item", std::string(ns::kMucUser))
        .set_attr("jid", forge_item);
  }
  broadcast(r, room, out);
}

}  // namespace conclave::client::testing
