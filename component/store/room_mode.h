#pragma once
// RoomMode: how a room's commits are ordered (docs/sequencing.md; docs/protocol.md §6.5).
//   group_chat  a private group chat: exactly one commit per epoch, through the room's one
//               sequencer; it never forks. The default for members-only rooms.
//   chat_room   a chat room: may be mirrored on federated servers, whose copies may fork during
//               a netsplit and heal deterministically afterwards (the federation work). The
//               default for open rooms.
// Within one deployment (one PostgreSQL, several instances) both are sequenced alike; the mode
// is the room owner's statement of which guarantee the room needs where they differ. Stored in
// rooms.mode (schema/0001_initial.sql), with the same spelling as on the wire.
#include <optional>
#include <string_view>

namespace conclave::component {

enum class RoomMode { group_chat, chat_room };

constexpr std::string_view to_string(RoomMode m) {
  return m == RoomMode::group_chat ? "group_chat" : "chat_room";
}

constexpr std::optional<RoomMode> room_mode_from(std::string_view s) {
  if (s == "group_chat") return RoomMode::group_chat;
  if (s == "chat_room") return RoomMode::chat_room;
  return std::nullopt;
}

}  // namespace conclave::component
