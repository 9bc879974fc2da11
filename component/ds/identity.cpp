#include "component/ds/identity.h"

#include <map>
#include <utility>
#include <variant>

#include "mls/group/extensions.h"

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

bool is_device_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> leaf_device(const mls::LeafNode& leaf) {
  const mls::Extension* ext = mls::find_extension(leaf.extensions, mls::kExtApplicationId);
  if (ext == nullptr) return std::nullopt;
  // RFC 9420 §5.3.3: the extension data is `opaque application_id<V>`.
  auto id = mls::decode<mls::Bytes>(ext->extension_data);
  if (!id) return std::nullopt;
  std::string text(id->begin(), id->end());
  if (!is_device_id(text)) return std::nullopt;
  return text;
}

std::optional<std::string> leaf_device_at(const mls::PublicTree& tree, mls::LeafIndex l) {
  if (!mls::contains(tree.leaf_count(), l) || tree.blank(l)) return std::nullopt;
  auto leaf = tree.leaf_node(l);
  if (!leaf) return std::nullopt;
  return leaf_device(*leaf);
}

std::optional<std::string> device_clash(const mls::PublicTree& tree,
                                        const std::vector<mls::LeafIndex>& changed) {
  if (changed.empty()) return std::nullopt;
  // One pass over the tree: O(N), like RoomGroup::recount after every commit.
  std::map<std::pair<std::string, std::string>, std::uint32_t> holders;
  for (const mls::LeafIndex l : tree.non_blank_leaves()) {
    auto id = leaf_identity(tree, l);
    auto device = leaf_device_at(tree, l);
    if (id && device) ++holders[{*id, *device}];
  }
  for (const mls::LeafIndex l : changed) {
    auto id = leaf_identity(tree, l);
    auto device = leaf_device_at(tree, l);
    if (!id) continue;  // not a leaf now (removed again) or no BasicCredential: checked elsewhere
    if (!device) return "leaf " + std::to_string(l.value) + " names no device";
    if (holders[{*id, *device}] > 1) {
      return "device " + *device + " of " + *id + " already holds a leaf";
    }
  }
  return std::nullopt;
}

}  // namespace conclave::component::ds
