#pragma once
// ArchiveStore: a room's message archive (XEP-0313 MAM on the room JID, XEP-0059 paging), as the
// component needs it (docs/style.md P2: declared here, implemented in db/pg_archive_store.cpp and
// by an in-memory fake in tests/component/). Calls block; see RoomStore.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "component/store/result.h"
#include "component/store/room_jid.h"

namespace conclave::component {

using TimePoint = std::chrono::system_clock::time_point;

struct ArchivedMessage {
  RoomJid room;
  std::string stanza_id;  // XEP-0359 id the room assigned, unique per room
  TimePoint ts{};
  std::string from_nick;
  std::string occupant_id;  // XEP-0421
  std::string from_jid;     // real bare JID of the sender
  std::string stanza;       // the message as reflected, serialized XML (jabber:client)
  bool operator==(const ArchivedMessage&) const = default;
};

// A MAM query (XEP-0313 §4.1) with RSM paging (XEP-0059 §2). Results are always in archive
// order. after_id/before_id bound the page (exclusive); last_page (RSM empty <before/>) asks
// for the newest `max` matching messages instead of the oldest.
struct ArchiveQuery {
  RoomJid room;
  std::optional<TimePoint> start;  // inclusive
  std::optional<TimePoint> end;    // inclusive
  std::optional<std::string> with_nick;
  std::optional<std::string> after_id;
  std::optional<std::string> before_id;
  bool last_page = false;
  std::size_t max = 50;
};

struct ArchivePage {
  std::vector<ArchivedMessage> messages;
  // True when no matching message lies beyond the page in the paging direction (MAM `complete`).
  bool complete = true;
  std::size_t count = 0;  // matching messages without the after/before bounds (RSM <count/>)
};

class ArchiveStore {
 public:
  virtual ~ArchiveStore() = default;

  // append: stores one message durably; returns once committed.
  // Error: not_found if the room has no row.
  virtual Status append(const ArchivedMessage& message) = 0;
  // append_batch: stores messages of one room durably, in order, in one transaction (group
  // commit: a room's messages that arrived while its previous write was in flight); all or
  // none. Error: not_found if the room has no row. The default appends one by one, which is
  // only all-or-nothing when the first append fails (enough for in-memory fakes).
  virtual Status append_batch(const std::vector<ArchivedMessage>& messages) {
    for (const ArchivedMessage& m : messages) {
      if (auto s = append(m); !s) return s;
    }
    return {};
  }
  // query: one page. Error: not_found when after_id/before_id is not in this room's archive.
  virtual Result<ArchivePage> query(const ArchiveQuery& query) = 0;
  // recent: the newest `max` messages of a room, oldest first (history replay after a restart).
  virtual Result<std::vector<ArchivedMessage>> recent(const RoomJid& room, std::size_t max) = 0;
};

}  // namespace conclave::component
