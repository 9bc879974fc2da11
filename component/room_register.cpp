// Room registration (XEP-0045 §7.10, through XEP-0077 jabber:iq:register) and discovery of the
// reserved nickname (§7.11). A registration makes the user a member and reserves the nickname:
// anyone else joining with it, or changing to it, gets <conflict/> (room_presence.cpp). The
// nickname is stored with the affiliation row (room_affiliations.nick).
#include "component/muc_ns.h"
#include "component/room.h"
#include "xmpp/disco.h"
#include "xmpp/namespaces.h"

namespace conclave::component {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;

namespace {

constexpr std::string_view kRoomNick = "muc#register_roomnick";
constexpr std::string_view kReservedNode = "x-roomuser-item";  // §7.11

}  // namespace

void Room::on_register(const Pending& p, const Element& q) {
  const std::string bare = p.from.bare_string();
  const Affiliation aff = affiliation_of(bare);
  // §7.10: outcasts may not register; in a members-only room registering would be a way in,
  // so there only those already on the member list (or above) may register a nickname.
  if (aff == Affiliation::outcast || (config_.members_only && aff < Affiliation::member)) {
    send_error(p.stanza, StanzaCondition::not_allowed, "You may not register with this room");
    return;
  }
  auto it = affiliations_.find(bare);
  const std::string current = it == affiliations_.end() ? std::string() : it->second.nick;

  if (xmpp::type_of(p.stanza) == "get") {
    Element reply("query", std::string(ns::kRegister));
    if (!current.empty()) {
      // XEP-0077 §3.1 / §7.10: already registered, with the nickname as the username.
      reply.add_child("registered", std::string(ns::kRegister));
      reply.add_child("username", std::string(ns::kRegister)).set_text(current);
      send(xmpp::iq_result(p.stanza, std::move(reply)));
      return;
    }
    reply.add_child("instructions", std::string(ns::kRegister))
        .set_text("Choose the nickname to reserve in this room.");
    xmpp::DataForm form;
    form.type = xmpp::FormType::form;
    form.title = "Room registration";
    form.set_form_type(std::string(ns::kMucRegister));
    xmpp::FormField& nick =
        form.add(std::string(kRoomNick), xmpp::FieldType::text_single, "Desired nickname");
    nick.required = true;
    reply.add_child(form.to_element());
    send(xmpp::iq_result(p.stanza, std::move(reply)));
    return;
  }

  if (q.child("remove", ns::kRegister) != nullptr) {
    // XEP-0077 §3.2: cancelling the registration. A member goes back to no affiliation (and
    // the nickname with the row); an admin or owner keeps the affiliation, so their
    // registration cannot be cancelled this way.
    if (current.empty()) {
      send_error(p.stanza, StanzaCondition::item_not_found, "Not registered");
      return;
    }
    if (aff != Affiliation::member) {
      send_error(p.stanza, StanzaCondition::not_allowed, "Ask an owner to change your affiliation");
      return;
    }
    AffChange change{bare, Affiliation::none, ""};
    RoomStore* store = env_.rooms;
    const std::string room = jid_.bare_string();
    const AffiliationRecord rec{bare, "none", "", ""};
    await_store([store, room, rec] { return store->set_affiliations(room, {rec}); },
                [this, p, change](Status s) {
                  if (!s) {
                    send_error(p.stanza, StanzaCondition::internal_server_error);
                    return;
                  }
                  apply_affiliation(change, "");
                  send(xmpp::iq_result(p.stanza));
                });
    return;
  }

  auto form = xmpp::find_data_form(q);
  if (!form || !*form || (*form)->type != xmpp::FormType::submit ||
      (*form)->form_type() != ns::kMucRegister) {
    send_error(p.stanza, StanzaCondition::bad_request, "Submit the muc#register form");
    return;
  }
  const xmpp::FormField* f = (*form)->field(kRoomNick);
  const std::string nick = f == nullptr ? std::string() : f->value();
  if (nick.empty() || !Jid::parse(jid_.bare_string() + "/" + nick)) {
    send_error(p.stanza, StanzaCondition::not_acceptable, "Not a valid nickname");
    return;
  }
  // §7.10: a nickname reserved by someone else, or in use by someone else, is a conflict.
  for (const auto& [jid, a] : affiliations_) {
    if (jid != bare && a.nick == nick) {
      send_error(p.stanza, StanzaCondition::conflict, "That nickname is registered");
      return;
    }
  }
  if (const Occupant* o = by_nick(nick); o != nullptr && o->bare.bare_string() != bare) {
    send_error(p.stanza, StanzaCondition::conflict, "That nickname is in use");
    return;
  }
  // An unaffiliated user becomes a member (§7.10); admins and owners keep their affiliation.
  const Affiliation new_aff = aff < Affiliation::member ? Affiliation::member : aff;
  const AffiliationRecord rec{bare, std::string(to_string(new_aff)),
                              it == affiliations_.end() ? std::string() : it->second.reason, nick};
  RoomStore* store = env_.rooms;
  const std::string room = jid_.bare_string();
  await_store([store, room, rec] { return store->set_affiliations(room, {rec}); },
              [this, p, rec, aff, new_aff](Status s) {
                if (!s) {
                  log(LogLevel::error,
                      "registering in " + jid_.bare_string() + " failed: " + s.error().message());
                  send_error(p.stanza, StanzaCondition::internal_server_error);
                  return;
                }
                if (aff != new_aff) {
                  // §7.10: occupants see the new affiliation in a presence update.
                  apply_affiliation({rec.jid, new_aff, rec.reason}, "");
                }
                affiliations_[rec.jid] = rec;
                send(xmpp::iq_result(p.stanza));
              });
}

void Room::on_reserved_nick(const Pending& p) {
  // §7.11: the registered nickname as the name of a conference/text identity; an empty query
  // when there is none.
  xmpp::DiscoInfo info;
  auto it = affiliations_.find(p.from.bare_string());
  if (it != affiliations_.end() && !it->second.nick.empty() &&
      it->second.affiliation != "outcast") {
    info.identities.push_back({"conference", "text", it->second.nick, ""});
  }
  send(xmpp::iq_result(p.stanza, info.to_query(std::string(kReservedNode))));
}

}  // namespace conclave::component
