#pragma once
// Commit and UpdatePath (RFC 9420 §12.4, §7.6).
#include <optional>
#include <tuple>
#include <vector>

#include "mls/codec/codec.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/leaf_node.h"
#include "mls/framing/proposal.h"

namespace conclave::mls {

// struct {
//     HPKEPublicKey encryption_key;
//     HPKECiphertext encrypted_path_secret<V>;
// } UpdatePathNode;
struct UpdatePathNode {
  HpkePublicKey encryption_key;
  std::vector<HpkeCiphertext> encrypted_path_secret;
  static constexpr auto fields() {
    return std::tuple{&UpdatePathNode::encryption_key, &UpdatePathNode::encrypted_path_secret};
  }
  bool operator==(const UpdatePathNode&) const = default;
};

// struct { LeafNode leaf_node; UpdatePathNode nodes<V>; } UpdatePath;
struct UpdatePath {
  LeafNode leaf_node;
  std::vector<UpdatePathNode> nodes;
  static constexpr auto fields() { return std::tuple{&UpdatePath::leaf_node, &UpdatePath::nodes}; }
  bool operator==(const UpdatePath&) const = default;
};

// struct { ProposalOrRef proposals<V>; optional<UpdatePath> path; } Commit;
struct Commit {
  std::vector<ProposalOrRef> proposals;
  std::optional<UpdatePath> path;
  static constexpr auto fields() { return std::tuple{&Commit::proposals, &Commit::path}; }
  bool operator==(const Commit&) const = default;
};

}  // namespace conclave::mls
