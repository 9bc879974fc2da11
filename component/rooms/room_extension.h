#pragma once
// RoomExtension: a service that attaches to every room through hooks, without the room kind
// naming it: the MLS delivery service (ds/) today, a federation link later. app/ registers the
// extensions with the room service (RoomEnv::extensions); each hook has a neutral default.
//
// Threading: I/O thread only; room hooks run inside the room's serial processing.
#include <string>

#include "component/rooms/group_host.h"
#include "xmpp/data_form.h"
#include "xmpp/disco.h"
#include "xmpp/element.h"
#include "xmpp/jid.h"

namespace conclave::component {

class RoomExtension {
 public:
  virtual ~RoomExtension() = default;

  // --- the service domain ---
  // on_service_iq: an iq to the service domain; true when the extension answered it.
  virtual bool on_service_iq(const xmpp::Element& /*stanza*/) { return false; }
  // describe_service: disco#info additions of the service JID.
  virtual void describe_service(xmpp::DiscoInfo& /*info*/) const {}

  // --- one room ---
  // describe_room: disco#info additions of a room (features; muc#roominfo fields).
  virtual void describe_room(const GroupHost& /*room*/, xmpp::DiscoInfo& /*info*/,
                             xmpp::DataForm& /*form*/) const {}
  // intercept_iq: an iq request to the room's bare JID, before the room looks at it. True when
  // the extension took it (answered it, or will reprocess it later).
  virtual bool intercept_iq(GroupHost& /*room*/, const xmpp::Element& /*stanza*/,
                            const xmpp::Jid& /*from*/, const xmpp::Jid& /*to*/) {
    return false;
  }
  // admit_groupchat: a groupchat message from an occupant with voice. False when the room must
  // not handle it now: refused (the extension sent the error) or deferred (it will reprocess it).
  virtual bool admit_groupchat(GroupHost& /*room*/, const xmpp::Element& /*stanza*/,
                               const xmpp::Jid& /*from*/, const xmpp::Jid& /*to*/) {
    return true;
  }
  // membership_changed: affiliations or the members-only setting changed.
  virtual void membership_changed(GroupHost& /*room*/) {}
  // room_gone: the room was destroyed, or was temporary and emptied; drop what is cached for it.
  virtual void room_gone(const RoomJid& /*room*/) {}
};

}  // namespace conclave::component
