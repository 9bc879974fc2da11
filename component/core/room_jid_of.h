#pragma once
// room_jid_of: the way from a parsed, normalised xmpp::Jid to the stores' RoomJid
// (component/store/room_jid.h). Here, in core/, because store/ sees no xmpp/.
#include "component/store/room_jid.h"
#include "xmpp/jid.h"

namespace conclave::component {

// room_jid_of: `jid` as a room address. Error (std::errc::invalid_argument): `jid` has no node
// (a domain is a service, not a room) or has a resource (an occupant, not the room).
inline Result<RoomJid> room_jid_of(const xmpp::Jid& jid) {
  if (jid.node().empty() || !jid.resource().empty()) {
    return fail(std::make_error_code(std::errc::invalid_argument));
  }
  return RoomJid::parse(jid.bare_string());
}

}  // namespace conclave::component
