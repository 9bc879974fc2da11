#pragma once
// XEP-0045 §5: affiliations (long-lived, per bare JID) and roles (per visit). Affiliation itself
// is declared in component/store/affiliation.h, because the room store keeps it.
#include <optional>
#include <string_view>

#include "component/store/affiliation.h"

namespace conclave::component {

enum class Role { none, visitor, participant, moderator };

std::string_view to_string(Role r);
std::optional<Role> role_from(std::string_view s);

// The role a user gets on entering (XEP-0045 §5.1.2 defaults).
Role default_role(Affiliation a, bool moderated);

}  // namespace conclave::component
