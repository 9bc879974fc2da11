#include "mls/treesync/tree_validation.h"

#include <algorithm>

namespace conclave::mls {

namespace {

template <class T, class V>
bool listed(const std::vector<T>& list, V value) {
  return std::find(list.begin(), list.end(), static_cast<T>(value)) != list.end();
}

// parent_hash_field returns the parent_hash a node carries, or nullopt when it carries none
// (blank nodes, leaves whose source is not commit).
std::optional<Bytes> parent_hash_field(const PublicTree& tree, NodeIndex x) {
  if (is_leaf(x)) {
    const auto leaf = tree.leaf_node(*to_leaf(x));
    if (!leaf) return std::nullopt;
    const auto* commit = std::get_if<CommitSource>(&leaf->source.value);
    if (commit == nullptr) return std::nullopt;
    return commit->parent_hash;
  }
  auto parent = tree.parent_node(x);
  if (!parent) return std::nullopt;
  return std::move(parent->parent_hash);
}

// signature_key returns the signature key of a stored leaf encoding (its second field).
ByteView signature_key(ByteView leaf_encoding) {
  Reader r(leaf_encoding);
  Reader body;
  if (!r.read_vector(body)) return {};
  if (!r.read_vector(body)) return {};
  ByteView v;
  body.read_raw(body.remaining(), v);
  return v;
}

bool has_duplicate(std::vector<ByteView>& keys) {
  std::sort(keys.begin(), keys.end(), [](ByteView a, ByteView b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  });
  return std::adjacent_find(keys.begin(), keys.end(), [](ByteView a, ByteView b) {
           return std::equal(a.begin(), a.end(), b.begin(), b.end());
         }) != keys.end();
}

bool under(NodeIndex ancestor, NodeIndex x) {
  const std::uint32_t k = level(ancestor);
  const std::uint32_t half = (std::uint32_t{1} << k) - 1;
  return x.value + half >= ancestor.value && x.value <= ancestor.value + half;
}

}  // namespace

Status validate_leaf_node(const CipherSuite& suite, const LeafNode& leaf, LeafIndex index,
                          const LeafValidationContext& ctx) {
  // RFC 9420 §7.3, in the order listed there.
  if (!verify_leaf_node(suite, leaf, ctx.group_id, index.value)) {
    return fail(Errc::bad_signature);
  }
  const Capabilities& caps = leaf.capabilities;
  // §7.2: the credential type in use must be listed in the leaf's own capabilities.
  if (!listed(caps.credentials, leaf.credential.type())) return fail(Errc::invalid_value);
  for (const Extension& group_ext : ctx.group_extensions) {
    if (group_ext.extension_type != kRequiredCapabilitiesExtension) continue;
    const auto required = decode<RequiredCapabilities>(group_ext.extension_data);
    if (!required) return fail(Errc::malformed);
    for (std::uint16_t e : required->extension_types) {
      if (e > kLastDefaultExtensionType && !listed(caps.extensions, e)) {
        return fail(Errc::invalid_value);
      }
    }
    for (std::uint16_t p : required->proposal_types) {
      if (p > kLastDefaultProposalType && !listed(caps.proposals, p)) {
        return fail(Errc::invalid_value);
      }
    }
    for (std::uint16_t c : required->credential_types) {
      if (!listed(caps.credentials, c)) return fail(Errc::invalid_value);
    }
  }
  if (ctx.now) {
    if (const auto* kp = std::get_if<KeyPackageSource>(&leaf.source.value)) {
      if (*ctx.now < kp->lifetime.not_before || *ctx.now > kp->lifetime.not_after) {
        return fail(Errc::invalid_value);
      }
    }
  }
  // §7.2: non-default extensions in the leaf must be listed in its capabilities.
  for (const Extension& e : leaf.extensions) {
    if (e.extension_type > kLastDefaultExtensionType &&
        !listed(caps.extensions, e.extension_type)) {
      return fail(Errc::invalid_value);
    }
  }
  return {};
}

Status verify_parent_hashes(const PublicTree& tree) {
  // RFC 9420 §7.9.2, top down. A node D can only be valid with respect to its nearest non-blank
  // ancestor P: every node strictly between them must be blank for D to be in the resolution
  // of P's child C with only P's unmerged leaves beside it. So each D is tried against one P,
  // and each non-blank P must collect exactly one valid D.
  const std::uint32_t width = tree.node_width();
  const LeafCount n = tree.leaf_count();
  std::vector<std::uint8_t> valid_children(width, 0);
  for (std::uint32_t i = 0; i < width; ++i) {
    const NodeIndex d{i};
    if (tree.blank(d)) continue;
    std::optional<NodeIndex> p = parent(d, n);
    while (p && tree.blank(*p)) p = parent(*p, n);
    if (!p) continue;
    const auto ph = parent_hash_field(tree, d);
    if (!ph) continue;
    const NodeIndex s = PublicTree::copath_child(*p, d);
    const NodeIndex c = s == *left(*p) ? *right(*p) : *left(*p);
    if (*ph != tree.parent_hash(*p, s)) continue;
    // res(C) \ {D} must equal P.unmerged_leaves ∩ subtree(C).
    std::vector<NodeIndex> res = tree.resolution(c);
    const auto it = std::find(res.begin(), res.end(), d);
    if (it == res.end()) continue;
    res.erase(it);
    std::vector<NodeIndex> unmerged;
    for (LeafIndex u : tree.unmerged_leaves(*p)) {
      if (under(c, to_node(u))) unmerged.push_back(to_node(u));
    }
    std::sort(res.begin(), res.end());
    std::sort(unmerged.begin(), unmerged.end());
    if (res != unmerged) continue;
    if (valid_children[p->value] < 2) ++valid_children[p->value];
  }
  for (std::uint32_t i = 1; i < width; i += 2) {
    if (!tree.blank(NodeIndex{i}) && valid_children[i] != 1) {
      return fail(Errc::parent_hash_mismatch);
    }
  }
  return {};
}

Status verify_unmerged_leaves(const PublicTree& tree) {
  const LeafCount n = tree.leaf_count();
  for (std::uint32_t i = 1; i < tree.node_width(); i += 2) {
    const NodeIndex p{i};
    if (tree.blank(p)) continue;
    const std::vector<LeafIndex> unmerged = tree.unmerged_leaves(p);
    // §7.1: sorted in increasing order (and so without repeats).
    for (std::size_t k = 1; k < unmerged.size(); ++k) {
      if (unmerged[k - 1] >= unmerged[k]) return fail(Errc::invalid_tree);
    }
    for (LeafIndex u : unmerged) {
      const NodeIndex x = to_node(u);
      if (!under(p, x) || x == p || tree.blank(x)) return fail(Errc::invalid_tree);
      // §12.4.3.1: every non-blank node between the leaf and P lists the leaf too.
      for (auto q = parent(x, n); q && *q != p; q = parent(*q, n)) {
        if (tree.blank(*q)) continue;
        const auto list = tree.unmerged_leaves(*q);
        if (!std::binary_search(list.begin(), list.end(), u)) return fail(Errc::invalid_tree);
      }
    }
  }
  return {};
}

Status verify_unique_keys(const PublicTree& tree) {
  std::vector<ByteView> encryption_keys;
  std::vector<ByteView> signature_keys;
  for (std::uint32_t i = 0; i < tree.node_width(); ++i) {
    const NodeIndex x{i};
    if (tree.blank(x)) continue;
    encryption_keys.push_back(tree.encryption_key(x));
    if (is_leaf(x)) signature_keys.push_back(signature_key(tree.encoding(x)));
  }
  if (has_duplicate(encryption_keys) || has_duplicate(signature_keys)) {
    return fail(Errc::invalid_tree);
  }
  return {};
}

Status validate_tree(const PublicTree& tree, const LeafValidationContext& ctx,
                     std::optional<ByteView> expected_tree_hash) {
  // RFC 9420 §12.4.3.1
  if (expected_tree_hash) {
    const Bytes got = tree.root_hash();
    if (!std::equal(got.begin(), got.end(), expected_tree_hash->begin(),
                    expected_tree_hash->end())) {
      return fail(Errc::tree_hash_mismatch);
    }
  }
  if (auto s = verify_unique_keys(tree); !s) return s;
  if (auto s = verify_unmerged_leaves(tree); !s) return s;
  std::vector<CredentialType> in_use;
  std::vector<Capabilities> capabilities;
  for (LeafIndex l : tree.non_blank_leaves()) {
    const auto leaf = tree.leaf_node(l);
    if (!leaf) return fail(Errc::invalid_tree);
    if (auto s = validate_leaf_node(tree.suite(), *leaf, l, ctx); !s) return s;
    if (!listed(in_use, leaf->credential.type())) in_use.push_back(leaf->credential.type());
    capabilities.push_back(leaf->capabilities);
  }
  // §7.3: every credential type in use is supported by every member.
  for (const Capabilities& caps : capabilities) {
    for (CredentialType t : in_use) {
      if (!listed(caps.credentials, t)) return fail(Errc::invalid_value);
    }
  }
  return verify_parent_hashes(tree);
}

}  // namespace conclave::mls
