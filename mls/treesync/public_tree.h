#pragma once
// PublicTree: the public ratchet tree of RFC 9420 §4 and §7, shared by the full member state and
// the delivery service's public group view (no secrets here; TreeKEM's private side lives in
// tree_private.h and treekem.h).
//
// Built for large rooms (10,000+ leaves):
//  - nodes are kept as their TLS encodings (LeafNode / ParentNode without the node type), one
//    shared immutable byte string per node, null for a blank node. Hot fields (encryption key,
//    signature key, unmerged leaves) are read straight from the encoding without copying.
//  - the per-node data (encodings, cached parent tree hashes, subtree occupancy counts) lives in
//    copy-on-write chunks of kChunk consecutive nodes. Copying a tree copies the chunk table
//    (width / kChunk pointers) and the key index's shard table, not the nodes; a change copies
//    the chunks on the changed node's path that are still shared. Staging a commit on a copy
//    therefore costs O(log N) chunk copies plus the proposals, and merging is a move.
//  - tree hashes (§7.8) of parent nodes are cached per chunk, invalidated along the path of a
//    changed node, so the root hash after a commit costs O(log N) hashes.
//  - an incremental index of encryption keys (all nodes) and signature keys (leaves) answers
//    the uniqueness questions of §7.3 / §12.2 in O(1) per key.
//  - a tree reports the nodes that differ from its snapshot (taken by the last take_changes(),
//    or by the copy it was made from), so a store can rewrite only those rows.
//
// Not thread-safe: tree_hash() fills a cache even on a const tree, and copies share chunks. One
// tree and its copies belong to one room's strand. The one exception: after fill_hash_cache(),
// const members may be called from several threads at once until the tree changes.
#include <array>
#include <cstdint>
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
#include "mls/treesync/key_index.h"
#include "mls/treesync/shared_bytes.h"

namespace conclave::mls {

// TreeChanges: the nodes whose content (encoding, or blank) differs from the tree's snapshot.
// `changed` is sorted, unique and holds only indices below node_width(leaf_count); rows at or
// beyond that width no longer exist (the tree was truncated) and should be deleted by a store.
struct TreeChanges {
  std::vector<NodeIndex> changed;
  LeafCount leaf_count = *LeafCount::create(1);
};

class PublicTree {
 public:
  // How from_nodes / decode fill a new tree. Both give the same tree (same nodes, counts, key
  // index, hashes and snapshot) and the same errors:
  //  - bulk: every node is stored, then the subtree counts are summed level by level: O(N).
  //    decode() keeps each node's bytes as read instead of decoding and re-encoding the tree.
  //  - per_node: the build before issue 15 (decode to structs, re-encode, then insert each node
  //    with the bookkeeping of a single change: a walk to the root per node, O(N log N)). Kept
  //    as the benchmark's baseline and as the tests' reference for bulk.
  enum class Build { bulk, per_node };
  // from_nodes builds a tree from a ratchet_tree extension value (§12.4.3.3): the last node must
  // be non-blank (Errc::invalid_tree otherwise), leaves sit at even indices and parents at odd
  // ones (Errc::invalid_tree), and the tree is padded with blanks to a full tree. Only the shape
  // is checked here; validate() (tree_validation.h) does the joiner's checks.
  static Result<PublicTree> from_nodes(const CipherSuite& suite, const RatchetTree& nodes,
                                       Build build = Build::bulk);
  // decode parses `optional<Node> ratchet_tree<V>` exactly, then as from_nodes.
  static Result<PublicTree> decode(const CipherSuite& suite, ByteView wire,
                                   Build build = Build::bulk);
  // with_creator returns the one-leaf tree of a new group (§11).
  static PublicTree with_creator(const CipherSuite& suite, const LeafNode& creator);

  // A copy shares every chunk with `o` (copy on write) and takes `o`'s current content as its
  // snapshot: take_changes() on the copy reports what changed since the copy was made.
  PublicTree(const PublicTree& o);
  PublicTree& operator=(const PublicTree& o);
  PublicTree(PublicTree&&) noexcept = default;
  PublicTree& operator=(PublicTree&&) noexcept = default;
  ~PublicTree() = default;

  // to_nodes / encode give the ratchet_tree extension form, trailing blanks omitted.
  RatchetTree to_nodes() const;
  Bytes encode() const;
  // encoded_size is encode().size() without building the encoding (a sum over the nodes), for
  // deciding whether a tree goes into a Welcome.
  std::size_t encoded_size() const;

  const CipherSuite& suite() const { return *suite_; }
  LeafCount leaf_count() const { return leaf_count_; }
  std::uint32_t node_width() const { return width_; }
  NodeIndex root() const { return mls::root(leaf_count_); }

  // --- node access -------------------------------------------------------------------------
  // blank is true for blank nodes and for indices outside the tree.
  bool blank(NodeIndex x) const { return x.value >= width_ || node(x).empty(); }
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
  // signature_key of an occupied leaf, read from its encoding (empty view when blank).
  ByteView signature_key(LeafIndex l) const;
  // unmerged_leaves of a parent node (empty for leaves and blanks).
  std::vector<LeafIndex> unmerged_leaves(NodeIndex x) const;
  // non_blank_leaves lists the occupied leaves, left to right.
  std::vector<LeafIndex> non_blank_leaves() const;
  // nodes_with_encryption_key lists the non-blank nodes whose encryption_key is `key`;
  // leaves_with_signature_key the occupied leaves whose signature_key is `key`. O(1) expected
  // (key index), whatever the tree's size.
  std::vector<NodeIndex> nodes_with_encryption_key(ByteView key) const;
  std::vector<LeafIndex> leaves_with_signature_key(ByteView key) const;
  // find_leaf returns the first occupied leaf whose LeafNode satisfies `pred` (a scan).
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
  // fill_hash_cache computes the tree hash of every node (the root's, and so all others' that
  // are cached), spreading subtrees that lie in different chunks over `threads` threads (the
  // caller's included). Afterwards, until the tree changes, tree_hash(), root_hash(),
  // parent_hash() and original_tree_hash() only read the tree, so several threads may call
  // them, and every other const member, at once (what parallel whole-tree validation needs).
  void fill_hash_cache(unsigned threads = 1) const;
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
  // dirty lists the nodes that differ from the snapshot, sorted and unique: O(nodes written
  // since the snapshot), not O(N).
  std::vector<NodeIndex> dirty() const;
  // take_changes returns dirty() and makes the current content the new snapshot.
  TreeChanges take_changes();

  // memory_bytes estimates the heap held by this tree (nodes, hash cache, key index,
  // bookkeeping), counting shared chunks and encodings in full.
  std::size_t memory_bytes() const;

 private:
  explicit PublicTree(const CipherSuite& suite);

  // Chunks of kChunk consecutive nodes. A subtree of kChunk / 2 leaves fills one chunk, so the
  // lowest log2(kChunk) levels of a path share a chunk and a path touches about
  // log2(N) - log2(kChunk) + 1 chunks.
  static constexpr std::uint32_t kChunkBits = 8;
  static constexpr std::uint32_t kChunk = std::uint32_t{1} << kChunkBits;
  // Per-subtree occupancy: non-blank nodes and occupied leaves under each node (inclusive),
  // kept up to date along the path of every change. They make "is this resolution empty?",
  // "leftmost blank leaf" and "may the tree be truncated?" O(1) or O(log N) questions.
  struct Counts {
    std::uint32_t nonblank = 0;
    std::uint32_t leaves = 0;
  };
  struct Chunk {
    std::array<SharedBytes, kChunk> nodes;  // null = blank; entries at or beyond width blank
    // Counts of the chunk's parent nodes at (x % kChunk) / 2 (a leaf's follow from its node).
    std::array<Counts, kChunk / 2> counts;
    // Tree hash cache of the chunk's parents of level 2 and up (x % 4 == 3): Nh bytes at slot
    // (x % kChunk) / 4, valid when hash_valid[slot]. Level-1 hashes (half of all parents) are
    // recomputed from their two leaves when needed: 3 hashes, for half the cache's memory.
    std::array<std::uint8_t, kChunk / 4> hash_valid{};
    Bytes hashes;
  };
  using ChunkPtr = std::shared_ptr<Chunk>;

  const SharedBytes& node(NodeIndex x) const {
    return chunks_[x.value >> kChunkBits]->nodes[slot(x)];
  }
  Counts counts(NodeIndex x) const {
    if (is_leaf(x)) {
      const std::uint32_t occupied = node(x).empty() ? 0 : 1;
      return {occupied, occupied};
    }
    return chunks_[x.value >> kChunkBits]->counts[slot(x) >> 1];
  }
  static std::uint32_t slot(NodeIndex x) { return x.value & (kChunk - 1); }
  // writable returns x's chunk, copied first if another tree (or the snapshot) shares it.
  Chunk& writable(NodeIndex x);
  ChunkPtr new_chunk() const;

  // A node of a ratchet_tree as read: its encoding without the node type (empty when blank)
  // and whether the wire called it a leaf.
  struct WireNode {
    ByteView encoding;
    bool leaf = false;
  };
  static Result<PublicTree> from_wire_nodes(const CipherSuite& suite,
                                            std::span<const WireNode> nodes);
  static Result<PublicTree> from_nodes_per_node(const CipherSuite& suite, const RatchetTree& nodes);
  void count_all();

  void set_node(NodeIndex x, const Bytes& encoding);
  void blank_node(NodeIndex x);
  void index_node(NodeIndex x, ByteView encoding, bool add);
  std::uint64_t key_digest(ByteView key) const;
  void blank_direct_path(LeafIndex l);
  void resize(LeafCount n);
  void blank_subtree(NodeIndex x);
  void invalidate(NodeIndex x);
  void mark_changed(NodeIndex x);
  void resolution_into(NodeIndex x, std::span<const LeafIndex> exclude,
                       std::vector<NodeIndex>& out) const;
  bool subtree_has_resolution(NodeIndex x) const { return counts(x).nonblank != 0; }
  Result<std::vector<Bytes>> path_parent_hashes(LeafIndex sender, std::span<const NodeIndex> fdp,
                                                std::span<const Bytes> keys) const;
  void apply_path(LeafIndex sender, std::span<const NodeIndex> fdp, std::span<const Bytes> keys,
                  std::span<const Bytes> parent_hashes);
  Bytes leaf_hash(NodeIndex x) const;
  Bytes parent_tree_hash(NodeIndex x) const;

  const CipherSuite* suite_;
  LeafCount leaf_count_;
  std::uint32_t width_ = 0;  // node_width(leaf_count_)
  // Invariant (what makes filling the hash cache of a shared chunk from a const tree safe):
  // every change invalidates the cached hashes of ALL ancestors of the changed node, copying
  // their chunks if shared. So two trees share a chunk only while no node under any of its
  // nodes changed in either since they split, and then the subtrees, hence the hashes, agree.
  std::vector<ChunkPtr> chunks_;
  // encryption keys of all non-blank nodes (ref = node index) and signature keys of occupied
  // leaves (ref = node index | kSignatureRef)
  KeyIndex keys_;
  // The snapshot changes are reported against, and the nodes written since it was taken
  // (unsorted, may repeat; compacted when it doubles).
  std::vector<std::shared_ptr<const Chunk>> snapshot_;
  std::uint32_t snapshot_width_ = 0;
  std::vector<NodeIndex> written_;
  std::size_t written_compacted_ = 0;
};

}  // namespace conclave::mls
