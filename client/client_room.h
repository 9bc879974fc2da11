#pragma once
// Client::Room: the in-memory state of one room (shared by client.cpp and client_receive.cpp).
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>

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
// Live stanzas a catch-up holds back until the archive is read (Client::catch_up); beyond this
// many they are handled in place.
inline constexpr std::size_t kDeferredLimit = 1024;
// Messages kept per room for an epoch not reached yet (beyond: the oldest is reported lost).
inline constexpr std::size_t kWaitingMax = 256;

struct Client::Room {
  RoomRecord record;  // record.group is filled only while saving; the live state is `group`
  std::optional<mls::Group> group;
  std::deque<mls::Group> past;  // the groups of the last kPastEpochs epochs, newest first
  // Archive ids of the last kRecentIds messages handled: looked up per message, evicted oldest
  // first.
  std::unordered_set<std::string> recent_ids;
  std::deque<std::string> recent_order;
  // Messages of an epoch we have not reached yet and could not catch up to at once (our own
  // commit's answer is still on its way): read when the group gets there.
  struct Waiting {
    xmpp::Element message;
    mls::Bytes data;
    std::uint64_t epoch = 0;
    bool from_archive = false;
  };
  std::deque<Waiting> waiting;
  bool joined = false;                           // we are an occupant (self-presence seen)
  std::map<std::string, std::string> occupants;  // nick -> bare real JID ("" when hidden)
};

// identity_of returns the BasicCredential identity of `leaf` as text ("" for other kinds).
std::string identity_of(const mls::LeafNode& leaf);
// device_of returns the device named by `leaf`'s application_id ("" when none).
std::string device_of(const mls::LeafNode& leaf);

}  // namespace conclave::client
