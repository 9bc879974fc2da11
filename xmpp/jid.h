#pragma once
// Jid: an XMPP address normalised once (RFC 7622 §3 with the RFC 6122 stringprep profiles, as
// Prosody and ejabberd do): nodeprep for the localpart, nameprep for the domainpart, resourceprep
// for the resourcepart. Two Jids compare equal exactly when they address the same entity.
#include <compare>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "xmpp/result.h"

namespace conclave::xmpp {

inline constexpr std::size_t kMaxJidPartBytes = 1023;  // RFC 7622 §3.2-§3.4

class Jid {
 public:
  Jid() = default;

  // Parses "[node@]domain[/resource]". Fails with invalid_jid (empty part, forbidden character,
  // bad UTF-8, prohibited code point) or jid_part_too_long.
  static Result<Jid> parse(std::string_view text);
  // Prepares and validates each part; an empty node or resource means "absent".
  static Result<Jid> from_parts(std::string_view node, std::string_view domain,
                                std::string_view resource = {});

  const std::string& node() const { return node_; }
  const std::string& domain() const { return domain_; }
  const std::string& resource() const { return resource_; }
  bool empty() const { return domain_.empty(); }
  bool is_bare() const { return resource_.empty(); }

  Jid bare() const;  // without the resource
  Result<Jid> with_resource(std::string_view resource) const;
  std::string full() const;         // node@domain/resource
  std::string bare_string() const;  // node@domain

  auto operator<=>(const Jid&) const = default;
  bool operator==(const Jid&) const = default;

 private:
  std::string node_;
  std::string domain_;
  std::string resource_;
};

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points > U+10FFFF).
bool is_valid_utf8(std::string_view s);

struct JidHash {
  std::size_t operator()(const Jid& j) const noexcept { return std::hash<std::string>{}(j.full()); }
};

}  // namespace conclave::xmpp
