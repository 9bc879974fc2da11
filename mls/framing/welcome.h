#pragma once
// Welcome and the group secrets it carries (RFC 9420 §12.4.3.1).
#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "mls/codec/codec.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/schedule/psk.h"

namespace conclave::mls {

// struct { opaque path_secret<V>; } PathSecret;
struct PathSecret {
  Bytes path_secret;  // secret: move it into a Secret once decoded
  static constexpr auto fields() { return std::tuple{&PathSecret::path_secret}; }
  bool operator==(const PathSecret&) const = default;
};

// struct {
//   opaque joiner_secret<V>;
//   optional<PathSecret> path_secret;
//   PreSharedKeyID psks<V>;
// } GroupSecrets;
// The plaintext of an EncryptedGroupSecrets: its secrets are plain Bytes only while encoded or
// decoded; callers move them into Secret values.
struct GroupSecrets {
  Bytes joiner_secret;
  std::optional<PathSecret> path_secret;
  std::vector<PreSharedKeyID> psks;
  static constexpr auto fields() {
    return std::tuple{&GroupSecrets::joiner_secret, &GroupSecrets::path_secret,
                      &GroupSecrets::psks};
  }
  bool operator==(const GroupSecrets&) const = default;
};

// struct {
//   KeyPackageRef new_member;
//   HPKECiphertext encrypted_group_secrets;
// } EncryptedGroupSecrets;
struct EncryptedGroupSecrets {
  Bytes new_member;  // KeyPackageRef = opaque HashReference<V>
  HpkeCiphertext encrypted_group_secrets;
  static constexpr auto fields() {
    return std::tuple{&EncryptedGroupSecrets::new_member,
                      &EncryptedGroupSecrets::encrypted_group_secrets};
  }
  bool operator==(const EncryptedGroupSecrets&) const = default;
};

// struct {
//   CipherSuite cipher_suite;
//   EncryptedGroupSecrets secrets<V>;
//   opaque encrypted_group_info<V>;
// } Welcome;
struct Welcome {
  std::uint16_t cipher_suite = 0;
  std::vector<EncryptedGroupSecrets> secrets;
  Bytes encrypted_group_info;
  static constexpr auto fields() {
    return std::tuple{&Welcome::cipher_suite, &Welcome::secrets, &Welcome::encrypted_group_info};
  }
  bool operator==(const Welcome&) const = default;
};

}  // namespace conclave::mls
