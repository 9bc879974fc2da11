#include "mls/treesync/treekem.h"

#include <algorithm>

namespace conclave::mls {

namespace {

constexpr std::string_view kUpdatePathLabel = "UpdatePathNode";  // RFC 9420 §7.6

Result<KeyPair> node_key_pair(const CipherSuite& suite, const Secret& path_secret) {
  // RFC 9420 §7.4: node_secret = DeriveSecret(path_secret, "node").
  const Secret node_secret = suite.derive_secret(path_secret.view(), "node");
  return suite.derive_hpke_key_pair(node_secret.view());
}

}  // namespace

Result<CreatedUpdatePath> create_update_path(PublicTree& tree, TreePrivate& priv, LeafNode leaf,
                                             const SigningKey& signer, GroupContext context,
                                             std::span<const LeafIndex> joiners, Rng& rng) {
  const CipherSuite& suite = tree.suite();
  const LeafIndex own = priv.own_leaf();
  if (tree.blank(own)) return fail(Errc::invalid_sender);
  const NodeIndex own_node = to_node(own);

  // A random leaf secret gives the leaf key pair and, through "path", path_secret[0] (§7.4).
  Secret leaf_secret(suite.hash_size());
  rng.fill({leaf_secret.data(), leaf_secret.size()});
  auto leaf_pair = node_key_pair(suite, leaf_secret);
  if (!leaf_pair) return fail(leaf_pair.error());

  const std::vector<NodeIndex> fdp = tree.filtered_direct_path(own);
  std::vector<Secret> path_secrets;
  std::vector<KeyPair> pairs;
  std::vector<Bytes> public_keys;
  path_secrets.reserve(fdp.size());
  pairs.reserve(fdp.size());
  public_keys.reserve(fdp.size());
  const Secret* prev = &leaf_secret;
  for (std::size_t i = 0; i < fdp.size(); ++i) {
    path_secrets.push_back(suite.derive_secret(prev->view(), "path"));
    prev = &path_secrets.back();
    auto pair = node_key_pair(suite, *prev);
    if (!pair) return fail(pair.error());
    public_keys.push_back(pair->public_key);
    pairs.push_back(std::move(*pair));
  }
  Secret commit_secret = suite.derive_secret(prev->view(), "path");

  // Merge the new path, then sign the leaf over its parent hash (§7.5, §7.9).
  auto leaf_parent_hash = tree.set_path_keys(own, public_keys);
  if (!leaf_parent_hash) return fail(leaf_parent_hash.error());
  leaf.encryption_key = leaf_pair->public_key;
  leaf.source.value = CommitSource{std::move(*leaf_parent_hash)};
  if (auto s = sign_leaf_node(signer, leaf, context.group_id, own.value); !s) {
    return fail(s.error());
  }
  tree.set_leaf(own, leaf);

  // Encrypt each path secret to the copath child's resolution under the provisional context.
  context.tree_hash = tree.root_hash();
  const Bytes context_bytes = encode(context);
  UpdatePath path{std::move(leaf), {}};
  path.nodes.reserve(fdp.size());
  for (std::size_t i = 0; i < fdp.size(); ++i) {
    UpdatePathNode node{public_keys[i], {}};
    const auto res = tree.resolution(PublicTree::copath_child(fdp[i], own_node), joiners);
    node.encrypted_path_secret.reserve(res.size());
    for (NodeIndex r : res) {
      auto ct = suite.encrypt_with_label(tree.encryption_key(r), kUpdatePathLabel, context_bytes,
                                         path_secrets[i].view(), rng);
      if (!ct) return fail(ct.error());
      node.encrypted_path_secret.push_back(std::move(*ct));
    }
    path.nodes.push_back(std::move(node));
  }

  // The member now holds exactly its new leaf key and the new path (§7.5: old keys deleted).
  for (NodeIndex x : priv.held()) priv.forget(x);
  priv.set_leaf_private_key(std::move(leaf_pair->private_key));
  for (std::size_t i = 0; i < fdp.size(); ++i) {
    priv.set_derived(fdp[i], std::move(path_secrets[i]), std::move(pairs[i]));
  }
  return CreatedUpdatePath{std::move(path), std::move(commit_secret), std::move(context)};
}

Result<ProcessedUpdatePath> process_update_path(PublicTree& tree, TreePrivate& priv,
                                                LeafIndex sender, const UpdatePath& path,
                                                GroupContext context,
                                                std::span<const LeafIndex> joiners) {
  const CipherSuite& suite = tree.suite();
  const NodeIndex own_node = to_node(priv.own_leaf());
  const NodeIndex sender_node = to_node(sender);
  if (sender == priv.own_leaf()) return fail(Errc::invalid_commit);
  if (auto s = tree.merge_update_path(sender, path); !s) return fail(s.error());

  context.tree_hash = tree.root_hash();
  const Bytes context_bytes = encode(context);

  // §7.5: the lowest common ancestor is on the sender's filtered direct path, since its
  // copath child holds the own (non-blank) leaf.
  const std::vector<NodeIndex> fdp = tree.filtered_direct_path(sender);
  const NodeIndex ancestor = common_ancestor(sender_node, own_node);
  const auto at = std::find(fdp.begin(), fdp.end(), ancestor);
  if (at == fdp.end()) return fail(Errc::invalid_commit);
  const auto i = static_cast<std::size_t>(at - fdp.begin());
  const UpdatePathNode& node = path.nodes[i];
  const auto res = tree.resolution(PublicTree::copath_child(ancestor, sender_node), joiners);
  if (res.size() != node.encrypted_path_secret.size()) return fail(Errc::invalid_commit);

  const Secret* key = nullptr;
  std::size_t j = 0;
  for (; j < res.size(); ++j) {
    key = priv.private_key(res[j]);
    if (key == nullptr) continue;
    // A held path key is usable only if the tree still carries its public key.
    const Bytes* pub = priv.public_key(res[j]);
    const ByteView tree_key = tree.encryption_key(res[j]);
    if (pub == nullptr || std::equal(pub->begin(), pub->end(), tree_key.begin(), tree_key.end())) {
      break;
    }
    key = nullptr;
  }
  if (key == nullptr) return fail(Errc::invalid_key);
  auto plain = suite.decrypt_with_label(key->view(), kUpdatePathLabel, context_bytes,
                                        node.encrypted_path_secret[j]);
  if (!plain) return fail(plain.error());
  if (plain->size() != suite.hash_size()) return fail(Errc::invalid_commit);

  // Derive upward and check every public key before touching `priv`.
  std::vector<Secret> secrets;
  std::vector<KeyPair> pairs;
  secrets.reserve(fdp.size() - i);
  pairs.reserve(fdp.size() - i);
  secrets.emplace_back(std::move(*plain));
  for (std::size_t k = i; k < fdp.size(); ++k) {
    if (k > i) secrets.push_back(suite.derive_secret(secrets.back().view(), "path"));
    auto pair = node_key_pair(suite, secrets.back());
    if (!pair) return fail(pair.error());
    if (pair->public_key != path.nodes[k].encryption_key) return fail(Errc::invalid_key);
    pairs.push_back(std::move(*pair));
  }
  Secret commit_secret = suite.derive_secret(secrets.back().view(), "path");

  for (NodeIndex x : direct_path(sender_node, tree.leaf_count())) priv.forget(x);
  for (std::size_t k = i; k < fdp.size(); ++k) {
    priv.set_derived(fdp[k], std::move(secrets[k - i]), std::move(pairs[k - i]));
  }
  return ProcessedUpdatePath{std::move(commit_secret), ancestor, std::move(context)};
}

}  // namespace conclave::mls
