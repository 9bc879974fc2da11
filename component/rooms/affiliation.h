#pragma once
// XEP-0045 §5: affiliations (long-lived, per bare JID) and roles (per visit).
#include <optional>
#include <string_view>

namespace conclave::component {

// Ordered by privilege, so `a >= Affiliation::admin` reads as "admin or owner".
enum class Affiliation { outcast, none, member, admin, owner };
enum class Role { none, visitor, participant, moderator };

std::string_view to_string(Affiliation a);
std::string_view to_string(Role r);
std::optional<Affiliation> affiliation_from(std::string_view s);
std::optional<Role> role_from(std::string_view s);

// The role a user gets on entering (XEP-0045 §5.1.2 defaults).
Role default_role(Affiliation a, bool moderated);

}  // namespace conclave::component
