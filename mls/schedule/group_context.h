#pragma once
// GroupContext and Extension wire structs (RFC 9420 §8.1, §13). The key schedule binds every
// epoch secret to the encoded GroupContext, so its encoding must match the RFC byte for byte.
#include <cstdint>
#include <tuple>
#include <vector>

#include "mls/codec/bytes.h"

namespace conclave::mls {

// ProtocolVersion mls10 (RFC 9420 §6).
inline constexpr std::uint16_t kProtocolVersionMls10 = 1;

// struct { ExtensionType extension_type; opaque extension_data<V>; } Extension;   (§13)
// extension_type stays a plain uint16: unknown types must round-trip unchanged.
struct Extension {
  std::uint16_t extension_type = 0;
  Bytes extension_data;
  static constexpr auto fields() {
    return std::tuple{&Extension::extension_type, &Extension::extension_data};
  }
  bool operator==(const Extension&) const = default;
};

// struct {
//     ProtocolVersion version = mls10;
//     CipherSuite cipher_suite;
//     opaque group_id<V>;
//     uint64 epoch;
//     opaque tree_hash<V>;
//     opaque confirmed_transcript_hash<V>;
//     Extension extensions<V>;
// } GroupContext;                                                                      (§8.1)
// Decoding accepts any version value; whoever accepts a GroupContext from the wire (GroupInfo)
// checks `version == kProtocolVersionMls10` there.
struct GroupContext {
  std::uint16_t version = kProtocolVersionMls10;
  std::uint16_t cipher_suite = 0;
  Bytes group_id;
  std::uint64_t epoch = 0;
  Bytes tree_hash;
  Bytes confirmed_transcript_hash;
  std::vector<Extension> extensions;
  static constexpr auto fields() {
    return std::tuple{&GroupContext::version,   &GroupContext::cipher_suite,
                      &GroupContext::group_id,  &GroupContext::epoch,
                      &GroupContext::tree_hash, &GroupContext::confirmed_transcript_hash,
                      &GroupContext::extensions};
  }
  bool operator==(const GroupContext&) const = default;
};

}  // namespace conclave::mls
