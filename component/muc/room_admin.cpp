// Room administration through muc#admin (XEP-0045 §8-§9): affiliation lists, kick (role none),
// voice and moderator grants, ban (outcast), membership.
#include "component/muc/room.h"
#include "component/rooms/namespaces.h"

namespace conclave::component {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;

void Room::on_admin_get(const Pending& p, const Element& q) {
  const Element* item = q.child("item", ns::kMucAdmin);
  if (item == nullptr) {
    send_error(p.stanza, StanzaCondition::bad_request);
    return;
  }
  const Affiliation me = affiliation_of(p.from.bare_string());
  const Occupant* occ = by_session(p.from);
  Element reply("query", std::string(ns::kMucAdmin));
  if (const std::string* r = item->attr("role")) {
    auto role = role_from(*r);
    if (!role || occ == nullptr || occ->role != Role::moderator) {
      send_error(p.stanza, role ? StanzaCondition::forbidden : StanzaCondition::bad_request);
      return;
    }
    for (const auto& o : occupants_) {
      if (o->role != *role) continue;
      Element& i = reply.add_child("item", std::string(ns::kMucAdmin));
      i.set_attr("nick", o->nick).set_attr("role", std::string(to_string(o->role)));
      i.set_attr("affiliation", std::string(to_string(affiliation_of(o->bare.bare_string()))));
      if (!o->sessions.empty()) i.set_attr("jid", o->sessions.front().full());
    }
    send(xmpp::iq_result(p.stanza, std::move(reply)));
    return;
  }
  auto wanted = affiliation_from(item->attr_or("affiliation"));
  if (!wanted || *wanted == Affiliation::none) {
    send_error(p.stanza, StanzaCondition::bad_request);
    return;
  }
  // XEP-0045 1.35 §9.5/§9.8: owner and admin lists are visible to anyone in non-anonymous rooms,
  // the member list to members of members-only rooms (end-to-end encryption needs them).
  bool allowed = me >= Affiliation::admin;
  if (!allowed && me != Affiliation::outcast) {
    if (*wanted >= Affiliation::admin && config_.non_anonymous()) allowed = true;
    if (*wanted == Affiliation::member && config_.members_only && me >= Affiliation::member) {
      allowed = true;
    }
  }
  if (!allowed) {
    send_error(p.stanza, StanzaCondition::forbidden);
    return;
  }
  for (const auto& [bare, a] : affiliations_) {
    if (a.affiliation != *wanted) continue;
    Element& i = reply.add_child("item", std::string(ns::kMucAdmin));
    i.set_attr("affiliation", std::string(to_string(a.affiliation))).set_attr("jid", bare);
    if (!a.nick.empty()) i.set_attr("nick", a.nick);
    if (!a.reason.empty()) i.add_child("reason", std::string(ns::kMucAdmin)).set_text(a.reason);
  }
  send(xmpp::iq_result(p.stanza, std::move(reply)));
}

void Room::on_admin_set(const Pending& p, const Element& q) {
  Occupant* actor = by_session(p.from);
  const Affiliation actor_aff = affiliation_of(p.from.bare_string());
  const Actor who{actor != nullptr ? actor->nick : std::string(), p.from.bare_string()};
  struct RoleChange {
    std::string nick;
    Role role;
    std::string reason;
  };
  std::vector<RoleChange> roles;
  std::vector<AffChange> affs;
  // Validate every item first: the request succeeds or changes nothing.
  for (const Element* item : q.children_named("item", ns::kMucAdmin)) {
    const std::string reason = item->child_text("reason", ns::kMucAdmin);
    if (const std::string* aff_s = item->attr("affiliation")) {
      auto aff = affiliation_from(*aff_s);
      std::string bare;
      if (const std::string* j = item->attr("jid")) {
        auto jid = Jid::parse(*j);
        if (!jid) {
          send_error(p.stanza, StanzaCondition::jid_malformed);
          return;
        }
        bare = jid->bare_string();
      } else if (const Occupant* t = by_nick(item->attr_or("nick")); t != nullptr) {
        bare = t->bare.bare_string();
      }
      if (!aff || bare.empty()) {
        send_error(p.stanza, StanzaCondition::bad_request);
        return;
      }
      const Affiliation current = affiliation_of(bare);
      // §9.1-§9.7: admins manage members and outcasts below them; owners manage everything.
      const bool ok = actor_aff == Affiliation::owner ||
                      (actor_aff == Affiliation::admin && current < Affiliation::admin &&
                       *aff < Affiliation::admin);
      if (!ok) {
        send_error(p.stanza, actor_aff >= Affiliation::admin ? StanzaCondition::not_allowed
                                                             : StanzaCondition::forbidden);
        return;
      }
      if (env_.service_admins.count(bare) != 0 && *aff != Affiliation::owner) {
        send_error(p.stanza, StanzaCondition::not_allowed, "A service administrator");
        return;
      }
      affs.push_back({bare, *aff, reason});
      continue;
    }
    if (const std::string* role_s = item->attr("role")) {
      auto role = role_from(*role_s);
      Occupant* target = by_nick(item->attr_or("nick"));
      if (!role) {
        send_error(p.stanza, StanzaCondition::bad_request);
        return;
      }
      if (actor == nullptr || actor->role != Role::moderator) {
        send_error(p.stanza, StanzaCondition::forbidden);
        return;
      }
      if (target == nullptr) {
        send_error(p.stanza, StanzaCondition::item_not_found, "No such occupant");
        return;
      }
      const Affiliation target_aff = affiliation_of(target->bare.bare_string());
      // §8.2/§9.6: moderators cannot kick or silence admins and owners, or anyone above
      // themselves; only admins grant or revoke moderator.
      if ((*role < Role::moderator && target_aff >= Affiliation::admin) ||
          ((*role == Role::moderator || target->role == Role::moderator) &&
           actor_aff < Affiliation::admin) ||
          target_aff > actor_aff) {
        send_error(p.stanza, StanzaCondition::not_allowed);
        return;
      }
      roles.push_back({target->nick, *role, reason});
      continue;
    }
    send_error(p.stanza, StanzaCondition::bad_request);
    return;
  }
  // The last owner cannot go: the room would be unmanageable (§10.6, conflict).
  if (!affs.empty()) {
    std::set<std::string> owners;
    for (const auto& [bare, a] : affiliations_) {
      if (a.affiliation == Affiliation::owner) owners.insert(bare);
    }
    for (const AffChange& c : affs) {
      if (c.affiliation == Affiliation::owner) {
        owners.insert(c.bare);
      } else {
        owners.erase(c.bare);
      }
    }
    if (owners.empty()) {
      send_error(p.stanza, StanzaCondition::conflict, "A room needs an owner");
      return;
    }
  }
  auto apply = [this, p, roles, affs, who] {
    for (const AffChange& c : affs) apply_affiliation(c, who);
    for (const RoleChange& c : roles) {
      Occupant* t = by_nick(c.nick);
      if (t == nullptr) continue;
      if (c.role == Role::none) {
        remove_occupant(c.nick, {307}, c.reason, who);  // §8.2 kick
      } else {
        t->role = c.role;
        broadcast_presence(*t, {}, false, {110});
      }
    }
    send(xmpp::iq_result(p.stanza));
  };
  if (affs.empty()) {
    apply();
    return;
  }
  std::vector<AffiliationRecord> records;
  for (const AffChange& c : affs) {
    records.push_back({c.bare, c.affiliation, c.reason, ""});
  }
  RoomStore* store = env_.rooms;
  const RoomJid room = room_jid();
  await<Status>([store, room, records] { return store->set_affiliations(room, records); },
                [this, p, apply](Status s) {
                  if (!s) {
                    log(LogLevel::error, "saving affiliations of " + jid_.bare_string() +
                                             " failed: " + s.error().message());
                    send_error(p.stanza, StanzaCondition::internal_server_error);
                    return;
                  }
                  apply();
                });
}

void Room::apply_affiliation(const AffChange& c, const Actor& actor) {
  if (c.affiliation == Affiliation::none) {
    affiliations_.erase(c.bare);
  } else {
    auto& a = affiliations_[c.bare];
    const std::string nick = a.nick;
    a = {c.bare, c.affiliation, c.reason, nick};
  }
  std::vector<std::string> nicks;
  for (Occupant* o : by_bare(c.bare)) nicks.push_back(o->nick);
  for (const std::string& nick : nicks) {
    if (c.affiliation == Affiliation::outcast) {
      remove_occupant(nick, {301}, c.reason, actor);  // §9.1 ban
    } else if (config_.members_only && c.affiliation == Affiliation::none) {
      remove_occupant(nick, {321}, c.reason, actor);  // §9.4 membership revoked
    } else if (Occupant* o = by_nick(nick)) {
      o->role = default_role(c.affiliation, config_.moderated);
      broadcast_presence(*o, {}, false, {110});
    }
  }
  extensions_membership_changed();  // bans leave the MLS group
}

}  // namespace conclave::component
