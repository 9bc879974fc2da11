#pragma once
// KeyPackage (RFC 9420 §10).
#include <cstdint>
#include <tuple>
#include <vector>

#include "mls/codec/codec.h"
#include "mls/framing/leaf_node.h"
#include "mls/framing/protocol_version.h"
#include "mls/schedule/group_context.h"

namespace conclave::mls {

// struct {
//     ProtocolVersion version;
//     CipherSuite cipher_suite;
//     HPKEPublicKey init_key;
//     LeafNode leaf_node;
//     Extension extensions<V>;
// } KeyPackageTBS;
struct KeyPackageTbs {
  ProtocolVersion version = ProtocolVersion::mls10;
  std::uint16_t cipher_suite = 0;
  HpkePublicKey init_key;
  LeafNode leaf_node;
  std::vector<Extension> extensions;
  static constexpr auto fields() {
    return std::tuple{&KeyPackageTbs::version, &KeyPackageTbs::cipher_suite,
                      &KeyPackageTbs::init_key, &KeyPackageTbs::leaf_node,
                      &KeyPackageTbs::extensions};
  }
  bool operator==(const KeyPackageTbs&) const = default;
};

// struct {
//     (the fields of KeyPackageTBS)
//     /* SignWithLabel(., "KeyPackageTBS", KeyPackageTBS) */
//     opaque signature<V>;
// } KeyPackage;
struct KeyPackage {
  ProtocolVersion version = ProtocolVersion::mls10;
  std::uint16_t cipher_suite = 0;
  HpkePublicKey init_key;
  LeafNode leaf_node;
  std::vector<Extension> extensions;
  Bytes signature;
  static constexpr auto fields() {
    return std::tuple{&KeyPackage::version,   &KeyPackage::cipher_suite, &KeyPackage::init_key,
                      &KeyPackage::leaf_node, &KeyPackage::extensions,   &KeyPackage::signature};
  }
  bool operator==(const KeyPackage&) const = default;
};

// encode_key_package_tbs returns the KeyPackageTBS encoding of `kp` (all but the signature).
Bytes encode_key_package_tbs(const KeyPackage& kp);

}  // namespace conclave::mls
