// Room: construction, the per-room queue, and shared helpers. The XEP-0045 behaviours live in
// room_presence.cpp, room_message.cpp, room_iq.cpp, room_admin.cpp and room_mam.cpp.
#include "component/muc/room.h"

#include <exception>

#include "component/rooms/namespaces.h"
#include "component/rooms/occupant_id.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::component {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;

namespace {
constexpr std::string_view kSaltKey = "conclave#salt";
}  // namespace

std::shared_ptr<Room> Room::make_new(RoomEnv& env, Jid jid) {
  auto r = adopt(new Room(env, std::move(jid)));
  r->locked_ = true;  // XEP-0045 §10.1.1: locked until the owner configures it
  r->salt_ = env.new_salt();
  r->config_.max_history = std::min<std::size_t>(r->config_.max_history, env.max_history);
  return r;
}

std::shared_ptr<Room> Room::from_record(RoomEnv& env, const RoomRecord& rec,
                                        const std::vector<ArchivedMessage>& recent) {
  auto parsed = Jid::parse(rec.jid.str());
  auto r = adopt(new Room(env, parsed ? *parsed : Jid()));
  r->config_ = read_settings(rec.settings);
  // A room with a group is persistent whatever its row says (docs/protocol.md §6.5).
  r->holds_group_ = rec.has_group;
  r->config_.persistent = rec.persistent || rec.has_group;
  r->created_in_store_ = true;
  auto get = [&](std::string_view k) {
    auto it = rec.settings.find(std::string(k));
    return it == rec.settings.end() ? std::string() : it->second;
  };
  r->salt_ = get(kSaltKey);
  if (r->salt_.empty()) r->salt_ = env.new_salt();
  r->subject_ = get(kSubjectKey);
  r->subject_nick_ = get(kSubjectNickKey);
  // Rooms saved before the time was kept have none; their subject goes out without <delay/>.
  r->subject_time_ = parse_timestamp(get(kSubjectTimeKey));
  for (const AffiliationRecord& a : rec.affiliations) r->affiliations_[a.jid] = a;
  for (const ArchivedMessage& m : recent) {
    auto e = parse_stanza_xml(m.stanza);
    if (!e || e->child("body", ns::kClient) == nullptr) continue;
    Element msg = with_namespace(std::move(*e), ns::kClient, xmpp::ns::kComponent);
    const std::size_t chars = m.stanza.size();
    r->history_.push_back({std::move(msg), m.ts, chars});
  }
  while (r->history_.size() > r->config_.max_history) r->history_.pop_front();
  r->fmuc_restore();
  return r;
}

Room::Room(RoomEnv& env, Jid jid)
    : env_(env),
      jid_(std::move(jid)),
      queue_(*env.services->runner, [this](const std::string& line) {
        log(LogLevel::error, "room " + jid_.bare_string() + ": " + line);
      }) {}

std::shared_ptr<Room> Room::adopt(Room* room) {
  std::shared_ptr<Room> r(room);
  r->queue_.bind(r);  // queued work keeps the room alive after the service forgot it
  return r;
}

void Room::handle(Element stanza, Jid from, Jid to) {
  enqueue(Pending{std::move(stanza), std::move(from), std::move(to), {}});
}

void Room::enqueue(Pending p) {
  inbox_.push_back(std::move(p));
  queue_.push([this] { take_next(); });
}

void Room::take_next() {
  if (inbox_.empty()) return;  // a group commit took it already
  Pending p = std::move(inbox_.front());
  inbox_.pop_front();
  if (p.task) {
    p.task();  // knows what to do when the room is gone
    return;
  }
  if (gone_) {
    // Destroyed while this waited: answer as a service without this room would.
    if (xmpp::kind_of(p.stanza) != xmpp::StanzaKind::presence) {
      send_error(p.stanza, StanzaCondition::item_not_found);
    }
    return;
  }
  process(p);
}

void Room::reprocess(Element stanza, Jid from, Jid to) {
  process(Pending{std::move(stanza), std::move(from), std::move(to), {}});
}

void Room::process(const Pending& p) {
  // Exceptions are bugs here (errors are values); one catch per stanza keeps the room alive
  // and answers the sender (docs/style.md P6).
  try {
    if (fmuc_intercept(p)) return;  // a federated room's links (room_fmuc.cpp)
    switch (xmpp::kind_of(p.stanza)) {
      case xmpp::StanzaKind::presence:
        on_presence(p);
        break;
      case xmpp::StanzaKind::message:
        on_message(p);
        break;
      case xmpp::StanzaKind::iq:
        on_iq(p);
        break;
      case xmpp::StanzaKind::other:
        break;
    }
  } catch (const std::exception& e) {
    log(LogLevel::error,
        "room " + jid_.bare_string() + ": exception handling a stanza: " + e.what());
    send_error(p.stanza, StanzaCondition::internal_server_error);
  }
}

RoomPolicy Room::policy() const {
  RoomPolicy p;
  p.members_only = config_.members_only;
  // The functions read the room when called: the policy is used at once, never stored.
  p.affiliation = [this](const std::string& bare) { return affiliation_of(bare); };
  p.role = [this](const std::string& bare) {
    Role best = Role::none;
    for (const auto& o : occupants_) {
      if (o->bare.bare_string() == bare && o->role > best) best = o->role;
    }
    return best;
  };
  return p;
}

bool Room::extensions_intercept_iq(const Pending& p) {
  if (fmuc_refuses_mls(p)) return true;
  for (RoomExtension* x : env_.extensions) {
    if (x->intercept_iq(*this, p.stanza, p.from, p.to)) return true;
  }
  return false;
}

bool Room::extensions_admit_groupchat(const Pending& p) {
  if (is_mirror()) return !fmuc_refuses_mls(p);  // the home checks its group's messages
  for (RoomExtension* x : env_.extensions) {
    if (!x->admit_groupchat(*this, p.stanza, p.from, p.to)) return false;
  }
  return true;
}

void Room::extensions_membership_changed() {
  for (RoomExtension* x : env_.extensions) x->membership_changed(*this);
}

Occupant* Room::by_session(const Jid& full) const {
  for (auto& o : occupants_) {
    for (const Jid& s : o->sessions) {
      if (s == full) return o.get();
    }
  }
  return nullptr;
}

bool Room::in_room(const Jid& session) const { return by_session(session) != nullptr; }

Occupant* Room::by_nick(std::string_view nick) {
  for (auto& o : occupants_) {
    if (o->nick == nick) return o.get();
  }
  return nullptr;
}

const Occupant* Room::by_nick(std::string_view nick) const {
  for (const auto& o : occupants_) {
    if (o->nick == nick) return o.get();
  }
  return nullptr;
}

const Occupant* Room::occupant(std::string_view nick) const { return by_nick(nick); }

std::vector<Occupant*> Room::by_bare(const std::string& bare) {
  std::vector<Occupant*> out;
  for (auto& o : occupants_) {
    if (o->bare.bare_string() == bare) out.push_back(o.get());
  }
  return out;
}

Affiliation Room::affiliation_of(const std::string& bare) const {
  if (env_.service_admins.count(bare) != 0) return Affiliation::owner;
  auto it = affiliations_.find(bare);
  if (it == affiliations_.end()) return Affiliation::none;
  return it->second.affiliation;
}

std::string Room::occupant_jid(std::string_view nick) const {
  return jid_.bare_string() + "/" + std::string(nick);
}

std::string Room::occupant_id_of(const Jid& bare) const {
  return occupant_id(salt_, bare.bare_string());
}

bool Room::can_see_jids(const Occupant* receiver) const {
  return config_.non_anonymous() || (receiver != nullptr && receiver->role == Role::moderator);
}

void Room::send_error(const Element& stanza, StanzaCondition c, std::string text) {
  auto reply = xmpp::error_reply(stanza, xmpp::StanzaError::of(c, std::move(text)));
  if (!reply) return;
  if (stanza.name() == "presence") {
    // As in every refused join of XEP-0045 (§7.2.1, §7.2.5-§7.2.10): the error names the room in
    // `by` (RFC 6120 §8.3.2) and carries the join's <x xmlns='…/muc'/>, emptied: a password in it
    // is never echoed.
    if (Element* e = reply->child("error", stanza.ns())) e->set_attr("by", jid_.bare_string());
    if (stanza.child("x", ns::kMuc) != nullptr) reply->add_child("x", std::string(ns::kMuc));
  }
  send(std::move(*reply));
}

void Room::send_to_sessions(const Occupant& o, const Element& stanza) {
  // A remote occupant's node gets each event once, from fmuc_announce and fmuc_relay.
  if (!o.node.empty()) return;
  for (const Jid& s : o.sessions) {
    Element copy = stanza;
    copy.set_attr("to", s.full());
    send(std::move(copy));
  }
}

std::vector<AffiliationRecord> Room::affiliation_records() const {
  std::vector<AffiliationRecord> out;
  out.reserve(affiliations_.size());
  for (const auto& [bare, a] : affiliations_) out.push_back(a);
  return out;
}

RoomRecord Room::record() const {
  RoomRecord r;
  r.jid = room_jid();
  r.persistent = config_.persistent;
  r.mode = config_.effective_mode();
  write_settings(config_, r.settings);
  r.settings[std::string(kSaltKey)] = salt_;
  r.settings[std::string(kSubjectKey)] = subject_;
  r.settings[std::string(kSubjectNickKey)] = subject_nick_;
  if (subject_time_) r.settings[std::string(kSubjectTimeKey)] = format_timestamp(*subject_time_);
  r.affiliations = affiliation_records();
  return r;
}

void Room::log(LogLevel level, const std::string& line) const {
  if (env_.services->log) env_.services->log(level, line);
}

void Room::set_role(Occupant& o, Role role) {
  o.role = role;
  broadcast_presence(o, {}, false, {110});  // §8.3: everyone sees the new role
}

void Room::forget_history(const std::string& stanza_id) {
  std::erase_if(history_, [&](const HistoryEntry& h) {
    for (const Element* s_id : h.message.children_named("stanza-id", ns::kStanzaId)) {
      if (s_id->attr_or("by") == jid_.bare_string() && s_id->attr_or("id") == stanza_id) {
        return true;
      }
    }
    return false;
  });
}

const AffiliationRecord* Room::affiliation_row(const std::string& bare) const {
  auto it = affiliations_.find(bare);
  return it == affiliations_.end() ? nullptr : &it->second;
}

}  // namespace conclave::component
