#pragma once
// The persisted form of a member's Group and of a KeyPackageBundle (Group::serialize,
// KeyPackageBundle::serialize): wire structs for the project's TLS codec, written after a
// four-byte magic and a format version byte, followed by a checksum. The format is local to this
// implementation (no RFC defines it); every field is checked again on restore, because a stored
// state may be truncated, corrupted or simply not ours.
//
//   GroupState:   "CGST" || uint8 version || GroupStateBody       || checksum[32]
//   BundleState:  "CKPB" || uint8 version || KeyPackageBundleBody || checksum[32]
//
// The checksum (SHA-256 of everything before it) catches storage corruption that would
// otherwise pass as a valid state: a flipped bit in a ratchet secret or a cached proposal is
// well-formed. It is no authentication: whoever can write the state can recompute it.
#include <array>
#include <cstdint>
#include <tuple>
#include <vector>

#include "mls/codec/codec.h"
#include "mls/crypto/secret.h"
#include "mls/framing/framed_content.h"
#include "mls/framing/key_package.h"
#include "mls/framing/proposal.h"
#include "mls/schedule/group_context.h"
#include "mls/schedule/secret_tree.h"

namespace conclave::mls {

inline constexpr std::array<std::uint8_t, 4> kGroupStateMagic = {'C', 'G', 'S', 'T'};
inline constexpr std::array<std::uint8_t, 4> kBundleStateMagic = {'C', 'K', 'P', 'B'};
inline constexpr std::uint8_t kStateFormatVersion = 1;
inline constexpr std::size_t kStateChecksumSize = 32;

// state_checksum: SHA-256 of `prefix` (magic, version and body of a state).
Bytes state_checksum(ByteView prefix);

// Secret codec: opaque secret<V>, read straight into a Secret (no unwiped copy). Only the state
// structs below use it; wire messages never carry a Secret.
void write(Writer& w, const Secret& s);
bool read(Reader& r, Secret& s);

// TreePrivate: the own leaf, its HPKE private key and the path secrets (the node key pairs are
// derived again on restore, so they cannot disagree with the path secrets).
struct PathSecretState {
  std::uint32_t node = 0;
  Secret path_secret;
  static constexpr auto fields() {
    return std::tuple{&PathSecretState::node, &PathSecretState::path_secret};
  }
};
struct TreePrivateState {
  std::uint32_t own_leaf = 0;
  Secret leaf_private_key;
  std::vector<PathSecretState> path_secrets;  // bottom up
  static constexpr auto fields() {
    return std::tuple{&TreePrivateState::own_leaf, &TreePrivateState::leaf_private_key,
                      &TreePrivateState::path_secrets};
  }
};

// The secrets of EpochSecrets (RFC 9420 §8), in its order.
struct EpochSecretsState {
  Secret sender_data_secret;
  Secret encryption_secret;
  Secret exporter_secret;
  Secret external_secret;
  Secret confirmation_key;
  Secret membership_key;
  Secret resumption_psk;
  Secret epoch_authenticator;
  Secret init_secret;
  static constexpr auto fields() {
    return std::tuple{
        &EpochSecretsState::sender_data_secret, &EpochSecretsState::encryption_secret,
        &EpochSecretsState::exporter_secret,    &EpochSecretsState::external_secret,
        &EpochSecretsState::confirmation_key,   &EpochSecretsState::membership_key,
        &EpochSecretsState::resumption_psk,     &EpochSecretsState::epoch_authenticator,
        &EpochSecretsState::init_secret};
  }
};

struct PskState {
  Bytes psk_id;
  Secret psk;
  static constexpr auto fields() { return std::tuple{&PskState::psk_id, &PskState::psk}; }
};

struct CachedProposalState {
  Bytes ref;
  Proposal proposal;
  Sender sender;
  static constexpr auto fields() {
    return std::tuple{&CachedProposalState::ref, &CachedProposalState::proposal,
                      &CachedProposalState::sender};
  }
};

struct PendingUpdateState {
  Bytes encryption_key;
  Secret private_key;
  static constexpr auto fields() {
    return std::tuple{&PendingUpdateState::encryption_key, &PendingUpdateState::private_key};
  }
};

struct ResumptionPskState {
  std::uint64_t epoch = 0;
  Secret psk;
  static constexpr auto fields() {
    return std::tuple{&ResumptionPskState::epoch, &ResumptionPskState::psk};
  }
};

struct GroupStateBody {
  GroupContext context;  // its cipher_suite selects the suite on restore
  Bytes tree;            // PublicTree::encode() (the ratchet_tree extension form)
  Bytes interim_transcript_hash;
  Bytes confirmation_tag;
  TreePrivateState tree_private;
  EpochSecretsState epoch_secrets;
  SecretTreeState secret_tree;
  Secret signature_private_key;
  std::vector<PskState> psks;
  std::vector<CachedProposalState> proposals;
  std::vector<PendingUpdateState> own_updates;
  std::vector<ResumptionPskState> resumption_psks;
  bool encrypt_handshake = false;
  static constexpr auto fields() {
    return std::tuple{&GroupStateBody::context,
                      &GroupStateBody::tree,
                      &GroupStateBody::interim_transcript_hash,
                      &GroupStateBody::confirmation_tag,
                      &GroupStateBody::tree_private,
                      &GroupStateBody::epoch_secrets,
                      &GroupStateBody::secret_tree,
                      &GroupStateBody::signature_private_key,
                      &GroupStateBody::psks,
                      &GroupStateBody::proposals,
                      &GroupStateBody::own_updates,
                      &GroupStateBody::resumption_psks,
                      &GroupStateBody::encrypt_handshake};
  }
};

struct KeyPackageBundleBody {
  KeyPackage key_package;
  Secret init_private_key;
  Secret encryption_private_key;
  Secret signature_private_key;
  static constexpr auto fields() {
    return std::tuple{&KeyPackageBundleBody::key_package, &KeyPackageBundleBody::init_private_key,
                      &KeyPackageBundleBody::encryption_private_key,
                      &KeyPackageBundleBody::signature_private_key};
  }
};

}  // namespace conclave::mls
