#pragma once
// Parent nodes of the ratchet tree (RFC 9420 §7.1).
#include <cstdint>
#include <tuple>
#include <vector>

#include "mls/codec/codec.h"
#include "mls/framing/leaf_node.h"

namespace conclave::mls {

// struct {
//     HPKEPublicKey encryption_key;
//     opaque parent_hash<V>;
//     uint32 unmerged_leaves<V>;
// } ParentNode;
struct ParentNode {
  HpkePublicKey encryption_key;
  Bytes parent_hash;
  std::vector<std::uint32_t> unmerged_leaves;
  static constexpr auto fields() {
    return std::tuple{&ParentNode::encryption_key, &ParentNode::parent_hash,
                      &ParentNode::unmerged_leaves};
  }
  bool operator==(const ParentNode&) const = default;
};

}  // namespace conclave::mls
