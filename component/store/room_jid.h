#pragma once
// RoomJid: the address of a room as the component's stores key it: a bare JID node@domain (no
// resource), already normalised (RFC 7622). A type of its own so a room's address is not mixed
// up with a user's JID, an occupant JID or any other string on its way into a store. It lives
// here, at the bottom of the component, because the store interfaces take it; store/ cannot see
// xmpp::Jid, so parse() checks the shape only and expects normalised input (what the database
// holds, or Jid::bare_string()). From an xmpp::Jid: room_jid_of (component/core/room_jid_of.h).
#include <compare>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "component/store/result.h"

namespace conclave::component {

class RoomJid {
 public:
  // Empty: a placeholder in a record being filled, as xmpp::Jid() is; parse() never returns an
  // empty RoomJid, so one reaching a store is a bug.
  RoomJid() = default;
  // parse: `text` as a room's bare JID: a non-empty node and a non-empty domain around one '@',
  // no '/', no whitespace or control characters, each part at most 1023 bytes (RFC 7622 §3.1).
  // Error: std::errc::invalid_argument.
  static Result<RoomJid> parse(std::string_view text);

  // str: "node@domain", for SQL, stanza addresses and logs.
  const std::string& str() const { return value_; }
  std::string_view node() const { return std::string_view(value_).substr(0, at_); }
  std::string_view domain() const {
    return empty() ? std::string_view() : std::string_view(value_).substr(at_ + 1);
  }
  bool empty() const { return value_.empty(); }

  friend bool operator==(const RoomJid& a, const RoomJid& b) { return a.value_ == b.value_; }
  friend std::strong_ordering operator<=>(const RoomJid& a, const RoomJid& b) {
    return a.value_ <=> b.value_;
  }
  // Equal to the same address written as a string (a stanza's bare `to`, a literal in a test);
  // nothing converts a string into a RoomJid without parse().
  friend bool operator==(const RoomJid& a, std::string_view b) { return a.value_ == b; }

 private:
  RoomJid(std::string value, std::size_t at) : value_(std::move(value)), at_(at) {}
  std::string value_;
  std::size_t at_ = 0;  // position of the '@'
};

}  // namespace conclave::component

template <>
struct std::hash<conclave::component::RoomJid> {
  std::size_t operator()(const conclave::component::RoomJid& r) const noexcept {
    return std::hash<std::string>{}(r.str());
  }
};
