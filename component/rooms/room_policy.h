#pragma once
// RoomPolicy: what the delivery service's rules read from a room (XEP-0045 §5 for MUC):
// affiliations by bare JID, the highest current role of a bare JID's occupants, and whether
// the room is members-only. A plain value, so the checks are testable without a Room.
#include <functional>
#include <string>

#include "component/rooms/affiliation.h"

namespace conclave::component {

struct RoomPolicy {
  bool members_only = false;
  std::function<Affiliation(const std::string& bare)> affiliation;
  std::function<Role(const std::string& bare)> role;  // Role::none when not an occupant

  // may_be_in_group: docs/protocol.md "Business rules" BR-1: never an outcast; in a
  // members-only room, member or better.
  bool may_be_in_group(const std::string& bare) const {
    const Affiliation a = affiliation(bare);
    if (a == Affiliation::outcast) return false;
    return !members_only || a >= Affiliation::member;
  }
  // may_remove: BR-4: `actor` may remove a leaf of `target` when it is its own, when the room
  // no longer allows the target, when the actor is admin/owner at least as high as the
  // target, or when the actor is a moderator and the target is neither admin nor owner
  // (XEP-0045 §8.2: moderators cannot kick admins or owners).
  bool may_remove(const std::string& actor, const std::string& target) const {
    if (actor == target || !may_be_in_group(target)) return true;
    const Affiliation a = affiliation(actor);
    const Affiliation t = affiliation(target);
    if (a >= Affiliation::admin && a >= t) return true;
    return role(actor) == Role::moderator && t < Affiliation::admin;
  }
};

}  // namespace conclave::component
