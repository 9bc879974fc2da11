// A room that holds an MLS group (docs/protocol.md §6.5, BR-12): its group is the members'
// shared state (ratchet tree, commit log, archive of ciphertexts), so it must outlive every
// session. Creating the group makes the room persistent (the store flips the flag in the
// group's own transaction); the room then never ends because its occupants left (XEP-0045
// §10.1.3 does that only to temporary rooms) and refuses to become temporary again. Only an
// owner's destroy (§10.9) or the admin command ends the room, and its group with it.
#include "component/muc/room.h"

namespace conclave::component {

void Room::group_created() {
  holds_group_ = true;
  if (config_.persistent) return;
  config_.persistent = true;
  log(LogLevel::info, "room " + jid_.bare_string() + " holds an MLS group: now persistent");
  // XEP-0045 §10.2.1: occupants learn of a configuration change (status 104); an owner's
  // disco#info shows muc_persistent from now on.
  if (!locked_) send_status_message({104});
}

std::optional<Refusal> Room::group_refuses_config(const RoomConfig& staged) const {
  if (holds_group_ && !staged.fmuc_home.empty()) {
    // A mirror keeps no group of its own (room_fmuc.cpp): the room's members would fork.
    return Refusal{xmpp::StanzaCondition::not_acceptable,
                   "This room holds an MLS group; it cannot become a mirror of another room"};
  }
  if (!holds_group_ || staged.persistent) return std::nullopt;
  return Refusal{xmpp::StanzaCondition::not_acceptable,
                 "This room holds an MLS group and stays persistent; destroy the room to end "
                 "its group"};
}

}  // namespace conclave::component
