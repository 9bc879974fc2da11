#pragma once
// room_jid: a room address a test writes as text, for the stores' RoomJid parameters and the
// fakes' maps keyed by it. Shared by the in-memory fakes and the PostgreSQL store tests.
#include <cstdlib>
#include <string_view>
#include <utility>

#include "component/store/room_jid.h"

namespace conclave::component::testing {

// Tests write only room JIDs, so a failure is a broken test: abort.
inline RoomJid room_jid(std::string_view text) {
  auto r = RoomJid::parse(text);
  if (!r) std::abort();
  return std::move(*r);
}

}  // namespace conclave::component::testing
