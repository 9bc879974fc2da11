#include "component/ds/identity.h"

#include <variant>

namespace conclave::component::ds {

std::optional<std::string> basic_identity(const mls::LeafNode& leaf) {
  const auto* b = std::get_if<mls::BasicCredential>(&leaf.credential.value);
  if (b == nullptr) return std::nullopt;
  return std::string(b->identity.begin(), b->identity.end());
}

std::optional<std::string> leaf_identity(const mls::PublicTree& tree, mls::LeafIndex l) {
  if (!mls::contains(tree.leaf_count(), l) || tree.blank(l)) return std::nullopt;
  auto leaf = tree.leaf_node(l);
  if (!leaf) return std::nullopt;
  return basic_identity(*leaf);
}

}  // namespace conclave::component::ds
