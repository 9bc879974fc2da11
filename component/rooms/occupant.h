#pragma once
// Occupant: one nickname in a room, with the sessions (full JIDs) joined under it. Kind-neutral:
// a MUC room's occupants today, a MIX channel's participants' sessions later.
#include <optional>
#include <string>
#include <vector>

#include "component/core/stanza_util.h"
#include "component/rooms/affiliation.h"
#include "xmpp/element.h"
#include "xmpp/jid.h"

namespace conclave::component {

struct Occupant {
  std::string nick;
  xmpp::Jid bare;
  std::vector<xmpp::Jid> sessions;  // full JIDs joined under this nick
  // Federated rooms (XEP-0289, docs/federation.md §2): the bare JID of the FMUC node through
  // which a remote occupant is reached; its one session is its real JID as that node named it.
  // Empty for an occupant joined here. Stanzas for a remote occupant go to its node once per
  // event, never to its session directly.
  std::string node;
  Role role = Role::participant;
  std::string occupant_id;  // XEP-0421, computed once on entry (an HMAC per stanza would add up)
  std::vector<xmpp::Element> presence_extra;  // <show/>, <status/>, <c/>... of the last presence
  std::optional<TimePoint> voice_requested;   // when this occupant last asked for voice
};

}  // namespace conclave::component
