#pragma once
// AccountStore: one account's state directory.
//
//   DIR/                       mode 0700
//     identity.key             the signature private key (raw, suite 1: Ed25519)
//     key-packages/<ref>.kp    KeyPackageBundle::serialize() of a one-time package waiting
//                              for a Welcome; <ref> is the hex KeyPackageRef (RFC 9420 §5.2)
//     key-packages/<ref>.lr    the same for the last-resort package
//     rooms/<hex(room)>.room   RoomRecord: client metadata and Group::serialize()
//     rooms/<hex(room)>.left   empty: this device left the room (its leaf may still be in the
//                              group until someone removes it; the client must not rejoin)
//
// Every file is mode 0600 and replaced atomically (state_store.h).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "client/errors.h"
#include "mls/crypto/secret.h"
#include "mls/group/group.h"

namespace conclave::client {

struct StoredKeyPackage {
  mls::Bytes ref;  // KeyPackageRef
  bool last_resort = false;
  mls::KeyPackageBundle bundle;
};

// RoomRecord: what the client remembers of one room between runs.
struct RoomRecord {
  std::string room;                  // bare room JID
  std::string nick;                  // our occupant nick
  std::string last_stanza_id;        // XEP-0359 id of the last room message processed (MAM)
  std::vector<std::string> own_ids;  // ids of our recent messages (their echo is not decrypted)
  std::optional<mls::Bytes> group;   // Group::serialize(); secret
  // The commit chain hash of the group's epoch (docs/protocol.md §6.7), as this client followed
  // it; nullopt until known (a file written before the chain existed).
  std::optional<mls::Bytes> chain = {};
  bool operator==(const RoomRecord&) const = default;
};

// encode_room_record / decode_room_record: the .room file format (a magic, then
// struct { opaque meta_json<V>; optional<opaque group<V>>; }). decode fails with
// Errc::state_corrupt for anything else.
mls::Bytes encode_room_record(const RoomRecord& r);
Result<RoomRecord> decode_room_record(mls::ByteView data);

class AccountStore {
 public:
  // open creates the directory tree (mode 0700) if needed.
  static Result<AccountStore> open(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }

  // Signature key: nullopt when the account has none yet.
  Result<std::optional<mls::Secret>> load_signature_key() const;
  Status save_signature_key(const mls::Secret& key) const;

  Result<std::vector<StoredKeyPackage>> load_key_packages() const;
  Status save_key_package(const StoredKeyPackage& kp) const;
  Status remove_key_package(mls::ByteView ref, bool last_resort) const;

  Result<std::vector<RoomRecord>> load_rooms() const;
  Status save_room(const RoomRecord& r) const;
  Status remove_room(std::string_view room) const;

  // The rooms this device left (Client::leave). A room stays on the list until the device
  // holds a group of it again (invited back, or joined on purpose).
  Result<std::vector<std::string>> load_left_rooms() const;
  Status mark_left(std::string_view room) const;
  Status clear_left(std::string_view room) const;

 private:
  explicit AccountStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path room_path(std::string_view room) const;
  std::filesystem::path left_path(std::string_view room) const;
  std::filesystem::path key_package_path(mls::ByteView ref, bool last_resort) const;
  std::filesystem::path dir_;
};

}  // namespace conclave::client
