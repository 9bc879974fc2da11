#pragma once
// Client::Room: the in-memory state of one room (shared by client.cpp and client_receive.cpp).
#include <map>
#include <optional>
#include <string>

#include "client/account_store.h"
#include "client/client.h"
#include "mls/group/group.h"

namespace conclave::client {

struct Client::Room {
  RoomRecord record;  // record.group is filled only while saving; the live state is `group`
  std::optional<mls::Group> group;
  bool joined = false;                           // we are an occupant (self-presence seen)
  std::map<std::string, std::string> occupants;  // nick -> bare real JID ("" when hidden)
};

// identity_of returns the BasicCredential identity of `leaf` as text ("" for other kinds).
std::string identity_of(const mls::LeafNode& leaf);

}  // namespace conclave::client
