#pragma once
// check_groupchat: the delivery service's rules for groupchat messages in a room
// (docs/protocol.md §8). Pure; the room archives and reflects what passes, unchanged.
//
//   AM-1  a room with a group refuses a message with a <body/> but no <encrypted/>
//         (<not-acceptable/>); subject changes and bodiless messages (chat states) pass
//   AM-2  <encrypted/> in a room without a group: <not-acceptable/>
//   AM-3  <encrypted/> holds base64 of exactly one MLSMessage PrivateMessage: <bad-request/>
//   AM-4  content type application (handshakes go through the <commit/> IQ): <not-acceptable/>
//   AM-5  group id of the room's group: <not-acceptable/>
//   AM-6  current - window <= epoch <= current: else <not-acceptable/> + <wrong-epoch/>
//   AM-7  the sender's bare JID holds a leaf in the current epoch: <forbidden/>
// Tests: tests/component/ds_application_test.cpp.
#include <cstdint>
#include <string>

#include "component/ds/ds_error.h"
#include "component/ds/group_state.h"
#include "xmpp/element.h"

namespace conclave::component::ds {

// `group` is null when the room has no group; `message` is the received stanza.
DsStatus check_groupchat(const RoomGroup* group, const xmpp::Element& message,
                         const std::string& sender, std::uint64_t epoch_window);

}  // namespace conclave::component::ds
