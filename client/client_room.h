#pragma once
// Client::Room: the in-memory state of one room (shared by client.cpp and client_receive.cpp).
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "client/account_store.h"
#include "client/client.h"
#include "mls/group/group.h"

namespace conclave::client {

// How many past epochs a client can still read application messages of: the delivery service
// admits a message up to mls.epoch_window (default 3) epochs behind the room's, so one sent just
// before a commit may arrive after it. Kept in memory only, and only this many: every epoch
// kept is forward secrecy given up for that long (RFC 9420 §16.5 weighs the same trade-off).
inline constexpr std::size_t kPastEpochs = 3;
// Archive ids remembered per room, so a message read live and again from the archive (a
// catch-up that filled a gap) is handled once.
inline constexpr std::size_t kRecentIds = 512;

struct Client::Room {
  RoomRecord record;  // record.group is filled only while saving; the live state is `group`
  std::optional<mls::Group> group;
  std::deque<mls::Group> past;         // the groups of the last kPastEpochs epochs, newest first
  std::deque<std::string> recent_ids;  // archive ids of the last kRecentIds messages handled
  bool joined = false;                 // we are an occupant (self-presence seen)
  std::map<std::string, std::string> occupants;  // nick -> bare real JID ("" when hidden)
};

// identity_of returns the BasicCredential identity of `leaf` as text ("" for other kinds).
std::string identity_of(const mls::LeafNode& leaf);

}  // namespace conclave::client
