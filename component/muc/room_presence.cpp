// Room presence: join (XEP-0045 §7.2), nick change (§7.6), presence updates (§7.7), leave
// (§7.14), and the presence stanzas themselves.
#include <algorithm>

#include "component/muc/room.h"
#include "component/muc/room_nickname.h"
#include "component/rooms/namespaces.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::component {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;

namespace {

void add_status(Element& x, int code) {
  x.add_child("status", std::string(ns::kMucUser)).set_attr("code", std::to_string(code));
}

}  // namespace

std::vector<Element> presence_extra_of(const Element& presence) {
  std::vector<Element> out;
  for (const Element& c : presence.children()) {
    if (c.ns() == ns::kMuc || c.ns() == ns::kMucUser || c.ns() == ns::kOccupantId ||
        c.ns() == ns::kFmuc || c.ns() == ns::kMlsExt) {
      continue;
    }
    out.push_back(c);
  }
  return out;
}

Element Room::occupant_presence(const Occupant& o, const Occupant* receiver,
                                const std::vector<int>& codes, bool self, bool unavailable) const {
  Element p =
      xmpp::make_stanza("presence", unavailable ? "unavailable" : "", occupant_jid(o.nick), "", "");
  if (!unavailable) {
    for (const Element& c : o.presence_extra) p.add_child(c);
  }
  Element& x = p.add_child("x", std::string(ns::kMucUser));
  Element& item = x.add_child("item", std::string(ns::kMucUser));
  const Affiliation aff = affiliation_of(o.bare.bare_string());
  item.set_attr("affiliation", std::string(to_string(aff)));
  item.set_attr("role", std::string(to_string(unavailable ? Role::none : o.role)));
  if ((self || can_see_jids(receiver)) && !o.sessions.empty()) {
    item.set_attr("jid", o.sessions.front().full());
  }
  for (int c : codes) add_status(x, c);
  p.add_child("occupant-id", std::string(ns::kOccupantId)).set_attr("id", o.occupant_id);
  return p;
}

void Room::broadcast_presence(const Occupant& o, const std::vector<int>& codes, bool unavailable,
                              const std::vector<int>& self_codes,
                              const std::optional<Element>& extra) {
  for (const auto& r : occupants_) {
    const bool self = r.get() == &o;
    Element p = occupant_presence(o, r.get(), self ? self_codes : codes, self, unavailable);
    if (extra) p.child("x", ns::kMucUser)->add_child(*extra);
    send_to_sessions(*r, p);
  }
  fmuc_announce(o, codes, unavailable, /*to_origin=*/true);
}

void Room::on_presence(const Pending& p) {
  const xmpp::PresenceType type = xmpp::presence_type_of(p.stanza);
  const std::string& nick = p.to.resource();
  Occupant* o = by_session(p.from);

  if (type == xmpp::PresenceType::error) {
    // A presence bounced by the occupant's server: the session is gone (XEP-0045 §7.14; Prosody
    // does the same). Remove it as a kick with status 333.
    if (o != nullptr) drop_session(*o, p.from);
    return;
  }
  if (nick.empty()) {
    // Presence to the bare room JID: a join needs a nickname (§7.2.1).
    if (type != xmpp::PresenceType::unavailable) {
      send_error(p.stanza, StanzaCondition::jid_malformed);
    }
    return;
  }
  if (type == xmpp::PresenceType::unavailable) {
    if (o != nullptr) on_leave(p, *o);
    return;
  }
  if (type != xmpp::PresenceType::available) return;  // subscriptions, probes: not for a room
  if (o == nullptr) {
    if (p.stanza.child("x", ns::kMuc) == nullptr) {
      kick_non_occupant(p);
      return;
    }
    if (refused_invisible_nick(p)) return;
    on_join(p);
    return;
  }
  if (o->nick != nick) {
    if (refused_invisible_nick(p)) return;
    on_nick_change(p, *o, nick);
    return;
  }
  if (p.stanza.child("x", ns::kMuc) != nullptr) {
    // A join from a session that is already in: answer as a full join (§7.2; clients do this
    // after a stream resumption they are unsure of).
    o->presence_extra = presence_extra_of(p.stanza);
    send_join_sequence(*o, p.from, p.stanza, {110});
    return;
  }
  // A presence update (§7.7): broadcast the new status.
  o->presence_extra = presence_extra_of(p.stanza);
  broadcast_presence(*o, {}, false, {110});
}

bool Room::refused_invisible_nick(const Pending& p) {
  if (visible_nickname(p.to.resource())) return false;
  // §17.1: "a MUC service MUST NOT allow empty or invisible Room Nicknames", on entry (§7.2) and
  // on a nick change (§7.6) alike. The XEP names no error for it; the one it gives for a
  // nickname that is not there is <jid-malformed/> (§7.2.1, type modify), and a nickname that
  // shows nothing is empty once RFC 7700's nickname profile is applied (it disallows these code
  // points and refuses an empty result), so the same error, with a text that says why. Prosody
  // answers <not-allowed/>, a condition the XEP keeps for policy (room creation, §10.1.1).
  send_error(p.stanza, StanzaCondition::jid_malformed, "Invisible nicknames are not allowed");
  if (!created_in_store_ && occupants_.empty()) {
    // The presence would have created the room: no room comes into being.
    gone_ = true;
    if (env_.room_gone) env_.room_gone(room_jid());
  }
  return true;
}

void Room::kick_non_occupant(const Pending& p) {
  // XEP-0045 §7.2.1: a presence without the MUC element from someone not in the room (e.g. after
  // the service restarted) gets an unavailable presence with 110, 307 and 333 so that the client
  // rejoins.
  Element u = xmpp::make_stanza("presence", "unavailable", p.to.full(), p.from.full(), "");
  Element& x = u.add_child("x", std::string(ns::kMucUser));
  x.add_child("item", std::string(ns::kMucUser))
      .set_attr("affiliation", std::string(to_string(Affiliation::none)))
      .set_attr("role", std::string(to_string(Role::none)));
  for (int c : {110, 307, 333}) add_status(x, c);
  send(std::move(u));
}

void Room::on_join(const Pending& p) {
  const std::string& nick = p.to.resource();
  const std::string bare = p.from.bare_string();
  const Affiliation aff = affiliation_of(bare);
  const bool creating = !created_in_store_;

  if (creating) {
    if (env_.may_create && !env_.may_create(p.from.bare()) &&
        env_.service_admins.count(bare) == 0) {
      // The service's creation policy (muc.create_rooms): the room does not come into being.
      send_error(p.stanza, StanzaCondition::not_allowed, "You may not create rooms here");
      gone_ = true;
      if (env_.room_gone) env_.room_gone(room_jid());
      return;
    }
    // The first presence creates the room; its sender becomes the owner (§10.1.1).
    affiliations_[bare] = {bare, Affiliation::owner, "", ""};
    RoomRecord rec = record();
    RoomStore* store = env_.rooms;
    await<Status>([store, rec] { return store->create(rec); },
                  [this, p](Status s) {
                    if (!s) {
                      log(LogLevel::error, "creating room " + jid_.bare_string() +
                                               " failed: " + s.error().message());
                      send_error(p.stanza, StanzaCondition::internal_server_error);
                      gone_ = true;
                      if (env_.room_gone) env_.room_gone(room_jid());
                      return;
                    }
                    created_in_store_ = true;
                    log(LogLevel::info, "room created: " + jid_.bare_string());
                    finish_join(p, true);
                  });
    return;
  }
  if (locked_ && aff != Affiliation::owner) {
    // §10.1.1: nobody else enters a locked room, as if it did not exist.
    send_error(p.stanza, StanzaCondition::item_not_found, "The room is locked");
    return;
  }
  if (aff == Affiliation::outcast) {
    send_error(p.stanza, StanzaCondition::forbidden, "You are banned from this room");
    return;
  }
  if (config_.members_only && aff < Affiliation::member) {
    send_error(p.stanza, StanzaCondition::registration_required, "The room is members-only");
    return;
  }
  if (refused_by_feature(p, {p.stanza, p.from, nick, aff, false})) return;  // password, ...
  if (Occupant* other = by_nick(nick); other != nullptr && other->bare.bare_string() != bare) {
    send_error(p.stanza, StanzaCondition::conflict, "That nickname is in use");
    return;
  }
  const std::size_t limit =
      config_.max_users == 0 ? env_.max_occupants : std::min(config_.max_users, env_.max_occupants);
  if (by_nick(nick) == nullptr && occupants_.size() >= limit && aff < Affiliation::admin) {
    send_error(p.stanza, StanzaCondition::service_unavailable, "The room is full");
    return;
  }
  finish_join(p, false);
}

void Room::finish_join(const Pending& p, bool created) {
  const std::string& nick = p.to.resource();
  const Affiliation aff = affiliation_of(p.from.bare_string());
  Occupant* o = by_nick(nick);
  const bool new_occupant = o == nullptr;
  if (new_occupant) {
    auto occ = std::make_unique<Occupant>();
    occ->nick = nick;
    occ->bare = p.from.bare();
    occ->role = default_role(aff, config_.moderated);
    occ->occupant_id = occupant_id_of(occ->bare);
    o = occ.get();
    occupants_.push_back(std::move(occ));
  }
  // Another session of the same user under the same nick joins the existing occupant.
  o->sessions.push_back(p.from);
  o->presence_extra = presence_extra_of(p.stanza);

  std::vector<int> codes{110};
  if (config_.non_anonymous()) codes.push_back(100);
  if (created) codes.push_back(201);
  // No 170: XEP-0045 §7.2.12 and §14.3 reserve it for rooms logged to a *public* archive (the
  // user must be warned). The MAM archive serves occupants only, not the public; Prosody sends
  // no 170 for it either, and clients that see it (Gajim) show a logging warning instead of
  // "You joined". Conclave has no public logging, so no room ever sends it.
  if (new_occupant) {
    // Others learn of the newcomer before the newcomer's own roster completes; their view of the
    // room is consistent either way, since this runs in one step.
    for (const auto& r : occupants_) {
      if (r.get() == o) continue;
      send_to_sessions(*r, occupant_presence(*o, r.get(), {}, false, false));
    }
    fmuc_announce(*o, {}, false);  // the other nodes of a federated room (room_fmuc.cpp)
  }
  send_join_sequence(*o, p.from, p.stanza, std::move(codes));
  log(LogLevel::debug,
      "join " + jid_.bare_string() + " (" + std::to_string(occupants_.size()) + " occupants)");
}

void Room::send_join_sequence(const Occupant& self, const Jid& session, const Element& presence,
                              std::vector<int> codes) {
  // §7.2.3 order: every other occupant, then self-presence with 110 (which tells the client the
  // list is complete), then history, then the subject.
  for (const auto& r : occupants_) {
    if (r.get() == &self) continue;
    Element p = occupant_presence(*r, &self, {}, false, false);
    p.set_attr("to", session.full());
    send(std::move(p));
  }
  Element me = occupant_presence(self, &self, codes, true, false);
  me.set_attr("to", session.full());
  send(std::move(me));
  // Other sessions of the same occupant see the presence too (no 110 there? They are `self`
  // as well: they receive it with 110, as XEP-0045 §7.2.3 multi-session services do).
  for (const Jid& s : self.sessions) {
    if (s == session) continue;
    Element again = occupant_presence(self, &self, {110}, true, false);
    again.set_attr("to", s.full());
    send(std::move(again));
  }
  send_history(session, presence.child("x", ns::kMuc) == nullptr
                            ? nullptr
                            : presence.child("x", ns::kMuc)->child("history", ns::kMuc));
  send_subject(session);
}

void Room::on_leave(const Pending& p, Occupant& o) {
  const Element* st = p.stanza.child("status", kComponentNs);
  // The leaving session gets its own unavailable presence with 110, naming its own JID (§7.14),
  // not that of another session of the occupant.
  Element self = occupant_presence(o, &o, {110}, true, true);
  self.child("x", ns::kMucUser)->child("item", ns::kMucUser)->set_attr("jid", p.from.full());
  if (locked_ && occupants_.size() == 1 && o.sessions.size() == 1) {
    // §10.1.3: the owner left a new room before configuring it; the service MUST destroy it
    // (maybe_vanish below: a locked room is never persistent yet) and say so with <destroy/>.
    self.child("x", ns::kMucUser)->add_child("destroy", std::string(ns::kMucUser));
  }
  if (st != nullptr) self.add_child(*st);
  self.set_attr("to", p.from.full());
  send(std::move(self));
  if (o.sessions.size() > 1) {
    std::erase(o.sessions, p.from);
    return;  // other sessions stay: the occupant is still here
  }
  // The last session: it stays in `sessions` until everyone has been told, so that those who
  // may see real JIDs (moderators, or everyone in a non-anonymous room) get it in the item, as
  // in every other presence of this occupant (§7.14, §7.2.3).
  for (const auto& r : occupants_) {
    if (r.get() == &o) continue;
    Element u = occupant_presence(o, r.get(), {}, false, true);
    if (st != nullptr) u.add_child(*st);
    send_to_sessions(*r, u);
  }
  fmuc_announce(o, {}, true);
  std::erase_if(occupants_, [&](const auto& x) { return x.get() == &o; });
  maybe_vanish();
}

void Room::drop_session(Occupant& o, const Jid& session) {
  if (o.sessions.size() > 1) {
    std::erase(o.sessions, session);
    return;
  }
  // The last one: removed as a kick with 333 (§11.1) while its JID is still known, so that the
  // presence names it where the receiver may see real JIDs (§7.14).
  remove_occupant(o.nick, {307, 333});
}

void Room::remove_occupant(const std::string& nick, std::vector<int> codes,
                           const std::string& reason, const Actor& actor) {
  Occupant* o = by_nick(nick);
  if (o == nullptr) return;
  for (const auto& r : occupants_) {
    const bool self = r.get() == o;
    std::vector<int> c = codes;
    if (self) c.insert(c.begin(), 110);
    Element u = occupant_presence(*o, r.get(), c, self, true);
    Element* item = u.child("x", ns::kMucUser)->child("item", ns::kMucUser);
    // §8.2 (kick), §9.1 (ban), §9.4 (321): the actor and the reason, for the removed occupant
    // and for everyone else ("including the status code and optionally the reason and actor").
    // The actor's nickname is public in the room; its real JID goes only to those who may see
    // real JIDs (§7.2.3/§7.2.4), as for any occupant. An actor outside the room with no such
    // receiver leaves no <actor/>, rather than an empty one.
    const bool actor_jid = !actor.bare.empty() && can_see_jids(r.get());
    if (!actor.nick.empty() || actor_jid) {
      Element& a = item->add_child("actor", std::string(ns::kMucUser));
      if (!actor.nick.empty()) a.set_attr("nick", actor.nick);
      if (actor_jid) a.set_attr("jid", actor.bare);
    }
    if (!reason.empty()) item->add_child("reason", std::string(ns::kMucUser)).set_text(reason);
    send_to_sessions(*r, u);
  }
  fmuc_announce(*o, codes, true, /*to_origin=*/true, reason);
  std::erase_if(occupants_, [&](const auto& x) { return x.get() == o; });
  maybe_vanish();
}

void Room::shutdown() {
  for (const auto& o : occupants_) {
    Element u = occupant_presence(*o, o.get(), {110, 332}, true, true);
    send_to_sessions(*o, u);
    if (o->node.empty()) fmuc_announce(*o, {332}, true);  // the other nodes see it go
  }
  occupants_.clear();  // a persistent room stays in the store; nothing else changes there
}

void Room::maybe_vanish() {
  if (!occupants_.empty() || config_.persistent || holds_group_ || gone_) return;
  // §10.1.3 (temporary rooms): destroyed when the last occupant leaves; so is its archive.
  gone_ = true;
  const RoomJid room = room_jid();
  RoomStore* store = env_.rooms;
  await<Status>([store, room] { return store->destroy(room); },
                [this, room](Status s) {
                  if (!s)
                    log(LogLevel::warn,
                        "dropping temporary room " + room.str() + ": " + s.error().message());
                  log(LogLevel::info, "temporary room ended: " + room.str());
                  if (env_.room_gone) env_.room_gone(room);
                });
}

bool Room::refused_by_feature(const Pending& p, const JoinRequest& join) {
  for (const RoomFeature* f : room_features()) {
    if (auto refusal = f->check_join(*this, join)) {
      send_error(p.stanza, refusal->condition, std::move(refusal->text));
      return true;
    }
  }
  return false;
}

void Room::on_nick_change(const Pending& p, Occupant& o, const std::string& new_nick) {
  const std::string bare = o.bare.bare_string();
  if (Occupant* other = by_nick(new_nick); other != nullptr) {
    send_error(p.stanza, StanzaCondition::conflict, "That nickname is in use");
    return;
  }
  if (refused_by_feature(p, {p.stanza, p.from, new_nick, affiliation_of(bare), true})) return;
  if (o.sessions.size() > 1) {
    // One session renaming a shared occupant would split it; refuse rather than guess.
    send_error(p.stanza, StanzaCondition::not_acceptable, "Leave with the other sessions first");
    return;
  }
  // §7.6.3: unavailable with 303 and the new nick, then available under the new nick.
  for (const auto& r : occupants_) {
    const bool self = r.get() == &o;
    std::vector<int> codes{303};
    if (self) codes.insert(codes.begin(), 110);
    Element u = occupant_presence(o, r.get(), codes, self, true);
    u.child("x", ns::kMucUser)->child("item", ns::kMucUser)->set_attr("nick", new_nick);
    send_to_sessions(*r, u);
  }
  fmuc_announce(o, {303}, true);  // other nodes: gone under the old nick, back under the new
  o.nick = new_nick;
  o.presence_extra = presence_extra_of(p.stanza);
  broadcast_presence(o, {}, false, {110});
}

}  // namespace conclave::component
