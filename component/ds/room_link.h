#pragma once
// RoomLink: the delivery service's access to a Room's internals (a friend of Room), so the
// hooks in the room files stay one line each. Everything here runs on the I/O thread, inside
// the room's serial processing.
#include <functional>
#include <string>

#include "component/ds/room_policy.h"
#include "component/room.h"

namespace conclave::component::ds {

class RoomLink {
 public:
  // await: `blocking` on a database thread, then `then` on the I/O thread; the room handles
  // no other stanza in between (Room::await_store).
  static void await(Room& room, std::function<Status()> blocking, std::function<void(Status)> then);
  // reprocess: handles `stanza` again from the start (after the group state was loaded).
  static void reprocess(Room& room, xmpp::Element stanza, xmpp::Jid from, xmpp::Jid to);
  // reflect: sends `message` to every occupant session.
  static void reflect(Room& room, const xmpp::Element& message);
  static RoomPolicy policy(const Room& room);
  static RoomEnv& env(Room& room);
};

}  // namespace conclave::component::ds
