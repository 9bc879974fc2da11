#include "component/rooms/affiliation.h"

namespace conclave::component {

std::string_view to_string(Role r) {
  switch (r) {
    case Role::none:
      return "none";
    case Role::visitor:
      return "visitor";
    case Role::participant:
      return "participant";
    case Role::moderator:
      return "moderator";
  }
  return "none";
}

std::optional<Role> role_from(std::string_view s) {
  if (s == "none") return Role::none;
  if (s == "visitor") return Role::visitor;
  if (s == "participant") return Role::participant;
  if (s == "moderator") return Role::moderator;
  return std::nullopt;
}

Role default_role(Affiliation a, bool moderated) {
  if (a >= Affiliation::admin) return Role::moderator;  // §5.1.2: owners and admins moderate
  if (a == Affiliation::member || !moderated) return Role::participant;
  return Role::visitor;
}

}  // namespace conclave::component
