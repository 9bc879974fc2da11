#pragma once
// The secret tree and its per-sender hash ratchets (RFC 9420 §9), and the sender-data key
// derivation (§6.3.2).
//
// The tree is derived lazily from encryption_secret: a node secret is computed only when a leaf
// below it is first used, costing O(log N) derivations, and memory grows with the leaves in use
// rather than with the group. Following the deletion schedule of §9.2, a node secret is erased
// once both its children are derived, a leaf secret once its two ratchets are initialised, and
// a key/nonce pair once it has been consumed (consume_key).
#include <cstdint>
#include <map>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "mls/codec/bytes.h"
#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/secret.h"
#include "mls/schedule/secrets.h"
#include "mls/tree/tree_math.h"

namespace conclave::mls {

// The two ratchets of each leaf (§9): handshake messages (proposals, commits) and application
// messages.
enum class RatchetType : std::uint8_t { handshake, application };

// One AEAD key and nonce of a ratchet (ratchet_key_[N]_[j], ratchet_nonce_[N]_[j]).
struct RatchetKey {
  std::uint32_t generation = 0;
  Secret key;
  Secret nonce;
};

// Bounds on how far a receiver follows a sender's ratchet out of order.
struct SecretTreeLimits {
  // Keys of up to `max_past` generations before the newest one derived are kept for late
  // messages; older ones are deleted (Errc::generation_too_old).
  std::uint32_t max_past = 1000;
  // A message may skip at most `max_forward` generations ahead of the ratchet
  // (Errc::generation_too_far); this caps the work one message can cause.
  std::uint32_t max_forward = 10000;
};

// SecretTreeState: everything a SecretTree holds, for persisting a member's state between runs
// (Group::serialize): node secrets not yet split, each used leaf's two ratchets with their next
// generation, and the keys derived but not yet consumed (out-of-order and in-flight messages).
// Wire structs for the project codec; the Secret fields need the Secret codec of
// mls/group/group_state.h.
struct SecretTreeKeyState {
  std::uint32_t generation = 0;
  Secret key;
  Secret nonce;
  static constexpr auto fields() {
    return std::tuple{&SecretTreeKeyState::generation, &SecretTreeKeyState::key,
                      &SecretTreeKeyState::nonce};
  }
};
struct SecretTreeRatchetState {
  Secret secret;  // empty once exhausted
  std::uint32_t next_generation = 0;
  bool exhausted = false;
  std::vector<SecretTreeKeyState> held;  // ascending generations
  static constexpr auto fields() {
    return std::tuple{&SecretTreeRatchetState::secret, &SecretTreeRatchetState::next_generation,
                      &SecretTreeRatchetState::exhausted, &SecretTreeRatchetState::held};
  }
};
struct SecretTreeLeafState {
  std::uint32_t leaf = 0;
  SecretTreeRatchetState handshake;
  SecretTreeRatchetState application;
  static constexpr auto fields() {
    return std::tuple{&SecretTreeLeafState::leaf, &SecretTreeLeafState::handshake,
                      &SecretTreeLeafState::application};
  }
};
struct SecretTreeNodeState {
  std::uint32_t node = 0;
  Secret secret;
  static constexpr auto fields() {
    return std::tuple{&SecretTreeNodeState::node, &SecretTreeNodeState::secret};
  }
};
struct SecretTreeState {
  std::uint32_t leaves = 0;
  std::uint32_t max_past = 0;
  std::uint32_t max_forward = 0;
  std::vector<SecretTreeNodeState> nodes;        // ascending node index
  std::vector<SecretTreeLeafState> leaves_used;  // ascending leaf index
  static constexpr auto fields() {
    return std::tuple{&SecretTreeState::leaves, &SecretTreeState::max_past,
                      &SecretTreeState::max_forward, &SecretTreeState::nodes,
                      &SecretTreeState::leaves_used};
  }
};

class SecretTree {
 public:
  // The tree of `leaves` leaves rooted at `encryption_secret`. `suite` must outlive the tree.
  SecretTree(const CipherSuite& suite, EncryptionSecret encryption_secret, LeafCount leaves,
             SecretTreeLimits limits = {});

  // next_key returns the key of `sender`'s next generation, for encrypting, and moves the
  // ratchet past it. Errc::invalid_sender when `sender` is outside the tree;
  // Errc::generation_too_far when the ratchet is exhausted (2^32 generations).
  Result<RatchetKey> next_key(LeafIndex sender, RatchetType type);

  // peek_key returns (a copy of) the key of `generation` of `sender`'s ratchet, for decrypting,
  // without using it up: the key stays held until consume_key(). A receiver peeks, decrypts,
  // and consumes only after the AEAD tag verified, so a forged or garbled message cannot burn a
  // generation. Skipped generations are kept within limits().max_past. Errors:
  // Errc::invalid_sender (leaf outside the tree), Errc::generation_too_old (already consumed or
  // outside the window), Errc::generation_too_far (more than max_forward generations ahead).
  Result<RatchetKey> peek_key(LeafIndex sender, RatchetType type, std::uint32_t generation);
  // consume_key deletes the held key of `generation` (§9.2); a no-op when none is held.
  void consume_key(LeafIndex sender, RatchetType type, std::uint32_t generation);
  // key_for is peek_key followed by consume_key: asking twice for one generation fails the
  // second time.
  Result<RatchetKey> key_for(LeafIndex sender, RatchetType type, std::uint32_t generation);

  // export_state copies the whole state (secrets included), sorted so equal trees give equal
  // states.
  SecretTreeState export_state() const;
  // import_state rebuilds the tree export_state() described, for a group of `leaves` leaves.
  // Every field is checked (sizes against `suite`, indices inside the tree, held generations
  // below the ratchet, each leaf covered by exactly one stored node or its own ratchets, §9.2's
  // deletion schedule); Errc::invalid_value for anything else. `suite` must outlive the tree.
  static Result<SecretTree> import_state(const CipherSuite& suite, LeafCount leaves,
                                         SecretTreeState state);

  LeafCount leaves() const { return leaves_; }
  const SecretTreeLimits& limits() const { return limits_; }
  // node_secrets_held: tree node secrets currently stored (memory use, for tests).
  std::size_t node_secrets_held() const { return nodes_.size(); }
  // keys_held: out-of-order keys kept for one ratchet (0 for a leaf not yet used).
  std::size_t keys_held(LeafIndex sender, RatchetType type) const;

 private:
  struct Ratchet {
    Secret secret;  // ratchet_secret_[N]_[next_generation]
    std::uint32_t next_generation = 0;
    bool exhausted = false;                       // generation 2^32 - 1 was handed out
    std::map<std::uint32_t, RatchetKey> skipped;  // derived, not yet used, within the window
  };
  struct LeafRatchets {
    Ratchet handshake;
    Ratchet application;
  };

  SecretTree(const CipherSuite& suite, LeafCount leaves, SecretTreeLimits limits)
      : suite_(&suite), leaves_(leaves), limits_(limits) {}
  Result<Ratchet*> ratchet(LeafIndex sender, RatchetType type);
  RatchetKey derive_key(const Ratchet& r) const;
  void advance(Ratchet& r) const;

  const CipherSuite* suite_;
  LeafCount leaves_;
  SecretTreeLimits limits_;
  std::unordered_map<std::uint32_t, Secret> nodes_;           // by NodeIndex::value
  std::unordered_map<std::uint32_t, LeafRatchets> ratchets_;  // by LeafIndex::value
};

// The AEAD key and nonce protecting a PrivateMessage's SenderData (§6.3.2).
struct SenderDataKey {
  Secret key;
  Secret nonce;
};

// derive_sender_data_key: ExpandWithLabel(sender_data_secret, "key" / "nonce", sample, Nk / Nn)
// where sample is the first Nh bytes of `ciphertext` (all of it when shorter).
SenderDataKey derive_sender_data_key(const CipherSuite& suite,
                                     const SenderDataSecret& sender_data_secret,
                                     ByteView ciphertext);

}  // namespace conclave::mls
