#pragma once
// GroupHost: what the delivery service (and later federation) needs from a room that carries an
// MLS group, whatever its kind: a MUC room (muc::Room) today, a MIX channel next. Implemented by
// the room kinds; ds/ sees rooms only through it, so it never names muc/.
//
// Threading: I/O thread only, inside the host's serial processing (queue()).
#include <cstdlib>

#include "component/core/room_jid_of.h"
#include "component/core/serial_queue.h"
#include "component/rooms/room_policy.h"
#include "xmpp/element.h"
#include "xmpp/jid.h"

namespace conclave::component {

class GroupHost {
 public:
  virtual ~GroupHost() = default;
  virtual const xmpp::Jid& jid() const = 0;
  // room_jid: jid() as the stores key the room. A host's JID is a room's bare JID (node@domain)
  // by construction (MucService sends node-less addresses to the service and makes rooms from
  // a stanza's bare `to`), so a failure is a bug: abort (docs/style.md P6).
  RoomJid room_jid() const {
    auto r = room_jid_of(jid());
    if (!r) std::abort();
    return std::move(*r);
  }
  // policy: the room's membership rules, read when called (never stored: it reads the room).
  virtual RoomPolicy policy() const = 0;
  // queue: the room's serial queue; an extension's store round trip goes through its await, so
  // the room handles no other stanza in between.
  virtual SerialQueue& queue() = 0;
  // in_room: whether `session` (a full JID) is one of the room's occupant sessions.
  virtual bool in_room(const xmpp::Jid& session) const = 0;
  // reflect: sends `message` to every occupant session (a groupchat fan-out).
  virtual void reflect(const xmpp::Element& message) = 0;
  // group_created: the room now holds an MLS group, so it must outlive its occupants' sessions
  // (docs/protocol.md §6.5): a temporary room becomes persistent (the store did the same in the
  // group's own transaction) and refuses to become temporary again.
  virtual void group_created() = 0;
  // reprocess: handles `stanza` again from the start (e.g. after the group state was loaded).
  virtual void reprocess(xmpp::Element stanza, xmpp::Jid from, xmpp::Jid to) = 0;
};

}  // namespace conclave::component
