#include "component/ds/room_link.h"

namespace conclave::component::ds {

void RoomLink::await(Room& room, std::function<Status()> blocking,
                     std::function<void(Status)> then) {
  room.await_store(std::move(blocking), std::move(then));
}

void RoomLink::reprocess(Room& room, xmpp::Element stanza, xmpp::Jid from, xmpp::Jid to) {
  room.process(Room::Pending{std::move(stanza), std::move(from), std::move(to), {}});
}

void RoomLink::reflect(Room& room, const xmpp::Element& message) { room.reflect(message); }

RoomPolicy RoomLink::policy(const Room& room) {
  RoomPolicy p;
  p.members_only = room.config().members_only;
  // The functions read the room when called: the policy is used at once, never stored.
  p.affiliation = [&room](const std::string& bare) { return room.affiliation_of(bare); };
  p.role = [&room](const std::string& bare) {
    Role best = Role::none;
    for (const auto& o : room.occupants_) {
      if (o->bare.bare_string() == bare && o->role > best) best = o->role;
    }
    return best;
  };
  return p;
}

RoomEnv& RoomLink::env(Room& room) { return room.env_; }

}  // namespace conclave::component::ds
