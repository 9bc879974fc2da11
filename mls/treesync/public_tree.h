#pragma once
// PublicTree: the public ratchet tree of RFC 9420 §4 and §7, shared by the full member state and
// the delivery service's public group view (no secrets here; TreeKEM's private side lives in
// tree_private.h and treekem.h).
//
// Built for large rooms (10,000+ leaves):
//  - nodes are kept as their TLS encodings (LeafNode / ParentNode without the node type), one
//    byte string per node, empty for a blank node: about 250 bytes per member instead of a fully
//    decoded LeafNode with a dozen heap allocations. Hot fields (encryption key, unmerged
//    leaves) are read straight from the encoding without copying.
//  - tree hashes (§7.8) of parent nodes are cached in one flat buffer, invalidated only along the
//    path of a changed node, so the root hash after a commit costs O(log N) hashes.
//  - every change records the changed node indices (take_changes()) so a store can rewrite only
//    those rows.
//
// Not thread-safe: tree_hash() fills a cache even on a const tree. One tree belongs to one
// room's strand.
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "mls/codec/bytes.h"
#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/commit.h"
#include "mls/framing/leaf_node.h"
#include "mls/framing/parent_node.h"
#include "mls/framing/ratchet_tree.h"
#include "mls/tree/tree_math.h"

namespace conclave::mls {

// TreeChanges: the nodes written since the last take_changes(). `changed` is sorted, unique and
// holds only indices below node_width(leaf_count); rows at or beyond that width no longer exist
// (the tree was truncated) and should be deleted by a store.
struct TreeChanges {
  std::vector<NodeIndex> changed;
  LeafCount leaf_count = *LeafCount::create(1);
};

class PublicTree {
 public:
  // from_nodes builds a tree from a ratchet_tree extension value (§12.4.3.3): the last node must
  // be non-blank (Errc::invalid_tree otherwise), leaves sit at even indices and parents at odd
  // ones (Errc::invalid_tree), and the tree is padded with blanks to a full tree. Only the shape
  // is checked here; validate() (tree_validation.h) does the joiner's checks.
  static Result<PublicTree> from_nodes(const CipherSuite& suite, const RatchetTree& nodes);
  // decode parses `optional<Node> ratchet_tree<V>` exactly, then as from_nodes.
  static Result<PublicTree> decode(const CipherSuite& suite, ByteView wire);
  // with_creator returns the one-leaf tree of a new group (§11).
  static PublicTree with_creator(const CipherSuite& suite, const LeafNode& creator);

  // to_nodes / encode give the ratchet_tree extension form, trailing blanks omitted.
  RatchetTree to_nodes() const;
  Bytes encode() const;

  const CipherSuite& suite() const { return *suite_; }
  LeafCount leaf_count() const { return leaf_count_; }
  std::uint32_t node_width() const { return static_cast<std::uint32_t>(nodes_.size()); }
  NodeIndex root() const { return mls::root(leaf_count_); }

  // --- node access -------------------------------------------------------------------------
  // blank is true for blank nodes and for indices outside the tree.
  bool blank(NodeIndex x) const { return x.value >= nodes_.size() || nodes_[x.value].empty(); }
  bool blank(LeafIndex l) const { return blank(to_node(l)); }
  // encoding returns the stored LeafNode / ParentNode encoding (empty when blank); valid until
  // the node changes.
  ByteView encoding(NodeIndex x) const;
  // leaf_node / parent_node decode a node; nullopt when blank, outside, or of the other kind.
  std::optional<LeafNode> leaf_node(LeafIndex l) const;
  std::optional<ParentNode> parent_node(NodeIndex x) const;
  // encryption_key returns the HPKE public key of a non-blank node without copying (empty view
  // when blank); valid until the node changes.
  ByteView encryption_key(NodeIndex x) const;
  // unmerged_leaves of a parent node (empty for leaves and blanks).
  std::vector<LeafIndex> unmerged_leaves(NodeIndex x) const;
  // non_blank_leaves lists the occupied leaves, left to right.
  std::vector<LeafIndex> non_blank_leaves() const;
  // find_leaf returns the first occupied leaf whose LeafNode satisfies `pred`.
  std::optional<LeafIndex> find_leaf(const std::function<bool(const LeafNode&)>& pred) const;

  // --- paths and resolutions (§4.1) --------------------------------------------------------
  // resolution of `x` (§4.1.1), leaving out the leaves in `exclude` (joiners of the current
  // commit, §7.6). Cost: the blank nodes walked plus the size of the answer.
  std::vector<NodeIndex> resolution(NodeIndex x, std::span<const LeafIndex> exclude = {}) const;
  // filtered_direct_path of leaf `l` (§4.1.2): its direct path without the nodes whose copath
  // child has an empty resolution.
  std::vector<NodeIndex> filtered_direct_path(LeafIndex l) const;
  // copath_child: the child of `p` that is not an ancestor-or-self of node `x` (x under p).
  static NodeIndex copath_child(NodeIndex p, NodeIndex x);

  // --- hashes (§7.8, §7.9) ------------------------------------------------------------------
  // tree_hash of the subtree under `x` (cached); root_hash() is the hash of the whole tree.
  Bytes tree_hash(NodeIndex x) const;
  Bytes root_hash() const { return tree_hash(root()); }
  // parent_hash returns the parent hash of non-blank parent `p` with copath child `s` (§7.9):
  // Hash(ParentHashInput{p.encryption_key, p.parent_hash, original_sibling_tree_hash(s)}).
  Bytes parent_hash(NodeIndex p, NodeIndex s) const;
  // original_sibling_tree_hash: the tree hash of `s` with every leaf in `removed` (sorted)
  // blanked and dropped from unmerged lists (§7.9). Reuses the cache for untouched subtrees.
  Bytes original_tree_hash(NodeIndex s, std::span<const LeafIndex> removed) const;

  // --- proposals (§12.1.1-12.1.3) ------------------------------------------------------------
  // add puts `leaf` in the leftmost blank leaf, extending the tree when none is left, and
  // records it as unmerged in every non-blank parent above it. Errc::limit_exceeded beyond
  // kMaxLeaves.
  Result<LeafIndex> add(const LeafNode& leaf);
  // update replaces occupied leaf `l` and blanks its direct path; Errc::invalid_proposal when
  // `l` is blank or outside the tree.
  Status update(LeafIndex l, const LeafNode& leaf);
  // remove blanks leaf `l` and its direct path, then truncates trailing blank halves;
  // Errc::invalid_proposal when `l` is blank or outside the tree.
  Status remove(LeafIndex l);
  // truncate drops the right half of the tree while it holds no occupied leaf (§7.7).
  void truncate();

  // --- UpdatePath (§7.5, §7.6, §7.9) --------------------------------------------------------
  // merge_update_path merges the public part of a committer's UpdatePath: blanks the sender's
  // direct path, sets the filtered direct path nodes (new keys, no unmerged leaves), computes
  // their parent hashes from the root down, checks that the new leaf's parent_hash matches and
  // installs the leaf. Errc::invalid_commit for a wrong node count or a leaf whose source is not
  // commit, Errc::parent_hash_mismatch for a bad leaf parent hash. The tree is left unchanged
  // on error. Signature and LeafNode checks are the caller's (validate_leaf_node()).
  Status merge_update_path(LeafIndex sender, const UpdatePath& path);
  // set_path_keys is merge_update_path for a committer who holds the public keys of its new
  // path: blanks the direct path, sets `keys` on the filtered direct path (one per node) and
  // returns the parent hash the new leaf must carry. The leaf itself is set afterwards with
  // set_leaf().
  Result<Bytes> set_path_keys(LeafIndex sender, std::span<const Bytes> keys);
  // set_leaf overwrites leaf `l` (no path changes).
  void set_leaf(LeafIndex l, const LeafNode& leaf);

  // --- change tracking ----------------------------------------------------------------------
  // dirty lists the node indices written since the last take_changes(), sorted and unique.
  std::vector<NodeIndex> dirty() const;
  TreeChanges take_changes();

  // memory_bytes estimates the heap held by this tree (nodes, hash cache, bookkeeping).
  std::size_t memory_bytes() const;

 private:
  explicit PublicTree(const CipherSuite& suite);

  // NodeBytes: one node's encoding in a single heap block ([uint32 size][bytes]), 8 bytes per
  // slot instead of a 24-byte vector header; null for a blank node (encodings are never empty).
  class NodeBytes {
   public:
    NodeBytes() = default;
    explicit NodeBytes(ByteView v) {
      if (v.empty()) return;
      data_ = std::make_unique<std::uint8_t[]>(v.size() + sizeof(std::uint32_t));
      const auto n = static_cast<std::uint32_t>(v.size());
      std::memcpy(data_.get(), &n, sizeof n);
      std::memcpy(data_.get() + sizeof n, v.data(), v.size());
    }
    NodeBytes(const NodeBytes& o) : NodeBytes(o.view()) {}
    NodeBytes& operator=(const NodeBytes& o) {
      if (this != &o) *this = NodeBytes(o.view());
      return *this;
    }
    NodeBytes(NodeBytes&&) noexcept = default;
    NodeBytes& operator=(NodeBytes&&) noexcept = default;
    ~NodeBytes() = default;

    bool empty() const { return !data_; }
    ByteView view() const {
      if (!data_) return {};
      std::uint32_t n = 0;
      std::memcpy(&n, data_.get(), sizeof n);
      return {data_.get() + sizeof n, n};
    }
    std::size_t heap_bytes() const { return data_ ? view().size() + sizeof(std::uint32_t) : 0; }

   private:
    std::unique_ptr<std::uint8_t[]> data_;
  };

  void set_node(NodeIndex x, const Bytes& encoding);
  void blank_node(NodeIndex x);
  void blank_direct_path(LeafIndex l);
  void resize(LeafCount n);
  void invalidate(NodeIndex x);
  void mark_changed(NodeIndex x);
  void resolution_into(NodeIndex x, std::span<const LeafIndex> exclude,
                       std::vector<NodeIndex>& out) const;
  bool subtree_has_resolution(NodeIndex x) const { return counts_[x.value].nonblank != 0; }
  Result<std::vector<Bytes>> path_parent_hashes(LeafIndex sender, std::span<const NodeIndex> fdp,
                                                std::span<const Bytes> keys) const;
  void apply_path(LeafIndex sender, std::span<const NodeIndex> fdp, std::span<const Bytes> keys,
                  std::span<const Bytes> parent_hashes);
  Bytes leaf_hash(NodeIndex x) const;
  ByteView parent_hash_cached(NodeIndex x) const;

  const CipherSuite* suite_;
  LeafCount leaf_count_;
  std::vector<NodeBytes> nodes_;  // node_width(leaf_count_) entries; empty = blank
  // Tree hash cache for parent nodes only: Nh bytes per parent at slot x >> 1, valid when
  // hash_valid_[x >> 1]. Invariant: an invalid node has only invalid ancestors, so
  // invalidation stops at the first invalid ancestor.
  mutable Bytes hashes_;
  mutable std::vector<std::uint8_t> hash_valid_;
  // Per-subtree occupancy: non-blank nodes and occupied leaves under each node (inclusive),
  // kept up to date along the path of every change. They make "is this resolution empty?",
  // "leftmost blank leaf" and "may the tree be truncated?" O(1) or O(log N) questions.
  struct Counts {
    std::uint32_t nonblank = 0;
    std::uint32_t leaves = 0;
  };
  std::vector<Counts> counts_;
  std::vector<NodeIndex> changed_;  // unsorted, each node once (changed_flags_)
  std::vector<std::uint8_t> changed_flags_;
};

}  // namespace conclave::mls
