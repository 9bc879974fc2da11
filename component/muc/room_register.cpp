// Room registration (XEP-0045 §7.10, through XEP-0077 jabber:iq:register) and discovery of the
// reserved nickname (§7.11). A registration makes the user a member and reserves the nickname:
// anyone else joining with it, or changing to it, gets <conflict/> (check_join below). The
// nickname is stored with the affiliation row (room_affiliations.nick).
#include "component/muc/room.h"
#include "component/muc/room_feature.h"
#include "component/muc/room_nickname.h"
#include "component/rooms/namespaces.h"
#include "xmpp/disco.h"
#include "xmpp/namespaces.h"

namespace conclave::component {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;

namespace {

constexpr std::string_view kRoomNick = "muc#register_roomnick";
constexpr std::string_view kReservedNode = "x-roomuser-item";  // §7.11

void register_iq(Room& room, const Element& iq, const Jid& from, const Element& q) {
  const std::string bare = from.bare_string();
  const Affiliation aff = room.affiliation_of(bare);
  // §7.10: outcasts may not register; in a members-only room registering would be a way in,
  // so there only those already on the member list (or above) may register a nickname.
  if (aff == Affiliation::outcast || (room.config().members_only && aff < Affiliation::member)) {
    room.send_error(iq, StanzaCondition::not_allowed, "You may not register with this room");
    return;
  }
  const AffiliationRecord* row = room.affiliation_row(bare);
  const std::string current = row == nullptr ? std::string() : row->nick;

  if (xmpp::iq_type_of(iq) == xmpp::IqType::get) {
    Element reply("query", std::string(ns::kRegister));
    if (!current.empty()) {
      // XEP-0077 §3.1 / §7.10: already registered, with the nickname as the username.
      reply.add_child("registered", std::string(ns::kRegister));
      reply.add_child("username", std::string(ns::kRegister)).set_text(current);
      room.send(xmpp::iq_result(iq, std::move(reply)));
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
    room.send(xmpp::iq_result(iq, std::move(reply)));
    return;
  }

  if (q.child("remove", ns::kRegister) != nullptr) {
    // XEP-0077 §3.2: cancelling the registration. A member goes back to no affiliation (and
    // the nickname with the row); an admin or owner keeps the affiliation, so their
    // registration cannot be cancelled this way.
    if (current.empty()) {
      room.send_error(iq, StanzaCondition::item_not_found, "Not registered");
      return;
    }
    if (aff != Affiliation::member) {
      room.send_error(iq, StanzaCondition::not_allowed, "Ask an owner to change your affiliation");
      return;
    }
    Room::AffChange change{bare, Affiliation::none, ""};
    RoomStore* store = room.env().rooms;
    const RoomJid room_jid = room.room_jid();
    const AffiliationRecord rec{bare, Affiliation::none, "", ""};
    room.await<Status>([store, room_jid, rec] { return store->set_affiliations(room_jid, {rec}); },
                       [&room, iq, change](Status s) {
                         if (!s) {
                           room.send_error(iq, StanzaCondition::internal_server_error);
                           return;
                         }
                         room.apply_affiliation(change, {});
                         room.send(xmpp::iq_result(iq));
                       });
    return;
  }

  auto form = xmpp::find_data_form(q);
  if (!form || !*form || (*form)->type != xmpp::FormType::submit ||
      (*form)->form_type() != ns::kMucRegister) {
    room.send_error(iq, StanzaCondition::bad_request, "Submit the muc#register form");
    return;
  }
  const xmpp::FormField* f = (*form)->field(kRoomNick);
  const std::string nick = f == nullptr ? std::string() : f->value();
  // §17.1: a nickname that shows nothing is no nickname, here as on join (room_nickname.h).
  if (!visible_nickname(nick) || !Jid::parse(room.jid().bare_string() + "/" + nick)) {
    room.send_error(iq, StanzaCondition::not_acceptable, "Not a valid nickname");
    return;
  }
  // §7.10: a nickname reserved by someone else, or in use by someone else, is a conflict.
  for (const auto& [jid, a] : room.affiliation_rows()) {
    if (jid != bare && a.nick == nick) {
      room.send_error(iq, StanzaCondition::conflict, "That nickname is registered");
      return;
    }
  }
  if (const Occupant* o = room.by_nick(nick); o != nullptr && o->bare.bare_string() != bare) {
    room.send_error(iq, StanzaCondition::conflict, "That nickname is in use");
    return;
  }
  // An unaffiliated user becomes a member (§7.10); admins and owners keep their affiliation.
  const Affiliation new_aff = aff < Affiliation::member ? Affiliation::member : aff;
  const AffiliationRecord rec{bare, new_aff, row == nullptr ? std::string() : row->reason, nick};
  RoomStore* store = room.env().rooms;
  const RoomJid room_jid = room.room_jid();
  room.await<Status>([store, room_jid, rec] { return store->set_affiliations(room_jid, {rec}); },
                     [&room, iq, rec, aff, new_aff](Status s) {
                       if (!s) {
                         room.log(LogLevel::error, "registering in " + room.jid().bare_string() +
                                                       " failed: " + s.error().message());
                         room.send_error(iq, StanzaCondition::internal_server_error);
                         return;
                       }
                       if (aff != new_aff) {
                         // §7.10: occupants see the new affiliation in a presence update.
                         room.apply_affiliation({rec.jid, new_aff, rec.reason}, {});
                       }
                       room.remember_affiliation_row(rec);
                       room.send(xmpp::iq_result(iq));
                     });
}

void reserved_nick_iq(Room& room, const Element& iq, const Jid& from) {
  // §7.11: the registered nickname as the name of a conference/text identity; an empty query
  // when there is none.
  xmpp::DiscoInfo info;
  const AffiliationRecord* row = room.affiliation_row(from.bare_string());
  if (row != nullptr && !row->nick.empty() && row->affiliation != Affiliation::outcast) {
    info.identities.push_back({"conference", "text", row->nick, ""});
  }
  room.send(xmpp::iq_result(iq, info.to_query(std::string(kReservedNode))));
}

class RegistrationFeature final : public RoomFeature {
 public:
  void describe(const Room&, xmpp::DiscoInfo& info) const override {
    info.add_feature(ns::kRegister);
  }

  bool on_iq(Room& room, const Element& iq, const Jid& from, const Element& q) const override {
    if (q.is("query", ns::kRegister)) {
      register_iq(room, iq, from, q);
      return true;
    }
    if (xmpp::iq_type_of(iq) == xmpp::IqType::get && q.is("query", xmpp::ns::kDiscoInfo) &&
        q.attr_or("node") == kReservedNode) {
      reserved_nick_iq(room, iq, from);
      return true;
    }
    return false;
  }

  // §7.10: a nickname registered by someone else is theirs, for joins and nick changes alike.
  std::optional<Refusal> check_join(const Room& room, const JoinRequest& join) const override {
    const std::string bare = join.from.bare_string();
    for (const auto& [jid, a] : room.affiliation_rows()) {
      if (!a.nick.empty() && a.nick == join.nick && jid != bare) {
        return Refusal{StanzaCondition::conflict, "That nickname is registered"};
      }
    }
    return std::nullopt;
  }
};

}  // namespace

const RoomFeature& registration_feature() {
  static const RegistrationFeature feature;
  return feature;
}

}  // namespace conclave::component
