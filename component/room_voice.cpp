// Voice requests in moderated rooms: a visitor asks for voice (XEP-0045 §7.13), the room
// sends an approval form to every moderator, and a moderator's approval makes the visitor a
// participant (§8.6, then §8.3's presence update).
#include "component/muc_ns.h"
#include "component/room.h"
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

}  // namespace

bool Room::on_request_form(const Pending& p) {
  auto parsed = xmpp::find_data_form(p.stanza);
  if (!parsed || !*parsed || (*parsed)->form_type() != ns::kMucRequest) return false;
  const xmpp::DataForm& form = **parsed;
  if (form.type != xmpp::FormType::submit) {
    send_error(p.stanza, StanzaCondition::bad_request);
    return true;
  }
  Occupant* sender = by_session(p.from);
  if (sender == nullptr) {
    send_error(p.stanza, StanzaCondition::not_acceptable, "You are not in the room");
    return true;
  }
  const xmpp::FormField* allow = form.field(kAllowVar);
  if (allow == nullptr) {
    // §7.13: a request. Only the role participant can be asked for, and only a visitor asks.
    const xmpp::FormField* role = form.field(kRoleVar);
    if (role == nullptr || role->value() != "participant") {
      send_error(p.stanza, StanzaCondition::bad_request, "Only voice can be requested");
      return true;
    }
    if (sender->role != Role::visitor) {
      send_error(p.stanza, StanzaCondition::not_acceptable, "You have voice already");
      return true;
    }
    const TimePoint now = env_.now();
    if (sender->voice_requested && now - *sender->voice_requested < env_.voice_request_interval) {
      // RFC 6120 §8.3.3.12: a local policy, worth retrying later (type wait).
      auto reply = xmpp::error_reply(
          p.stanza,
          xmpp::StanzaError{StanzaCondition::policy_violation, xmpp::ErrorType::wait,
                            "Voice was requested recently; the moderators have been asked",
                            std::nullopt});
      if (reply) send(std::move(*reply));
      log(LogLevel::info,
          "voice request in " + jid_.bare_string() + " refused: too soon after the last");
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
                 {"participant"});
    approval.add(
        std::string(kJidVar), xmpp::FieldType::jid_single, "User ID",
        {sender->sessions.empty() ? sender->bare.full() : sender->sessions.front().full()});
    approval.add(std::string(kNickVar), xmpp::FieldType::text_single, "Room nickname",
                 {sender->nick});
    approval.add(std::string(kAllowVar), xmpp::FieldType::boolean, "Grant voice", {"false"});
    const Element x = approval.to_element();
    for (const auto& o : occupants_) {
      if (o->role != Role::moderator) continue;
      Element m = xmpp::make_stanza("message", "", jid_.bare_string(), "", env_.new_id());
      m.add_child(x);
      send_to_sessions(*o, m);
    }
    log(LogLevel::debug, "voice request in " + jid_.bare_string());
    return true;
  }
  // §8.6: an answer to the approval form; only moderators give voice.
  if (sender->role != Role::moderator) {
    send_error(p.stanza, StanzaCondition::forbidden, "Only moderators approve voice requests");
    return true;
  }
  auto granted = allow->as_bool();
  if (!granted) {
    send_error(p.stanza, StanzaCondition::bad_request, "muc#request_allow is not a boolean");
    return true;
  }
  if (!*granted) return true;  // declined: nothing changes, nobody is told (§8.6)
  const xmpp::FormField* nick = form.field(kNickVar);
  Occupant* target = nick == nullptr ? nullptr : by_nick(nick->value());
  if (target == nullptr) {
    send_error(p.stanza, StanzaCondition::item_not_found, "No such occupant");
    return true;
  }
  // The form names a session too: if it no longer belongs to that nickname (the visitor left
  // and someone else took the nick), the approval is stale.
  if (const xmpp::FormField* j = form.field(kJidVar); j != nullptr && !j->value().empty()) {
    auto jid = Jid::parse(j->value());
    if (!jid || jid->bare_string() != target->bare.bare_string()) {
      send_error(p.stanza, StanzaCondition::item_not_found, "The occupant has changed");
      return true;
    }
  }
  if (target->role == Role::visitor) set_role(*target, Role::participant);
  return true;
}

void Room::set_role(Occupant& o, Role role) {
  o.role = role;
  broadcast_presence(o, {}, false, {110});  // §8.3: everyone sees the new role
}

}  // namespace conclave::component
