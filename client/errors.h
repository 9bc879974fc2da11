#pragma once
// Error codes of the client layer, carried as std::error_code in Result<T> (docs/style.md P6).
// Append new codes at the end; never renumber (the script mode prints their names).
#include <string_view>
#include <system_error>

#include "base/result.h"

namespace conclave::client {

enum class Errc {
  ok = 0,
  timeout = 1,        // no answer from the server in time
  disconnected,       // the c2s connection is down or login failed
  stanza_error,       // the server or service answered with a stanza error (details kept)
  wrong_epoch,        // the service refused a commit or message for its epoch (details kept)
  bad_response,       // an answer that does not follow docs/protocol.md
  no_group,           // no MLS group for this room in the local state
  group_exists,       // the room already has a local group
  unknown_member,     // no leaf with this identity in the group
  no_key_package,     // a Welcome for none of our stored key packages
  state_io,           // reading or writing the state directory failed
  state_corrupt,      // a state file that does not parse
  invalid_request,    // a malformed script request or command line
  sender_mismatch,    // decrypted sender leaf does not belong to the occupant who sent it
  retries_exhausted,  // the commit race was lost too many times in a row
};

const std::error_category& client_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), client_category()};
}

// errc_name returns the snake_case name of `e` ("wrong_epoch"), for the JSON output.
std::string_view errc_name(Errc e);

// Result<T> and fail, defined once for every layer in base/result.h.
using conclave::fail;
using conclave::Result;
using conclave::Status;

}  // namespace conclave::client

template <>
struct std::is_error_code_enum<conclave::client::Errc> : std::true_type {};
