// Voice requests in moderated rooms: a visitor asks for voice (XEP-0045 §7.13), the room
// sends an approval form to every moderator, and a moderator's approval makes the visitor a
// participant (§8.6, then §8.3's presence update).
#include "component/muc/room.h"
#include "component/muc/room_feature.h"
#include "component/rooms/namespaces.h"
#include "xmpp/namespaces.h"

namespace conclave::component {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;

namespace {

constexpr std::string_view kRoleVar = "muc#role";
constexpr std::string_view kJidVar = "muc#jid";
constexpr std::string_view kNickVar = "muc#roomnick";
constexpr std::string_view kAllowVar = "muc#request_allow";

bool voice_request(Room& room, const Element& message, const Jid& from) {
  auto parsed = xmpp::find_data_form(message);
  if (!parsed || !*parsed || (*parsed)->form_type() != ns::kMucRequest) return false;
  const xmpp::DataForm& form = **parsed;
  if (form.type != xmpp::FormType::submit) {
    room.send_error(message, StanzaCondition::bad_request);
    return true;
  }
  Occupant* sender = room.by_session(from);
  if (sender == nullptr) {
    room.send_error(message, StanzaCondition::not_acceptable, "You are not in the room");
    return true;
  }
  const xmpp::FormField* allow = form.field(kAllowVar);
  if (allow == nullptr) {
    // §7.13: a request. Only the role participant can be asked for, and only a visitor asks.
    const xmpp::FormField* role = form.field(kRoleVar);
    if (role == nullptr || role_from(role->value()) != Role::participant) {
      room.send_error(message, StanzaCondition::bad_request, "Only voice can be requested");
      return true;
    }
    if (sender->role != Role::visitor) {
      room.send_error(message, StanzaCondition::not_acceptable, "You have voice already");
      return true;
    }
    const TimePoint now = room.now();
    if (sender->voice_requested &&
        now - *sender->voice_requested < room.env().voice_request_interval) {
      // RFC 6120 §8.3.3.12: a local policy, worth retrying later (type wait).
      auto reply = xmpp::error_reply(
          message, xmpp::StanzaError{StanzaCondition::policy_violation, xmpp::ErrorType::wait,
                                     "Voice was requested recently; the moderators have been asked",
                                     std::nullopt});
      if (reply) room.send(std::move(*reply));
      room.log(LogLevel::info, "voice request in " + room.jid().bare_string() +
                                   " refused: too soon after the last");
      return true;
    }
    sender->voice_requested = now;
    // §8.6: the approval form, to each moderator (moderators may see real JIDs).
    xmpp::DataForm approval;
    approval.type = xmpp::FormType::form;
    approval.title = "Voice request";
    approval.instructions.push_back(
        "To grant voice to this occupant, set \"Grant voice\" and submit the form.");
    approval.set_form_type(std::string(ns::kMucRequest));
    approval.add(std::string(kRoleVar), xmpp::FieldType::list_single, "Requested role",
                 {std::string(to_string(Role::participant))});
    approval.add(
        std::string(kJidVar), xmpp::FieldType::jid_single, "User ID",
        {sender->sessions.empty() ? sender->bare.full() : sender->sessions.front().full()});
    approval.add(std::string(kNickVar), xmpp::FieldType::text_single, "Room nickname",
                 {sender->nick});
    approval.add(std::string(kAllowVar), xmpp::FieldType::boolean, "Grant voice", {"false"});
    const Element x = approval.to_element();
    for (const auto& o : room.occupants()) {
      if (o->role != Role::moderator) continue;
      Element m = xmpp::make_stanza("message", "", room.jid().bare_string(), "", room.new_id());
      m.add_child(x);
      room.send_to_sessions(*o, m);
    }
    room.log(LogLevel::debug, "voice request in " + room.jid().bare_string());
    return true;
  }
  // §8.6: an answer to the approval form; only moderators give voice.
  if (sender->role != Role::moderator) {
    room.send_error(message, StanzaCondition::forbidden, "Only moderators approve voice requests");
    return true;
  }
  auto granted = allow->as_bool();
  if (!granted) {
    room.send_error(message, StanzaCondition::bad_request, "muc#request_allow is not a boolean");
    return true;
  }
  if (!*granted) return true;  // declined: nothing changes, nobody is told (§8.6)
  const xmpp::FormField* nick = form.field(kNickVar);
  Occupant* target = nick == nullptr ? nullptr : room.by_nick(nick->value());
  if (target == nullptr) {
    room.send_error(message, StanzaCondition::item_not_found, "No such occupant");
    return true;
  }
  // The form names a session too: if it no longer belongs to that nickname (the visitor left
  // and someone else took the nick), the approval is stale.
  if (const xmpp::FormField* j = form.field(kJidVar); j != nullptr && !j->value().empty()) {
    auto jid = Jid::parse(j->value());
    if (!jid || jid->bare_string() != target->bare.bare_string()) {
      room.send_error(message, StanzaCondition::item_not_found, "The occupant has changed");
      return true;
    }
  }
  if (target->role == Role::visitor) room.set_role(*target, Role::participant);
  return true;
}

class VoiceRequestFeature final : public RoomFeature {
 public:
  bool on_message(Room& room, const Element& message, const Jid& from) const override {
    return voice_request(room, message, from);
  }
};

}  // namespace

const RoomFeature& voice_request_feature() {
  static const VoiceRequestFeature feature;
  return feature;
}

}  // namespace conclave::component
