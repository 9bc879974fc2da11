#pragma once
// Affiliation: XEP-0045 §5.2, a user's long-lived standing in a room, per bare JID. Here, at the
// bottom of the component, because the room store's records carry it (AffiliationRecord) and
// db/ sees only store/; roles, which are per visit and never stored, stay in
// component/rooms/affiliation.h with the rules that combine the two.
#include <optional>
#include <string_view>

namespace conclave::component {

// Ordered by privilege, so `a >= Affiliation::admin` reads as "admin or owner".
enum class Affiliation { outcast, none, member, admin, owner };

// to_string: the XEP-0045 name ("owner", ..., "none"), for stanzas and the database.
std::string_view to_string(Affiliation a);
// affiliation_from: the affiliation named `s`; nullopt for any other text.
std::optional<Affiliation> affiliation_from(std::string_view s);

}  // namespace conclave::component
