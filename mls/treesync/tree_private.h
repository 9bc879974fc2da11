#pragma once
// TreePrivate: the private keys one member holds in the ratchet tree (RFC 9420 §7.4, the tree
// invariant of §4.2): its own leaf's HPKE private key and, for nodes on its direct path, the
// path secret and the key pair derived from it. At most log2(N) + 1 entries.
#include <optional>
#include <vector>

#include "mls/codec/bytes.h"
#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/secret.h"
#include "mls/tree/tree_math.h"

namespace conclave::mls {

class PublicTree;

class TreePrivate {
 public:
  // TreePrivate holds the member at `own` with its leaf's HPKE private key.
  TreePrivate(LeafIndex own, Secret leaf_private_key)
      : own_(own), leaf_private_key_(std::move(leaf_private_key)) {}
  TreePrivate(TreePrivate&&) noexcept = default;
  TreePrivate& operator=(TreePrivate&&) noexcept = default;

  // clone copies every secret (for staging a commit on a copy, docs/style.md P9).
  TreePrivate clone() const;

  LeafIndex own_leaf() const { return own_; }
  const Secret& leaf_private_key() const { return leaf_private_key_; }
  void set_leaf_private_key(Secret key) { leaf_private_key_ = std::move(key); }

  // set_path_secret stores `path_secret` for parent node `x` and the key pair derived from it
  // (node_secret = DeriveSecret(path_secret, "node"); KEM.DeriveKeyPair(node_secret), §7.4),
  // replacing what was held for `x`. Fails only if key derivation fails.
  Status set_path_secret(const CipherSuite& suite, NodeIndex x, Secret path_secret);
  // set_derived is set_path_secret for a caller that already derived `pair` from `path_secret`.
  void set_derived(NodeIndex x, Secret path_secret, KeyPair pair);
  // path_secret / private_key / public_key for `x`; nullptr when not held. private_key of the
  // own leaf's node is the leaf key. Pointers are valid until the next change.
  const Secret* path_secret(NodeIndex x) const;
  const Secret* private_key(NodeIndex x) const;
  const Bytes* public_key(NodeIndex x) const;
  // held lists the parent nodes with a path secret, bottom up.
  std::vector<NodeIndex> held() const;

  // forget drops the secrets of `x` (a node that was blanked or replaced).
  void forget(NodeIndex x);
  // forget_blank drops the secrets of every node blank in `tree`, or outside it.
  void forget_blank(const PublicTree& tree);
  // check_consistent verifies the tree invariant for this member (treekem vectors, joiners):
  // every held node is non-blank in `tree`, lies on the own leaf's direct path and carries the
  // public key of the held private key; the leaf key matches the own leaf.
  // Errc::invalid_key otherwise.
  Status check_consistent(const PublicTree& tree) const;

 private:
  struct NodeSecret {
    NodeIndex node;
    Secret path_secret;
    Secret private_key;
    Bytes public_key;
  };
  const NodeSecret* find(NodeIndex x) const;

  LeafIndex own_;
  Secret leaf_private_key_;
  std::vector<NodeSecret> nodes_;  // sorted by node level (bottom up)
};

}  // namespace conclave::mls
