// Moderated message retraction (XEP-0425): a moderator asks the room to retract a groupchat
// message, named by the stanza-id the room gave it (XEP-0359). The room replaces the archived
// message with a tombstone (the body and every payload gone, the ids kept), archives and
// broadcasts a retraction, and drops the message from the join history.
//
// docs/xmpp.md (XEP-0045, Moderation); this follows version 0.3.0 (2023-03-02,
// urn:xmpp:message-moderate:1 with XEP-0424's urn:xmpp:message-retract:1) and also accepts and
// emits the 0.2.1 form (moderate:0 inside XEP-0422 apply-to), which Conversations and older
// Gajim releases speak. Both forms go out in one message, as Prosody's module does.
#include "component/muc/room.h"
#include "component/muc/room_feature.h"
#include "component/rooms/namespaces.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::component {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;

namespace {

struct Moderation {
  std::string stanza_id;
  std::string reason;
  std::string by;           // the moderator's occupant JID
  std::string occupant_id;  // the moderator's XEP-0421 id
  std::string stamp;        // XEP-0082, when the room retracted it
};

// The 0.3.0 <moderated/> inside <retract/> and <retracted/>.
Element moderated_v1(const Moderation& m) {
  Element e("moderated", std::string(ns::kModerate));
  e.set_attr("by", m.by);
  e.add_child("occupant-id", std::string(ns::kOccupantId)).set_attr("id", m.occupant_id);
  return e;
}

void add_reason(Element& parent, std::string_view ns, const std::string& reason) {
  if (!reason.empty()) parent.add_child("reason", std::string(ns)).set_text(reason);
}

// tombstone: the archived message (jabber:client) with its content replaced (XEP-0425 §5 /
// 0.2.1 §4): the stanza attributes and the ids stay so that clients can match it, everything
// the sender wrote goes.
Element tombstone(const Element& original, const Moderation& m) {
  Element t(original.name(), std::string(original.ns()));
  for (const auto& a : original.attributes()) t.set_attr(a.name, a.value);
  for (const Element& c : original.children()) {
    if (c.is("stanza-id", ns::kStanzaId) || c.is("origin-id", ns::kStanzaId) ||
        c.is("occupant-id", ns::kOccupantId)) {
      t.add_child(c);
    }
  }
  Element& r1 = t.add_child("retracted", std::string(ns::kRetract));
  r1.set_attr("stamp", m.stamp);
  r1.add_child(moderated_v1(m));
  add_reason(r1, ns::kModerate, m.reason);
  Element& m0 = t.add_child("moderated", std::string(ns::kModerate0));
  m0.set_attr("by", m.by);
  m0.add_child("retracted", std::string(ns::kRetract0)).set_attr("stamp", m.stamp);
  add_reason(m0, ns::kModerate0, m.reason);
  return t;
}

// announcement: what occupants receive (component namespace), both versions in one message.
Element announcement(const std::string& room, const std::string& id, const Moderation& m) {
  Element msg = xmpp::make_stanza("message", "groupchat", room, "", id);
  Element& r1 = msg.add_child("retract", std::string(ns::kRetract));
  r1.set_attr("id", m.stanza_id);
  r1.add_child(moderated_v1(m));
  add_reason(r1, ns::kModerate, m.reason);
  Element& apply = msg.add_child("apply-to", std::string(ns::kFasten));
  apply.set_attr("id", m.stanza_id);
  Element& m0 = apply.add_child("moderated", std::string(ns::kModerate0));
  m0.set_attr("by", m.by);
  m0.add_child("retract", std::string(ns::kRetract0));
  add_reason(m0, ns::kModerate0, m.reason);
  // XEP-0334: archive it although it has no body (clients catching up by MAM learn of it).
  msg.add_child("store", std::string(ns::kHints));
  return msg;
}

void moderate_iq(Room& room, const Element& iq, const Jid& from, const Element& q) {
  Moderation m;
  const Element* retract = nullptr;
  if (q.is("moderate", ns::kModerate)) {
    m.stanza_id = q.attr_or("id");
    retract = q.child("retract", ns::kRetract);
    m.reason = q.child_text("reason", ns::kModerate);
  } else if (const Element* mod0 = q.child("moderate", ns::kModerate0)) {
    m.stanza_id = q.attr_or("id");  // <apply-to id=…> (0.2.1)
    retract = mod0->child("retract", ns::kRetract0);
    m.reason = mod0->child_text("reason", ns::kModerate0);
  }
  if (m.stanza_id.empty() || retract == nullptr) {
    room.send_error(iq, StanzaCondition::bad_request, "Expected a retraction with an id");
    return;
  }
  const Occupant* actor = room.by_session(from);
  if (actor == nullptr || actor->role != Role::moderator) {
    room.send_error(iq, StanzaCondition::forbidden, "Only moderators may retract messages");
    return;
  }
  m.by = room.occupant_jid(actor->nick);
  m.occupant_id = actor->occupant_id;
  m.stamp = format_timestamp(room.now());

  const RoomJid room_jid = room.room_jid();
  Element notice = announcement(room_jid.str(), room.new_id(), m);
  const std::string sid = room.new_id();
  notice.add_child("stanza-id", std::string(ns::kStanzaId))
      .set_attr("id", sid)
      .set_attr("by", room_jid.str());
  ArchivedMessage row;
  row.room = room_jid;
  row.stanza_id = sid;
  row.ts = room.now();
  row.from_nick = "";  // from the room itself
  row.stanza = xmpp::to_string(with_namespace(notice, kComponentNs, ns::kClient));

  RoomStore* rooms = room.env().rooms;
  // Stage (the tombstone is computed from the stored row, inside the store's transaction, which
  // also archives the notice), persist, then tell the occupants (docs/style.md P9).
  auto missing = std::make_shared<bool>(false);
  room.await<Status>(
      [rooms, room_jid, m, row, missing]() -> Status {
        auto tombstoner = [&m](const std::string& xml) {
          auto original = parse_stanza_xml(xml);
          if (!original) return std::optional<std::string>();
          return std::optional<std::string>(xmpp::to_string(tombstone(*original, m)));
        };
        auto replaced = rooms->tombstone_message(room_jid, m.stanza_id, tombstoner, row);
        if (!replaced) {
          *missing = replaced.error() == make_error_code(StoreErrc::not_found);
          return fail(replaced.error());
        }
        return {};
      },
      [&room, iq, notice, m, missing](Status s) {
        if (!s) {
          if (*missing) {
            room.send_error(iq, StanzaCondition::item_not_found, "No such message");
            return;
          }
          room.log(LogLevel::error, "retracting a message in " + room.jid().bare_string() +
                                        " failed: " + s.error().message());
          room.send_error(iq, StanzaCondition::internal_server_error);
          return;
        }
        room.forget_history(m.stanza_id);
        room.reflect(notice);
        room.send(xmpp::iq_result(iq));
        room.log(LogLevel::info, "message retracted by a moderator in " + room.jid().bare_string());
      });
}

class ModerationFeature final : public RoomFeature {
 public:
  void describe(const Room&, xmpp::DiscoInfo& info) const override {
    info.add_feature(ns::kModerate);
    info.add_feature(ns::kModerate0);
  }

  bool on_iq(Room& room, const Element& iq, const Jid& from, const Element& q) const override {
    if (xmpp::iq_type_of(iq) != xmpp::IqType::set ||
        !(q.is("moderate", ns::kModerate) || q.is("apply-to", ns::kFasten))) {
      return false;
    }
    moderate_iq(room, iq, from, q);
    return true;
  }
};

}  // namespace

const RoomFeature& moderation_feature() {
  static const ModerationFeature feature;
  return feature;
}

}  // namespace conclave::component
