#include "client/errors.h"

#include <string>

namespace conclave::client {

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "conclave.client"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::ok:
        return "ok";
      case Errc::timeout:
        return "no answer in time";
      case Errc::disconnected:
        return "not connected";
      case Errc::stanza_error:
        return "stanza error";
      case Errc::wrong_epoch:
        return "wrong epoch";
      case Errc::bad_response:
        return "malformed answer";
      case Errc::no_group:
        return "no group for this room";
      case Errc::group_exists:
        return "the room already has a group";
      case Errc::unknown_member:
        return "no such member";
      case Errc::no_key_package:
        return "no matching key package";
      case Errc::state_io:
        return "state directory I/O failed";
      case Errc::state_corrupt:
        return "state file corrupt";
      case Errc::invalid_request:
        return "invalid request";
      case Errc::sender_mismatch:
        return "sender leaf does not match the occupant";
      case Errc::retries_exhausted:
        return "commit retries exhausted";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& client_category() noexcept {
  static const Category c;
  return c;
}

std::string_view errc_name(Errc e) {
  switch (e) {
    case Errc::ok:
      return "ok";
    case Errc::timeout:
      return "timeout";
    case Errc::disconnected:
      return "disconnected";
    case Errc::stanza_error:
      return "stanza_error";
    case Errc::wrong_epoch:
      return "wrong_epoch";
    case Errc::bad_response:
      return "bad_response";
    case Errc::no_group:
      return "no_group";
    case Errc::group_exists:
      return "group_exists";
    case Errc::unknown_member:
      return "unknown_member";
    case Errc::no_key_package:
      return "no_key_package";
    case Errc::state_io:
      return "state_io";
    case Errc::state_corrupt:
      return "state_corrupt";
    case Errc::invalid_request:
      return "invalid_request";
    case Errc::sender_mismatch:
      return "sender_mismatch";
    case Errc::retries_exhausted:
      return "retries_exhausted";
  }
  return "unknown";
}

}  // namespace conclave::client
