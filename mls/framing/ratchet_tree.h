#pragma once
// Ratchet tree nodes as carried on the wire (RFC 9420 §7.8, §12.4.3.3).
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "mls/codec/codec.h"
#include "mls/framing/leaf_node.h"
#include "mls/framing/parent_node.h"

namespace conclave::mls {

// enum { reserved(0), leaf(1), parent(2), (255) } NodeType;
enum class NodeType : std::uint8_t { leaf = 1, parent = 2 };

// struct {
//     NodeType node_type;
//     select (Node.node_type) {
//         case leaf:   LeafNode leaf_node;
//         case parent: ParentNode parent_node;
//     };
// } Node;
// Unknown node types fail with Errc::invalid_value.
struct Node {
  std::variant<LeafNode, ParentNode> value;
  NodeType type() const { return value.index() == 0 ? NodeType::leaf : NodeType::parent; }
  bool operator==(const Node&) const = default;
};

void write(Writer& w, const Node& v);
bool read(Reader& r, Node& v);

// optional<Node> ratchet_tree<V>;  (the ratchet_tree extension, §12.4.3.3)
using RatchetTree = std::vector<std::optional<Node>>;

}  // namespace conclave::mls
