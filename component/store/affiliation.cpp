#include "component/store/affiliation.h"

namespace conclave::component {

std::string_view to_string(Affiliation a) {
  switch (a) {
    case Affiliation::outcast:
      return "outcast";
    case Affiliation::none:
      return "none";
    case Affiliation::member:
      return "member";
    case Affiliation::admin:
      return "admin";
    case Affiliation::owner:
      return "owner";
  }
  return "none";
}

std::optional<Affiliation> affiliation_from(std::string_view s) {
  if (s == "outcast") return Affiliation::outcast;
  if (s == "none") return Affiliation::none;
  if (s == "member") return Affiliation::member;
  if (s == "admin") return Affiliation::admin;
  if (s == "owner") return Affiliation::owner;
  return std::nullopt;
}

}  // namespace conclave::component
