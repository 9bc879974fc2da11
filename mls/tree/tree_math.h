#pragma once
// Tree math over array-indexed, left-balanced binary trees (RFC 9420 §4.1, §7.1, Appendix C).
// Leaves sit at even node indices (leaf i at node 2i), parents at odd ones; every relation is a
// few bit operations on the index. Leaf and node indices are distinct types (docs/style.md P4):
// to_node() is the way from a leaf to its node, and to_leaf() the checked way back.
#include <bit>
#include <compare>
#include <cstdint>
#include <optional>
#include <vector>

#include "mls/codec/result.h"

namespace conclave::mls {

// Upper bound on the leaves of any tree this implementation handles. Counts read from the wire
// are checked against it before any doubling, so 2 * n never overflows a uint32.
inline constexpr std::uint32_t kMaxLeaves = std::uint32_t{1} << 20;

struct LeafIndex {
  std::uint32_t value = 0;
  auto operator<=>(const LeafIndex&) const = default;
};

struct NodeIndex {
  std::uint32_t value = 0;
  auto operator<=>(const NodeIndex&) const = default;
};

// LeafCount: the number of leaves of a tree, always a power of two in [1, kMaxLeaves] because
// RFC 9420 trees are full (§7.8: the tree grows by doubling and shrinks by halving). Obtainable
// only through create() / covering(), so every function below can rely on that.
class LeafCount {
 public:
  // create accepts exactly a power of two in [1, kMaxLeaves]: Errc::limit_exceeded above the
  // bound, Errc::invalid_tree for zero or a count that is not a power of two.
  static Result<LeafCount> create(std::uint64_t n);
  // covering returns the smallest full tree holding `n` leaves (n = 0 gives one leaf), e.g. for
  // a ratchet tree received with its trailing blank nodes truncated; Errc::limit_exceeded when
  // that tree would exceed kMaxLeaves.
  static Result<LeafCount> covering(std::uint64_t n);

  constexpr std::uint32_t value() const { return value_; }
  auto operator<=>(const LeafCount&) const = default;

 private:
  explicit constexpr LeafCount(std::uint32_t n) : value_(n) {}
  std::uint32_t value_ = 1;
};

constexpr NodeIndex to_node(LeafIndex leaf) { return NodeIndex{2 * leaf.value}; }

constexpr bool is_leaf(NodeIndex x) { return (x.value & 1) == 0; }

// to_leaf returns the leaf held at node `x`, or nullopt for a parent node.
constexpr std::optional<LeafIndex> to_leaf(NodeIndex x) {
  if (!is_leaf(x)) return std::nullopt;
  return LeafIndex{x.value >> 1};
}

// node_width is the number of nodes of a tree with `n` leaves: 2n - 1.
constexpr std::uint32_t node_width(LeafCount n) { return 2 * n.value() - 1; }

// contains tells whether node `x` lies inside a tree with `n` leaves.
constexpr bool contains(LeafCount n, NodeIndex x) { return x.value < node_width(n); }
constexpr bool contains(LeafCount n, LeafIndex l) { return l.value < n.value(); }

// level: leaves are level 0, their parents level 1, ...: the number of trailing one bits.
constexpr std::uint32_t level(NodeIndex x) {
  return static_cast<std::uint32_t>(std::countr_one(x.value));
}

// root of a full tree with `n` leaves: n - 1 (all ones below the top bit of the width).
constexpr NodeIndex root(LeafCount n) { return NodeIndex{n.value() - 1}; }

// left / right children of a parent node; nullopt for a leaf.
constexpr std::optional<NodeIndex> left(NodeIndex x) {
  const std::uint32_t k = level(x);
  if (k == 0) return std::nullopt;
  return NodeIndex{x.value ^ (std::uint32_t{1} << (k - 1))};
}
constexpr std::optional<NodeIndex> right(NodeIndex x) {
  const std::uint32_t k = level(x);
  if (k == 0) return std::nullopt;
  return NodeIndex{x.value ^ (std::uint32_t{3} << (k - 1))};
}

// parent of `x` in a tree with `n` leaves; nullopt for the root and for nodes outside the tree.
constexpr std::optional<NodeIndex> parent(NodeIndex x, LeafCount n) {
  if (!contains(n, x) || x == root(n)) return std::nullopt;
  const std::uint32_t k = level(x);
  const std::uint32_t b = (x.value >> (k + 1)) & 1;
  return NodeIndex{(x.value | (std::uint32_t{1} << k)) ^ (b << (k + 1))};
}

// sibling: the other child of x's parent; nullopt where parent() is.
constexpr std::optional<NodeIndex> sibling(NodeIndex x, LeafCount n) {
  const auto p = parent(x, n);
  if (!p) return std::nullopt;
  // Siblings differ exactly in bit level(x) + 1 of the index.
  return NodeIndex{x.value ^ (std::uint32_t{1} << (level(x) + 1))};
}

// direct_path: the parents of `x` from its parent up to and including the root (RFC 9420 §4.1);
// empty for the root and for nodes outside the tree.
std::vector<NodeIndex> direct_path(NodeIndex x, LeafCount n);

// copath: the siblings of `x` and of each node of its direct path except the root, leaf to root.
std::vector<NodeIndex> copath(NodeIndex x, LeafCount n);

// common_ancestor: the lowest node whose subtree holds both `x` and `y` (x itself when x == y).
constexpr NodeIndex common_ancestor(NodeIndex x, NodeIndex y) {
  // A node at level k covers indices sharing its bits above k; the subtree of the ancestor is
  // the smallest aligned block [a, a + 2^(k+1) - 1) holding both.
  const std::uint32_t lx = level(x) + 1;
  const std::uint32_t ly = level(y) + 1;
  if (lx <= ly && (x.value >> ly) == (y.value >> ly)) return y;
  if (ly <= lx && (x.value >> lx) == (y.value >> lx)) return x;
  const auto k = static_cast<std::uint32_t>(std::bit_width(x.value ^ y.value));
  return NodeIndex{((x.value >> k) << k) + (std::uint32_t{1} << (k - 1)) - 1};
}

}  // namespace conclave::mls
