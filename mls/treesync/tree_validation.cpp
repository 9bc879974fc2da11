#include "mls/treesync/tree_validation.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <thread>

#include "mls/treesync/parallel_for.h"

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

// Work items are handed to threads in batches of this many: a leaf costs a signature check
// (tens of microseconds), so batches stay short enough to balance and long enough that the
// shared counter is not contended.
constexpr std::size_t kBatch = 16;
constexpr std::uint32_t kNoParent = std::numeric_limits<std::uint32_t>::max();

std::optional<Bytes> commit_parent_hash(const LeafNode& leaf) {
  const auto* commit = std::get_if<CommitSource>(&leaf.source.value);
  if (commit == nullptr) return std::nullopt;
  return commit->parent_hash;
}

// parent_hash_valid_for returns the parent node P that non-blank node `d` is parent-hash valid
// with respect to (§7.9.2), or kNoParent. `ph` is d's parent_hash field. A node D can only be
// valid with respect to its nearest non-blank ancestor P: every node strictly between them must
// be blank for D to be in the resolution of P's child C with only P's unmerged leaves beside
// it. Reads the tree only (its hash cache must be filled when called from several threads).
std::uint32_t parent_hash_valid_for(const PublicTree& tree, NodeIndex d,
                                    const std::optional<Bytes>& ph) {
  const LeafCount n = tree.leaf_count();
  std::optional<NodeIndex> p = parent(d, n);
  while (p && tree.blank(*p)) p = parent(*p, n);
  if (!p || !ph) return kNoParent;
  const NodeIndex s = PublicTree::copath_child(*p, d);
  const NodeIndex c = s == *left(*p) ? *right(*p) : *left(*p);
  if (*ph != tree.parent_hash(*p, s)) return kNoParent;
  // res(C) \ {D} must equal P.unmerged_leaves ∩ subtree(C).
  std::vector<NodeIndex> res = tree.resolution(c);
  const auto it = std::find(res.begin(), res.end(), d);
  if (it == res.end()) return kNoParent;
  res.erase(it);
  std::vector<NodeIndex> unmerged;
  for (LeafIndex u : tree.unmerged_leaves(*p)) {
    if (under(c, to_node(u))) unmerged.push_back(to_node(u));
  }
  std::sort(res.begin(), res.end());
  std::sort(unmerged.begin(), unmerged.end());
  if (res != unmerged) return kNoParent;
  return p->value;
}

// count_parent_hash_links: each non-blank parent must have exactly one descendant that is
// parent-hash valid with respect to it (§7.9.2). `valid_for` lists, in any order, the parent
// each non-blank node is valid for (kNoParent for none).
Status count_parent_hash_links(const PublicTree& tree, std::span<const std::uint32_t> valid_for) {
  std::vector<std::uint8_t> valid_children(tree.node_width(), 0);
  for (std::uint32_t p : valid_for) {
    if (p != kNoParent && valid_children[p] < 2) ++valid_children[p];
  }
  for (std::uint32_t i = 1; i < tree.node_width(); i += 2) {
    if (!tree.blank(NodeIndex{i}) && valid_children[i] != 1) {
      return fail(Errc::parent_hash_mismatch);
    }
  }
  return {};
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

Status verify_parent_hashes(const PublicTree& tree, unsigned threads) {
  // RFC 9420 §7.9.2: each non-blank node's link is found on its own (parent_hash_valid_for),
  // then each non-blank parent must have collected exactly one.
  tree.fill_hash_cache(threads);
  std::vector<NodeIndex> nodes;
  for (std::uint32_t i = 0; i < tree.node_width(); ++i) {
    if (!tree.blank(NodeIndex{i})) nodes.push_back(NodeIndex{i});
  }
  std::vector<std::uint32_t> valid_for(nodes.size(), kNoParent);
  parallel_for(nodes.size(), threads, kBatch, [&](std::size_t k) {
    valid_for[k] = parent_hash_valid_for(tree, nodes[k], parent_hash_field(tree, nodes[k]));
  });
  return count_parent_hash_links(tree, valid_for);
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

unsigned validation_threads(unsigned requested, LeafCount leaves) {
  if (requested != 0) return requested;
  if (leaves.value() < kParallelValidationLeaves) return 1;
  return std::max(1u, std::thread::hardware_concurrency());
}

Status validate_tree(const PublicTree& tree, const LeafValidationContext& ctx,
                     std::optional<ByteView> expected_tree_hash, unsigned threads) {
  // RFC 9420 §12.4.3.1. The checks, and the error reported when several fail, come in this
  // order whatever the thread count: tree hash, unique keys, unmerged leaves, each leaf in
  // index order (validate_leaf_node), credential support, parent hashes. Only the per-node work
  // (leaf signatures and capabilities, parent hashes, tree hashes) is spread over threads; each
  // item's result is stored in its own slot and the results are read in that order afterwards.
  //
  // The hash cache is filled first, by subtrees on separate chunks (PublicTree::
  // fill_hash_cache): after that, reading hashes no longer writes to the tree, so the threads
  // below only read it.
  tree.fill_hash_cache(threads);
  if (expected_tree_hash) {
    const Bytes got = tree.root_hash();
    if (!std::equal(got.begin(), got.end(), expected_tree_hash->begin(),
                    expected_tree_hash->end())) {
      return fail(Errc::tree_hash_mismatch);
    }
  }
  if (auto s = verify_unique_keys(tree); !s) return s;
  if (auto s = verify_unmerged_leaves(tree); !s) return s;

  const std::vector<LeafIndex> leaves = tree.non_blank_leaves();
  std::vector<NodeIndex> parents;
  for (std::uint32_t i = 1; i < tree.node_width(); i += 2) {
    if (!tree.blank(NodeIndex{i})) parents.push_back(NodeIndex{i});
  }
  // Items [0, leaves) check a leaf (and its parent hash, from the decoded leaf); the rest
  // check a parent node's parent hash. A failing leaf lowers first_bad; items after it are
  // skipped, as the single-threaded loop would stop there. Every item before first_bad is
  // still checked (skipping needs i > first_bad, and first_bad only decreases), so the first
  // failing leaf found is the first in index order.
  struct LeafResult {
    Status status;
    CredentialType credential{};
    std::vector<CredentialType> supported;
  };
  std::vector<LeafResult> leaf_results(leaves.size());
  std::vector<std::uint32_t> valid_for(leaves.size() + parents.size(), kNoParent);
  std::atomic<std::size_t> first_bad{std::numeric_limits<std::size_t>::max()};
  parallel_for(leaves.size() + parents.size(), threads, kBatch, [&](std::size_t i) {
    if (i > first_bad.load(std::memory_order_relaxed)) return;
    if (i >= leaves.size()) {
      const NodeIndex p = parents[i - leaves.size()];
      valid_for[i] = parent_hash_valid_for(tree, p, parent_hash_field(tree, p));
      return;
    }
    LeafResult& out = leaf_results[i];
    const auto leaf = tree.leaf_node(leaves[i]);
    out.status = leaf ? validate_leaf_node(tree.suite(), *leaf, leaves[i], ctx)
                      : Status(fail(Errc::invalid_tree));
    if (!out.status) {
      std::size_t seen = first_bad.load(std::memory_order_relaxed);
      while (i < seen && !first_bad.compare_exchange_weak(seen, i)) {
      }
      return;
    }
    out.credential = leaf->credential.type();
    out.supported = leaf->capabilities.credentials;
    valid_for[i] = parent_hash_valid_for(tree, to_node(leaves[i]), commit_parent_hash(*leaf));
  });
  if (const std::size_t bad = first_bad.load(); bad < leaves.size()) {
    return leaf_results[bad].status;
  }
  // §7.3: every credential type in use is supported by every member.
  std::vector<CredentialType> in_use;
  for (const LeafResult& r : leaf_results) {
    if (!listed(in_use, r.credential)) in_use.push_back(r.credential);
  }
  for (const LeafResult& r : leaf_results) {
    for (CredentialType t : in_use) {
      if (!listed(r.supported, t)) return fail(Errc::invalid_value);
    }
  }
  return count_parent_hash_links(tree, valid_for);
}

}  // namespace conclave::mls
