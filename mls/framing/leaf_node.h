#pragma once
// Leaf nodes of the ratchet tree (RFC 9420 §7.2) and the types they hold.
#include <cstdint>
#include <tuple>
#include <variant>
#include <vector>

#include "mls/codec/codec.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/credential.h"
#include "mls/framing/protocol_version.h"
#include "mls/schedule/group_context.h"

namespace conclave::mls {

// opaque HPKEPublicKey<V>; opaque SignaturePublicKey<V>;   (RFC 9420 §5.1.1)
using HpkePublicKey = Bytes;
using SignaturePublicKey = Bytes;

// uint16 ProposalType (RFC 9420 §12.1, §17.4); other values (extensions, GREASE) are allowed in
// capability lists and round-trip.
enum class ProposalType : std::uint16_t {
  add = 1,
  update = 2,
  remove = 3,
  psk = 4,
  reinit = 5,
  external_init = 6,
  group_context_extensions = 7,
};

// struct {
//     ProtocolVersion versions<V>;
//     CipherSuite cipher_suites<V>;
//     ExtensionType extensions<V>;
//     ProposalType proposals<V>;
//     CredentialType credentials<V>;
// } Capabilities;
struct Capabilities {
  std::vector<ProtocolVersion> versions;
  std::vector<std::uint16_t> cipher_suites;  // unknown suites (GREASE) must round-trip
  std::vector<std::uint16_t> extensions;
  std::vector<ProposalType> proposals;
  std::vector<CredentialType> credentials;
  static constexpr auto fields() {
    return std::tuple{&Capabilities::versions, &Capabilities::cipher_suites,
                      &Capabilities::extensions, &Capabilities::proposals,
                      &Capabilities::credentials};
  }
  bool operator==(const Capabilities&) const = default;
};

// struct { uint64 not_before; uint64 not_after; } Lifetime;
struct Lifetime {
  std::uint64_t not_before = 0;
  std::uint64_t not_after = 0;
  static constexpr auto fields() { return std::tuple{&Lifetime::not_before, &Lifetime::not_after}; }
  bool operator==(const Lifetime&) const = default;
};

// enum { reserved(0), key_package(1), update(2), commit(3), (255) } LeafNodeSource;
enum class LeafNodeSourceType : std::uint8_t { key_package = 1, update = 2, commit = 3 };

// The select on leaf_node_source in LeafNode: a lifetime, nothing, or a parent hash.
struct KeyPackageSource {
  Lifetime lifetime;
  bool operator==(const KeyPackageSource&) const = default;
};
struct UpdateSource {
  bool operator==(const UpdateSource&) const = default;
};
struct CommitSource {
  Bytes parent_hash;
  bool operator==(const CommitSource&) const = default;
};

// LeafNodeSource with its select body; unknown sources fail with Errc::invalid_value.
struct LeafNodeSource {
  std::variant<KeyPackageSource, UpdateSource, CommitSource> value;
  LeafNodeSourceType type() const { return static_cast<LeafNodeSourceType>(value.index() + 1); }
  bool operator==(const LeafNodeSource&) const = default;
};

void write(Writer& w, const LeafNodeSource& v);
bool read(Reader& r, LeafNodeSource& v);

// struct {
//     HPKEPublicKey encryption_key;
//     SignaturePublicKey signature_key;
//     Credential credential;
//     Capabilities capabilities;
//     LeafNodeSource leaf_node_source;
//     select (LeafNode.leaf_node_source) {
//         case key_package: Lifetime lifetime;
//         case update:      struct{};
//         case commit:      opaque parent_hash<V>;
//     };
//     Extension extensions<V>;
//     /* SignWithLabel(., "LeafNodeTBS", LeafNodeTBS) */
//     opaque signature<V>;
// } LeafNode;
struct LeafNode {
  HpkePublicKey encryption_key;
  SignaturePublicKey signature_key;
  Credential credential;
  Capabilities capabilities;
  LeafNodeSource source;
  std::vector<Extension> extensions;
  Bytes signature;
  static constexpr auto fields() {
    return std::tuple{&LeafNode::encryption_key, &LeafNode::signature_key, &LeafNode::credential,
                      &LeafNode::capabilities,   &LeafNode::source,        &LeafNode::extensions,
                      &LeafNode::signature};
  }
  bool operator==(const LeafNode&) const = default;
};

// encode_leaf_node_tbs returns LeafNodeTBS (RFC 9420 §7.2): the leaf node without its signature,
// followed by group_id and leaf_index when the source is update or commit (ignored for
// key_package).
Bytes encode_leaf_node_tbs(const LeafNode& leaf, ByteView group_id, std::uint32_t leaf_index);

// sign_leaf_node sets leaf.signature = SignWithLabel(., "LeafNodeTBS", LeafNodeTBS).
Status sign_leaf_node(const SigningKey& key, LeafNode& leaf, ByteView group_id,
                      std::uint32_t leaf_index);
// verify_leaf_node checks leaf.signature against leaf.signature_key.
bool verify_leaf_node(const CipherSuite& suite, const LeafNode& leaf, ByteView group_id,
                      std::uint32_t leaf_index);

}  // namespace conclave::mls
