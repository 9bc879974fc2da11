#include "mls/treesync/tree_private.h"

#include <algorithm>

#include "mls/treesync/public_tree.h"

namespace conclave::mls {

TreePrivate TreePrivate::clone() const {
  TreePrivate out(own_, leaf_private_key_.clone());
  out.nodes_.reserve(nodes_.size());
  for (const NodeSecret& n : nodes_) {
    out.nodes_.push_back({n.node, n.path_secret.clone(), n.private_key.clone(), n.public_key});
  }
  return out;
}

Status TreePrivate::set_path_secret(const CipherSuite& suite, NodeIndex x, Secret path_secret) {
  // RFC 9420 §7.4
  const Secret node_secret = suite.derive_secret(path_secret.view(), "node");
  auto pair = suite.derive_hpke_key_pair(node_secret.view());
  if (!pair) return fail(pair.error());
  set_derived(x, std::move(path_secret), std::move(*pair));
  return {};
}

void TreePrivate::set_derived(NodeIndex x, Secret path_secret, KeyPair pair) {
  forget(x);
  NodeSecret entry{x, std::move(path_secret), std::move(pair.private_key),
                   std::move(pair.public_key)};
  const auto pos =
      std::upper_bound(nodes_.begin(), nodes_.end(), level(x),
                       [](std::uint32_t lvl, const NodeSecret& n) { return lvl < level(n.node); });
  nodes_.insert(pos, std::move(entry));
}

const TreePrivate::NodeSecret* TreePrivate::find(NodeIndex x) const {
  for (const NodeSecret& n : nodes_) {
    if (n.node == x) return &n;
  }
  return nullptr;
}

const Secret* TreePrivate::path_secret(NodeIndex x) const {
  const NodeSecret* n = find(x);
  return n == nullptr ? nullptr : &n->path_secret;
}

const Secret* TreePrivate::private_key(NodeIndex x) const {
  if (x == to_node(own_)) return &leaf_private_key_;
  const NodeSecret* n = find(x);
  return n == nullptr ? nullptr : &n->private_key;
}

const Bytes* TreePrivate::public_key(NodeIndex x) const {
  const NodeSecret* n = find(x);
  return n == nullptr ? nullptr : &n->public_key;
}

std::vector<NodeIndex> TreePrivate::held() const {
  std::vector<NodeIndex> out;
  out.reserve(nodes_.size());
  for (const NodeSecret& n : nodes_) out.push_back(n.node);
  return out;
}

void TreePrivate::forget(NodeIndex x) {
  std::erase_if(nodes_, [&](const NodeSecret& n) { return n.node == x; });
}

void TreePrivate::forget_blank(const PublicTree& tree) {
  std::erase_if(nodes_, [&](const NodeSecret& n) { return tree.blank(n.node); });
}

Status TreePrivate::check_consistent(const PublicTree& tree) const {
  const NodeIndex leaf = to_node(own_);
  if (tree.blank(leaf)) return fail(Errc::invalid_key);
  const auto leaf_pub = tree.suite().hpke_public_key(leaf_private_key_.view());
  if (!leaf_pub) return fail(Errc::invalid_key);
  const ByteView tree_leaf_key = tree.encryption_key(leaf);
  if (!std::equal(leaf_pub->begin(), leaf_pub->end(), tree_leaf_key.begin(), tree_leaf_key.end())) {
    return fail(Errc::invalid_key);
  }
  const std::vector<NodeIndex> path = direct_path(leaf, tree.leaf_count());
  for (const NodeSecret& n : nodes_) {
    if (std::find(path.begin(), path.end(), n.node) == path.end()) return fail(Errc::invalid_key);
    const ByteView key = tree.encryption_key(n.node);
    if (key.empty() ||
        !std::equal(n.public_key.begin(), n.public_key.end(), key.begin(), key.end())) {
      return fail(Errc::invalid_key);
    }
  }
  return {};
}

}  // namespace conclave::mls
