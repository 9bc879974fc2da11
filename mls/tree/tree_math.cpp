#include "mls/tree/tree_math.h"

namespace conclave::mls {

Result<LeafCount> LeafCount::create(std::uint64_t n) {
  if (n > kMaxLeaves) return fail(Errc::limit_exceeded);
  if (n == 0 || !std::has_single_bit(n)) return fail(Errc::invalid_tree);
  return LeafCount(static_cast<std::uint32_t>(n));
}

Result<LeafCount> LeafCount::covering(std::uint64_t n) {
  // Checked before rounding up: bit_ceil of a hostile 64-bit count would overflow.
  if (n > kMaxLeaves) return fail(Errc::limit_exceeded);
  if (n == 0) n = 1;
  return LeafCount(static_cast<std::uint32_t>(std::bit_ceil(n)));
}

std::vector<NodeIndex> direct_path(NodeIndex x, LeafCount n) {
  std::vector<NodeIndex> out;
  if (!contains(n, x)) return out;
  const NodeIndex r = root(n);
  out.reserve(level(r) - level(x));
  while (x != r) {
    x = *parent(x, n);
    out.push_back(x);
  }
  return out;
}

std::vector<NodeIndex> copath(NodeIndex x, LeafCount n) {
  std::vector<NodeIndex> out;
  if (!contains(n, x)) return out;
  const NodeIndex r = root(n);
  out.reserve(level(r) - level(x));
  while (x != r) {
    out.push_back(*sibling(x, n));
    x = *parent(x, n);
  }
  return out;
}

}  // namespace conclave::mls
