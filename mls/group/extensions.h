#pragma once
// The extensions of RFC 9420 §13 the group layer reads and writes (code points §17.3).
#include <cstdint>
#include <optional>
#include <span>
#include <tuple>
#include <vector>

#include "mls/codec/codec.h"
#include "mls/framing/credential.h"
#include "mls/framing/leaf_node.h"
#include "mls/schedule/group_context.h"

namespace conclave::mls {

inline constexpr std::uint16_t kExtApplicationId = 1;
inline constexpr std::uint16_t kExtRatchetTree = 2;
inline constexpr std::uint16_t kExtRequiredCapabilities = 3;
inline constexpr std::uint16_t kExtExternalPub = 4;
inline constexpr std::uint16_t kExtExternalSenders = 5;

// struct { HPKEPublicKey external_pub; } ExternalPub;   (§12.4.3.2)
struct ExternalPub {
  HpkePublicKey external_pub;
  static constexpr auto fields() { return std::tuple{&ExternalPub::external_pub}; }
  bool operator==(const ExternalPub&) const = default;
};

// struct { SignaturePublicKey signature_key; Credential credential; } ExternalSender;
// ExternalSender external_senders<V>;   (§12.1.8.1)
struct ExternalSenderEntry {
  SignaturePublicKey signature_key;
  Credential credential;
  static constexpr auto fields() {
    return std::tuple{&ExternalSenderEntry::signature_key, &ExternalSenderEntry::credential};
  }
  bool operator==(const ExternalSenderEntry&) const = default;
};

// find_extension returns the extension of `type` in `exts`, or nullptr.
inline const Extension* find_extension(std::span<const Extension> exts, std::uint16_t type) {
  for (const Extension& e : exts) {
    if (e.extension_type == type) return &e;
  }
  return nullptr;
}

// has_duplicate_extensions: §13.4 forbids two extensions of one type in a list.
inline bool has_duplicate_extensions(std::span<const Extension> exts) {
  for (std::size_t i = 0; i < exts.size(); ++i) {
    for (std::size_t j = i + 1; j < exts.size(); ++j) {
      if (exts[i].extension_type == exts[j].extension_type) return true;
    }
  }
  return false;
}

}  // namespace conclave::mls
