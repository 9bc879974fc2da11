#pragma once
// RoomStore: rooms, their configuration and their affiliations, as the component needs them
// (docs/style.md P2: declared here, implemented in db/pg_room_store.cpp and by an in-memory fake
// in tests/component/). Every call blocks: the component calls it from a database thread only,
// never from the XMPP I/O thread (component/core/blocking_runner.h).
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "component/store/affiliation.h"
#include "component/store/archive_store.h"
#include "component/store/result.h"
#include "component/store/room_jid.h"
#include "component/store/room_mode.h"

namespace conclave::component {

// One XEP-0045 §5.2 affiliation row. A stored row is never Affiliation::none: none means
// "delete the row" when saved.
struct AffiliationRecord {
  std::string jid;  // bare user JID, normalised
  Affiliation affiliation = Affiliation::none;
  std::string reason;
  std::string nick;  // registered nickname, "" when none
  bool operator==(const AffiliationRecord&) const = default;
};

struct RoomRecord {
  RoomJid jid;
  bool persistent = false;
  // has_group: the room holds an MLS group (read by load_persistent; never written by save).
  // Such a room is loaded, and kept by purge_temporary, whatever `persistent` says: a group
  // ends only with an explicit destroy (docs/protocol.md §6.5).
  bool has_group = false;
  // The room's effective mode (room_mode.h), kept in its own column for whoever reads rooms by
  // mode; the owner's choice itself travels in `settings` like every configuration value.
  RoomMode mode = RoomMode::chat_room;
  // Everything else the room keeps (muc#roomconfig values, subject, occupant-id salt), by name.
  // Values are strings; the room layer owns their meaning (component/muc/room_config.h).
  std::map<std::string, std::string> settings;
  std::vector<AffiliationRecord> affiliations;
  bool operator==(const RoomRecord&) const = default;
};

class RoomStore {
 public:
  virtual ~RoomStore() = default;

  // load_persistent: every persistent room, and every room holding an MLS group, with its
  // affiliations.
  virtual Result<std::vector<RoomRecord>> load_persistent() = 0;
  // purge_temporary: deletes the rows of non-persistent rooms without an MLS group (left over
  // from a crash: a temporary room does not outlive the process) and, by cascade, their
  // archives.
  virtual Status purge_temporary() = 0;
  // create: inserts a new room with its affiliations. Error: conflict if it exists.
  virtual Status create(const RoomRecord& room) = 0;
  // save: updates persistent + settings of an existing room (affiliations untouched). A room
  // holding an MLS group stays persistent even if `room.persistent` is false.
  // Error: not_found.
  virtual Status save(const RoomRecord& room) = 0;
  // set_affiliations: applies the changes in one transaction (Affiliation::none deletes the row).
  virtual Status set_affiliations(const RoomJid& room,
                                  const std::vector<AffiliationRecord>& changes) = 0;
  // destroy: deletes the room, its affiliations and its archive. Not an error if absent.
  virtual Status destroy(const RoomJid& room) = 0;

  // Moderation of the room's archive (XEP-0425: a moderator retracts a message). The room owns
  // its archive rows, so the edit lives beside the room rather than in the append-only
  // ArchiveStore.
  using Tombstoner = std::function<std::optional<std::string>(const std::string& stanza)>;
  // tombstone_message: in one transaction, reads the archived stanza `stanza_id` of `room`,
  // passes it to `make`, stores what `make` returns in its place (same id, time and sender) and
  // appends `notice` (the retraction the room announces) to the archive; returns the new
  // stanza. One transaction, so the archive never holds a tombstone without its notice or the
  // reverse (a client catching up through MAM sees both or neither). Errors: not_found if no
  // such archived message; conflict if `make` declines (returns nullopt) or the notice's
  // stanza id is taken; either way nothing changes.
  virtual Result<std::string> tombstone_message(const RoomJid& room, const std::string& stanza_id,
                                                const Tombstoner& make,
                                                const ArchivedMessage& notice) = 0;
};

}  // namespace conclave::component
