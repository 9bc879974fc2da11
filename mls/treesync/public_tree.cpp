#include "mls/treesync/public_tree.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "mls/treesync/parallel_for.h"

namespace conclave::mls {

namespace {

// Tree hash input headers (RFC 9420 §7.8): uint8 NodeType, then the select body.
constexpr std::uint8_t kLeafType = 1;
constexpr std::uint8_t kParentType = 2;

bool contains_leaf(std::span<const LeafIndex> set, LeafIndex l) {
  return std::find(set.begin(), set.end(), l) != set.end();
}

// Leaves under node x: [first, first + 2^level(x)).
struct LeafRange {
  std::uint32_t first;
  std::uint32_t count;
};
LeafRange leaves_under(NodeIndex x) {
  const std::uint32_t k = level(x);
  return {(x.value >> (k + 1)) << k, std::uint32_t{1} << k};
}

bool in_range(LeafRange r, LeafIndex l) {
  return l.value >= r.first && l.value - r.first < r.count;
}

// Signature-key entries of the key index are tagged so they never match encryption-key entries.
constexpr std::uint32_t kSignatureRef = std::uint32_t{1} << 31;

// read_opaque reads one opaque<V> field of a stored encoding as a view.
ByteView read_opaque(Reader& r) {
  Reader body;
  if (!r.read_vector(body)) return {};
  ByteView v;
  body.read_raw(body.remaining(), v);
  return v;
}

// second_opaque: the second field of an encoding (a LeafNode's signature_key, §7.2).
ByteView second_opaque(ByteView encoding) {
  Reader r(encoding);
  read_opaque(r);
  return read_opaque(r);
}

}  // namespace

PublicTree::PublicTree(const CipherSuite& suite)
    : suite_(&suite), leaf_count_(*LeafCount::create(1)) {
  resize(leaf_count_);
  snapshot_width_ = width_;
  snapshot_.assign(chunks_.begin(), chunks_.end());
}

PublicTree::PublicTree(const PublicTree& o)
    : suite_(o.suite_),
      leaf_count_(o.leaf_count_),
      width_(o.width_),
      chunks_(o.chunks_),
      keys_(o.keys_),
      snapshot_(o.chunks_.begin(), o.chunks_.end()),
      snapshot_width_(o.width_) {}

PublicTree& PublicTree::operator=(const PublicTree& o) {
  if (this != &o) *this = PublicTree(o);
  return *this;
}

PublicTree::ChunkPtr PublicTree::new_chunk() const {
  auto c = std::make_shared<Chunk>();
  c->hashes.resize(std::size_t{kChunk / 4} * suite_->hash_size());
  return c;
}

PublicTree::Chunk& PublicTree::writable(NodeIndex x) {
  ChunkPtr& c = chunks_[x.value >> kChunkBits];
  if (c.use_count() > 1) c = std::make_shared<Chunk>(*c);
  return *c;
}

Result<PublicTree> PublicTree::from_nodes(const CipherSuite& suite, const RatchetTree& nodes,
                                          Build build) {
  if (build == Build::per_node) return from_nodes_per_node(suite, nodes);
  std::vector<Bytes> encodings(nodes.size());
  std::vector<WireNode> wire(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!nodes[i]) continue;
    encodings[i] = std::visit([](const auto& v) { return mls::encode(v); }, nodes[i]->value);
    wire[i] = {encodings[i], nodes[i]->type() == NodeType::leaf};
  }
  return from_wire_nodes(suite, wire);
}

Result<PublicTree> PublicTree::from_nodes_per_node(const CipherSuite& suite,
                                                   const RatchetTree& nodes) {
  // RFC 9420 §12.4.3.3: the sender omits trailing blanks, so the last node must be present.
  if (nodes.empty() || !nodes.back().has_value()) return fail(Errc::invalid_tree);
  const auto n = LeafCount::covering((nodes.size() + 1) / 2);
  if (!n) return fail(n.error());
  PublicTree tree(suite);
  tree.resize(*n);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!nodes[i]) continue;
    const NodeIndex x{static_cast<std::uint32_t>(i)};
    const bool want_leaf = is_leaf(x);
    if ((nodes[i]->type() == NodeType::leaf) != want_leaf) return fail(Errc::invalid_tree);
    tree.set_node(x, std::visit([](const auto& v) { return mls::encode(v); }, nodes[i]->value));
  }
  (void)tree.take_changes();
  tree.keys_.shrink_to_fit();
  return tree;
}

Result<PublicTree> PublicTree::from_wire_nodes(const CipherSuite& suite,
                                               std::span<const WireNode> nodes) {
  // RFC 9420 §12.4.3.3: the sender omits trailing blanks, so the last node must be present.
  if (nodes.empty() || nodes.back().encoding.empty()) return fail(Errc::invalid_tree);
  const auto n = LeafCount::covering((nodes.size() + 1) / 2);
  if (!n) return fail(n.error());
  PublicTree tree(suite);
  // Nothing is shared while the tree is filled (no snapshot yet), so no chunk is copied, and
  // nodes are stored without the per-change bookkeeping (change list, hash invalidation, counts
  // along the path): the chunks are new, their hash caches empty, and count_all() sums the
  // counts once at the end.
  tree.snapshot_.clear();
  tree.resize(*n);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].encoding.empty()) continue;
    const NodeIndex x{static_cast<std::uint32_t>(i)};
    if (nodes[i].leaf != is_leaf(x)) return fail(Errc::invalid_tree);
    SharedBytes& cell = tree.chunks_[x.value >> kChunkBits]->nodes[slot(x)];
    cell = SharedBytes(nodes[i].encoding);
    tree.index_node(x, cell.view(), true);
  }
  tree.count_all();
  tree.snapshot_.assign(tree.chunks_.begin(), tree.chunks_.end());
  tree.snapshot_width_ = tree.width_;
  tree.keys_.shrink_to_fit();
  return tree;
}

void PublicTree::count_all() {
  // Level by level from the lowest parents up, so both children are final when a parent is
  // summed: every node is visited once.
  for (std::uint32_t k = 1; (std::uint32_t{1} << k) <= width_; ++k) {
    const std::uint32_t step = std::uint32_t{1} << (k + 1);
    for (std::uint32_t i = (std::uint32_t{1} << k) - 1; i < width_; i += step) {
      const NodeIndex x{i};
      const Counts l = counts(*left(x));
      const Counts r = counts(*right(x));
      Counts& c = chunks_[i >> kChunkBits]->counts[slot(x) >> 1];
      c.nonblank = l.nonblank + r.nonblank + (node(x).empty() ? 0 : 1);
      c.leaves = l.leaves + r.leaves;
    }
  }
}

Result<PublicTree> PublicTree::decode(const CipherSuite& suite, ByteView wire, Build build) {
  if (build == Build::per_node) {
    auto nodes = mls::decode<RatchetTree>(wire);
    if (!nodes) return fail(nodes.error());
    return from_nodes_per_node(suite, *nodes);
  }
  // The same reads as decode<RatchetTree>, in the same order, so the same errors; but each node
  // is kept as the bytes it was read from rather than re-encoded from a struct. Decoding is
  // exact (minimal varint lengths, §2.1.2; optional and enum values checked), so those bytes
  // are the node's encoding.
  Reader r(wire);
  Reader body;
  std::vector<WireNode> nodes;
  if (r.read_vector(body)) {
    const std::size_t total = body.remaining();
    const std::uint8_t* base = wire.data() + (wire.size() - r.remaining() - total);
    std::optional<Node> scratch;
    while (!body.empty()) {
      const std::size_t before = body.remaining();
      if (!mls::read(body, scratch) || !body.ok()) {
        r.fail(body.error());
        break;
      }
      if (!scratch) {
        nodes.emplace_back();
        continue;
      }
      // The node's encoding follows the present byte and the node type.
      const std::size_t start = total - before + 2;
      const std::size_t end = total - body.remaining();
      nodes.push_back({ByteView(base + start, end - start), scratch->type() == NodeType::leaf});
    }
  }
  if (!r.ok()) return fail(r.error());
  if (!r.empty()) return fail(Errc::trailing_data);
  return from_wire_nodes(suite, nodes);
}

PublicTree PublicTree::with_creator(const CipherSuite& suite, const LeafNode& creator) {
  PublicTree tree(suite);
  tree.set_node(NodeIndex{0}, mls::encode(creator));
  return tree;
}

RatchetTree PublicTree::to_nodes() const {
  std::uint32_t end = width_;
  while (end > 0 && blank(NodeIndex{end - 1})) --end;
  RatchetTree out(end);
  for (std::size_t i = 0; i < end; ++i) {
    const NodeIndex x{static_cast<std::uint32_t>(i)};
    if (is_leaf(x)) {
      if (auto leaf = leaf_node(*to_leaf(x))) out[i] = Node{std::move(*leaf)};
    } else if (auto parent = parent_node(x)) {
      out[i] = Node{std::move(*parent)};
    }
  }
  return out;
}

Bytes PublicTree::encode() const {
  // Written straight from the stored encodings: optional<Node> = present byte, node type, body.
  std::uint32_t end = width_;
  while (end > 0 && blank(NodeIndex{end - 1})) --end;
  Writer w;
  const std::size_t mark = w.begin_vector();
  for (std::uint32_t i = 0; i < end; ++i) {
    const SharedBytes& n = node(NodeIndex{i});
    if (n.empty()) {
      w.write_uint(std::uint8_t{0});
      continue;
    }
    w.write_uint(std::uint8_t{1});
    w.write_uint((i & 1) == 0 ? kLeafType : kParentType);
    w.write_raw(n.view());
  }
  w.end_vector(mark);
  return w.take();
}

std::size_t PublicTree::encoded_size() const {
  // As encode(): per node a present byte, then the node type and the stored encoding; all in
  // one vector with a varint length (§2.1.2: 1, 2 or 4 bytes).
  std::uint32_t end = width_;
  while (end > 0 && blank(NodeIndex{end - 1})) --end;
  std::size_t body = 0;
  for (std::uint32_t i = 0; i < end; ++i) {
    const SharedBytes& n = node(NodeIndex{i});
    body += n.empty() ? 1 : 2 + n.view().size();
  }
  const std::size_t header = body < 0x40 ? 1 : body < 0x4000 ? 2 : 4;
  return header + body;
}

// --- node access ----------------------------------------------------------------------------

ByteView PublicTree::encoding(NodeIndex x) const {
  if (x.value >= width_) return {};
  return node(x).view();
}

std::optional<LeafNode> PublicTree::leaf_node(LeafIndex l) const {
  if (blank(l)) return std::nullopt;
  auto leaf = mls::decode<LeafNode>(node(to_node(l)).view());
  if (!leaf) return std::nullopt;  // stored encodings always decode; kept total for safety
  return std::move(*leaf);
}

std::optional<ParentNode> PublicTree::parent_node(NodeIndex x) const {
  if (is_leaf(x) || blank(x)) return std::nullopt;
  auto parent = mls::decode<ParentNode>(node(x).view());
  if (!parent) return std::nullopt;
  return std::move(*parent);
}

ByteView PublicTree::encryption_key(NodeIndex x) const {
  if (blank(x)) return {};
  // encryption_key is the first field of both LeafNode and ParentNode.
  Reader r(node(x).view());
  return read_opaque(r);
}

ByteView PublicTree::signature_key(LeafIndex l) const {
  if (blank(l)) return {};
  return second_opaque(node(to_node(l)).view());
}

std::uint64_t PublicTree::key_digest(ByteView key) const {
  // The suite's hash, so that no one can choose keys that pile up in one index shard.
  const Bytes h = suite_->hash(key);
  std::uint64_t d = 0;
  std::memcpy(&d, h.data(), std::min(sizeof d, h.size()));
  return d;
}

std::vector<NodeIndex> PublicTree::nodes_with_encryption_key(ByteView key) const {
  std::vector<std::uint32_t> refs;
  keys_.candidates(key_digest(key), refs);
  std::vector<NodeIndex> out;
  for (std::uint32_t ref : refs) {
    if ((ref & kSignatureRef) != 0) continue;
    if (same(encryption_key(NodeIndex{ref}), key)) out.push_back(NodeIndex{ref});
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<LeafIndex> PublicTree::leaves_with_signature_key(ByteView key) const {
  std::vector<std::uint32_t> refs;
  keys_.candidates(key_digest(key), refs);
  std::vector<LeafIndex> out;
  for (std::uint32_t ref : refs) {
    if ((ref & kSignatureRef) == 0) continue;
    const LeafIndex l{(ref & ~kSignatureRef) >> 1};
    if (same(signature_key(l), key)) out.push_back(l);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<LeafIndex> PublicTree::unmerged_leaves(NodeIndex x) const {
  std::vector<LeafIndex> out;
  if (is_leaf(x) || blank(x)) return out;
  Reader r(node(x).view());
  read_opaque(r);  // encryption_key
  read_opaque(r);  // parent_hash
  Reader body;
  if (!r.read_vector(body)) return out;
  out.reserve(body.remaining() / 4);
  std::uint32_t v = 0;
  while (body.read_uint(v)) out.push_back(LeafIndex{v});
  return out;
}

std::vector<LeafIndex> PublicTree::non_blank_leaves() const {
  std::vector<LeafIndex> out;
  out.reserve(counts(root()).leaves);
  for (std::uint32_t i = 0; i < leaf_count_.value(); ++i) {
    if (!blank(LeafIndex{i})) out.push_back(LeafIndex{i});
  }
  return out;
}

std::optional<LeafIndex> PublicTree::find_leaf(
    const std::function<bool(const LeafNode&)>& pred) const {
  for (std::uint32_t i = 0; i < leaf_count_.value(); ++i) {
    const auto leaf = leaf_node(LeafIndex{i});
    if (leaf && pred(*leaf)) return LeafIndex{i};
  }
  return std::nullopt;
}

// --- paths and resolutions -------------------------------------------------------------------

void PublicTree::resolution_into(NodeIndex x, std::span<const LeafIndex> exclude,
                                 std::vector<NodeIndex>& out) const {
  // RFC 9420 §4.1.1. Subtrees without any non-blank node are skipped without descending.
  if (!subtree_has_resolution(x)) return;
  if (!blank(x)) {
    if (is_leaf(x)) {
      if (!contains_leaf(exclude, *to_leaf(x))) out.push_back(x);
      return;
    }
    out.push_back(x);
    for (LeafIndex u : unmerged_leaves(x)) {
      if (!contains_leaf(exclude, u)) out.push_back(to_node(u));
    }
    return;
  }
  if (is_leaf(x)) return;
  resolution_into(*left(x), exclude, out);
  resolution_into(*right(x), exclude, out);
}

std::vector<NodeIndex> PublicTree::resolution(NodeIndex x,
                                              std::span<const LeafIndex> exclude) const {
  std::vector<NodeIndex> out;
  if (x.value < width_) resolution_into(x, exclude, out);
  return out;
}

NodeIndex PublicTree::copath_child(NodeIndex p, NodeIndex x) {
  const NodeIndex l = *left(p);
  const NodeIndex r = *right(p);
  return x.value < p.value ? r : l;
}

std::vector<NodeIndex> PublicTree::filtered_direct_path(LeafIndex l) const {
  // RFC 9420 §4.1.2
  const NodeIndex x = to_node(l);
  std::vector<NodeIndex> out;
  for (NodeIndex p : direct_path(x, leaf_count_)) {
    if (subtree_has_resolution(copath_child(p, x))) out.push_back(p);
  }
  return out;
}

// --- hashes -----------------------------------------------------------------------------------

Bytes PublicTree::leaf_hash(NodeIndex x) const {
  // struct { uint32 leaf_index; optional<LeafNode> leaf_node; } LeafNodeHashInput;
  const ByteView enc = node(x).view();
  Writer w(enc.size() + 8);
  w.write_uint(kLeafType);
  w.write_uint(x.value >> 1);
  if (enc.empty()) {
    w.write_uint(std::uint8_t{0});
  } else {
    w.write_uint(std::uint8_t{1});
    w.write_raw(enc);
  }
  return suite_->hash(w.bytes());
}

Bytes PublicTree::parent_tree_hash(NodeIndex x) const {
  // struct { optional<ParentNode> parent_node; opaque left_hash<V>; opaque right_hash<V>; }
  // ParentNodeHashInput. Cached from level 2 up; the cache of a shared chunk may be filled
  // here: see the invariant on chunks_.
  const std::size_t nh = suite_->hash_size();
  Chunk& chunk = *chunks_[x.value >> kChunkBits];
  const bool cached = level(x) >= 2;
  const std::uint32_t hslot = slot(x) >> 2;
  const std::size_t at = std::size_t{hslot} * nh;
  if (cached && chunk.hash_valid[hslot]) {
    return Bytes(chunk.hashes.begin() + static_cast<std::ptrdiff_t>(at),
                 chunk.hashes.begin() + static_cast<std::ptrdiff_t>(at + nh));
  }
  const ByteView enc = chunk.nodes[slot(x)].view();
  Writer w(enc.size() + 2 * nh + 8);
  w.write_uint(kParentType);
  if (enc.empty()) {
    w.write_uint(std::uint8_t{0});
  } else {
    w.write_uint(std::uint8_t{1});
    w.write_raw(enc);
  }
  for (NodeIndex c : {*left(x), *right(x)}) {
    w.write_varint(nh);
    w.write_raw(is_leaf(c) ? leaf_hash(c) : parent_tree_hash(c));
  }
  Bytes h = suite_->hash(w.bytes());
  if (cached) {
    std::memcpy(chunk.hashes.data() + at, h.data(), nh);
    chunk.hash_valid[hslot] = 1;
  }
  return h;
}

Bytes PublicTree::tree_hash(NodeIndex x) const {
  if (x.value >= width_) return {};
  if (is_leaf(x)) return leaf_hash(x);
  return parent_tree_hash(x);
}

void PublicTree::fill_hash_cache(unsigned threads) const {
  // Subtrees at level kChunkBits - 1 and above cover whole, aligned chunks (2^(k+1) node slots
  // at a multiple of that), so hashing different ones concurrently writes different chunks'
  // caches. Below the subtrees' level, a subtree is one thread's; above it, the root hash is
  // computed afterwards on this thread from the cached subtree hashes.
  const auto top = static_cast<std::uint32_t>(std::countr_zero(leaf_count_.value()));
  constexpr std::uint32_t kLowest = kChunkBits - 1;
  constexpr std::uint32_t kSplitBits = 6;  // up to 64 subtrees: even shares for a few threads
  if (threads > 1 && top > kLowest) {
    const std::uint32_t k = std::max(kLowest, top > kSplitBits ? top - kSplitBits : 0);
    const std::size_t count = std::size_t{1} << (top - k);
    parallel_for(count, threads, 1, [&](std::size_t j) {
      const auto first = (std::uint32_t{1} << k) - 1;
      (void)tree_hash(NodeIndex{first + static_cast<std::uint32_t>(j << (k + 1))});
    });
  }
  (void)root_hash();
}

Bytes PublicTree::original_tree_hash(NodeIndex s, std::span<const LeafIndex> removed) const {
  const LeafRange range = leaves_under(s);
  const bool touched =
      std::any_of(removed.begin(), removed.end(), [&](LeafIndex l) { return in_range(range, l); });
  if (!touched) return tree_hash(s);
  Writer w;
  if (is_leaf(s)) {
    // A removed leaf hashes as a blank leaf at the same index.
    w.write_uint(kLeafType);
    w.write_uint(s.value >> 1);
    w.write_uint(std::uint8_t{0});
    return suite_->hash(w.bytes());
  }
  w.write_uint(kParentType);
  if (auto parent = parent_node(s)) {
    std::erase_if(parent->unmerged_leaves,
                  [&](std::uint32_t u) { return contains_leaf(removed, LeafIndex{u}); });
    w.write_uint(std::uint8_t{1});
    mls::write(w, *parent);
  } else {
    w.write_uint(std::uint8_t{0});
  }
  mls::write(w, original_tree_hash(*left(s), removed));
  mls::write(w, original_tree_hash(*right(s), removed));
  return suite_->hash(w.bytes());
}

Bytes PublicTree::parent_hash(NodeIndex p, NodeIndex s) const {
  // struct { HPKEPublicKey encryption_key; opaque parent_hash<V>;
  //          opaque original_sibling_tree_hash<V>; } ParentHashInput;   (§7.9)
  if (is_leaf(p) || blank(p)) return {};
  Reader r(node(p).view());
  const ByteView key = read_opaque(r);
  const ByteView ph = read_opaque(r);
  const Bytes sibling = original_tree_hash(s, unmerged_leaves(p));
  Writer w(key.size() + ph.size() + sibling.size() + 8);
  w.write_varint(key.size());
  w.write_raw(key);
  w.write_varint(ph.size());
  w.write_raw(ph);
  w.write_varint(sibling.size());
  w.write_raw(sibling);
  return suite_->hash(w.bytes());
}

// --- mutation -------------------------------------------------------------------------------

void PublicTree::resize(LeafCount n) {
  const std::uint32_t old_width = width_;
  const std::uint32_t width = mls::node_width(n);
  if (width < old_width) {
    // Truncation (§7.7) drops the old root and its right subtree. They are blank in any tree
    // built by the protocol; whatever is not leaves the key index and is reported.
    const NodeIndex old_root = mls::root(leaf_count_);
    if (!blank(old_root)) blank_node(old_root);
    blank_subtree(*right(old_root));
  }
  const auto n_chunks = static_cast<std::size_t>((width + kChunk - 1) >> kChunkBits);
  if (width < old_width) {
    chunks_.resize(n_chunks);
    // Keep "entries at or beyond the width are blank, zero and invalid" in the last chunk.
    if ((width & (kChunk - 1)) != 0) {
      Chunk& last = writable(NodeIndex{width - 1});
      for (std::uint32_t k = width & (kChunk - 1); k < kChunk; ++k) {
        if ((k & 1) != 0) last.counts[k >> 1] = Counts{};
        if ((k & 3) == 3) last.hash_valid[k >> 2] = 0;
      }
    }
  } else {
    while (chunks_.size() < n_chunks) chunks_.push_back(new_chunk());
  }
  chunks_.shrink_to_fit();
  const NodeIndex new_root = mls::root(n);
  if (width > old_width && old_width > 0) {
    // Extension (§7.7): the old tree becomes the left subtree of a new blank root; the new root
    // sits at index old_width and covers what the old root covered.
    const Counts c = counts(mls::root(leaf_count_));
    writable(new_root).counts[slot(new_root) >> 1] = c;
  }
  width_ = width;
  leaf_count_ = n;
}

void PublicTree::blank_subtree(NodeIndex x) {
  if (counts(x).nonblank == 0) return;
  if (!blank(x)) blank_node(x);
  if (is_leaf(x)) return;
  blank_subtree(*left(x));
  blank_subtree(*right(x));
}

void PublicTree::mark_changed(NodeIndex x) {
  // Compacted whenever it doubles, so a tree whose changes nobody takes (a client's) holds at
  // most about two entries per distinct node written since its snapshot.
  written_.push_back(x);
  if (written_.size() > 2 * written_compacted_ + 64) {
    std::sort(written_.begin(), written_.end());
    written_.erase(std::unique(written_.begin(), written_.end()), written_.end());
    written_compacted_ = written_.size();
  }
}

void PublicTree::invalidate(NodeIndex x) {
  // Every ancestor, even past one already invalid: the invariant on chunks_ needs each of
  // their chunks to be this tree's own.
  std::optional<NodeIndex> cur = is_leaf(x) ? parent(x, leaf_count_) : x;
  for (; cur; cur = parent(*cur, leaf_count_)) {
    if (level(*cur) >= 2) writable(*cur).hash_valid[slot(*cur) >> 2] = 0;
  }
}

void PublicTree::index_node(NodeIndex x, ByteView encoding, bool add) {
  if (encoding.empty()) return;
  Reader r(encoding);
  const ByteView enc_key = read_opaque(r);
  const std::uint64_t d = key_digest(enc_key);
  if (add) {
    keys_.add(d, x.value);
  } else {
    keys_.remove(d, x.value);
  }
  if (!is_leaf(x)) return;
  const std::uint64_t s = key_digest(read_opaque(r));
  if (add) {
    keys_.add(s, x.value | kSignatureRef);
  } else {
    keys_.remove(s, x.value | kSignatureRef);
  }
}

void PublicTree::set_node(NodeIndex x, const Bytes& encoding) {
  Chunk& c = writable(x);
  SharedBytes& cell = c.nodes[slot(x)];
  const bool was_blank = cell.empty();
  index_node(x, cell.view(), false);
  cell = SharedBytes(encoding);
  index_node(x, cell.view(), true);
  mark_changed(x);
  invalidate(x);
  if (!was_blank) return;
  const std::uint32_t leaf = is_leaf(x) ? 1 : 0;
  for (auto cur = is_leaf(x) ? parent(x, leaf_count_) : x; cur; cur = parent(*cur, leaf_count_)) {
    Counts& k = writable(*cur).counts[slot(*cur) >> 1];
    k.nonblank += 1;
    k.leaves += leaf;
  }
}

void PublicTree::blank_node(NodeIndex x) {
  if (blank(x)) return;
  Chunk& c = writable(x);
  SharedBytes& cell = c.nodes[slot(x)];
  index_node(x, cell.view(), false);
  cell = SharedBytes();
  mark_changed(x);
  invalidate(x);
  const std::uint32_t leaf = is_leaf(x) ? 1 : 0;
  for (auto cur = is_leaf(x) ? parent(x, leaf_count_) : x; cur; cur = parent(*cur, leaf_count_)) {
    Counts& k = writable(*cur).counts[slot(*cur) >> 1];
    k.nonblank -= 1;
    k.leaves -= leaf;
  }
}

void PublicTree::blank_direct_path(LeafIndex l) {
  for (NodeIndex p : direct_path(to_node(l), leaf_count_)) blank_node(p);
}

Result<LeafIndex> PublicTree::add(const LeafNode& leaf) {
  // RFC 9420 §12.1.1: the leftmost blank leaf, extending the tree when there is none.
  if (counts(root()).leaves == leaf_count_.value()) {
    if (leaf_count_.value() >= kMaxLeaves) return fail(Errc::limit_exceeded);
    resize(*LeafCount::create(std::uint64_t{leaf_count_.value()} * 2));
  }
  NodeIndex x = root();
  while (!is_leaf(x)) {
    const NodeIndex l = *left(x);
    x = counts(l).leaves < leaves_under(l).count ? l : *right(x);
  }
  const LeafIndex index = *to_leaf(x);
  // Every non-blank parent above the new leaf gains it as unmerged (kept sorted, §7.1).
  for (NodeIndex p : direct_path(x, leaf_count_)) {
    auto parent = parent_node(p);
    if (!parent) continue;
    auto& u = parent->unmerged_leaves;
    u.insert(std::upper_bound(u.begin(), u.end(), index.value), index.value);
    set_node(p, mls::encode(*parent));
  }
  set_node(x, mls::encode(leaf));
  return index;
}

Status PublicTree::update(LeafIndex l, const LeafNode& leaf) {
  // RFC 9420 §12.1.2
  if (!contains(leaf_count_, l) || blank(l)) return fail(Errc::invalid_proposal);
  set_node(to_node(l), mls::encode(leaf));
  blank_direct_path(l);
  return {};
}

Status PublicTree::remove(LeafIndex l) {
  // RFC 9420 §12.1.3
  if (!contains(leaf_count_, l) || blank(l)) return fail(Errc::invalid_proposal);
  blank_node(to_node(l));
  blank_direct_path(l);
  truncate();
  return {};
}

void PublicTree::truncate() {
  // RFC 9420 §7.7: drop the root and the right subtree while the latter holds no member.
  while (leaf_count_.value() > 1 && counts(*right(root())).leaves == 0) {
    resize(*LeafCount::create(leaf_count_.value() / 2));
  }
}

void PublicTree::set_leaf(LeafIndex l, const LeafNode& leaf) {
  set_node(to_node(l), mls::encode(leaf));
}

Result<std::vector<Bytes>> PublicTree::path_parent_hashes(LeafIndex sender,
                                                          std::span<const NodeIndex> fdp,
                                                          std::span<const Bytes> keys) const {
  // RFC 9420 §7.9: computed from the root down. The new nodes have no unmerged leaves, and the
  // copath subtrees are untouched by the path, so each original sibling tree hash is the
  // current (cached) tree hash of the copath child. out[i] is the parent_hash field of fdp[i];
  // out[fdp.size()] the one of the leaf.
  if (keys.size() != fdp.size()) return fail(Errc::invalid_commit);
  const NodeIndex x = to_node(sender);
  std::vector<Bytes> out(fdp.size() + 1);
  Bytes ph;
  for (std::size_t i = fdp.size(); i-- > 0;) {
    out[i] = ph;
    const Bytes sibling = tree_hash(copath_child(fdp[i], x));
    Writer w(keys[i].size() + ph.size() + sibling.size() + 8);
    mls::write(w, keys[i]);
    mls::write(w, ph);
    w.write_varint(sibling.size());
    w.write_raw(sibling);
    ph = suite_->hash(w.bytes());
  }
  out[fdp.size()] = std::move(ph);
  return out;
}

void PublicTree::apply_path(LeafIndex sender, std::span<const NodeIndex> fdp,
                            std::span<const Bytes> keys, std::span<const Bytes> parent_hashes) {
  blank_direct_path(sender);
  for (std::size_t i = 0; i < fdp.size(); ++i) {
    ParentNode node{keys[i], parent_hashes[i], {}};
    set_node(fdp[i], mls::encode(node));
  }
}

Result<Bytes> PublicTree::set_path_keys(LeafIndex sender, std::span<const Bytes> keys) {
  if (!contains(leaf_count_, sender)) return fail(Errc::invalid_sender);
  const std::vector<NodeIndex> fdp = filtered_direct_path(sender);
  auto hashes = path_parent_hashes(sender, fdp, keys);
  if (!hashes) return fail(hashes.error());
  apply_path(sender, fdp, keys, *hashes);
  return std::move(hashes->back());
}

Status PublicTree::merge_update_path(LeafIndex sender, const UpdatePath& path) {
  // RFC 9420 §7.5 (merging an UpdatePath into the tree) and §7.9.2.
  if (!contains(leaf_count_, sender) || blank(sender)) return fail(Errc::invalid_sender);
  const auto* source = std::get_if<CommitSource>(&path.leaf_node.source.value);
  if (source == nullptr) return fail(Errc::invalid_commit);
  const std::vector<NodeIndex> fdp = filtered_direct_path(sender);
  if (path.nodes.size() != fdp.size()) return fail(Errc::invalid_commit);
  std::vector<Bytes> keys;
  keys.reserve(fdp.size());
  for (const UpdatePathNode& n : path.nodes) keys.push_back(n.encryption_key);
  auto hashes = path_parent_hashes(sender, fdp, keys);
  if (!hashes) return fail(hashes.error());
  if (hashes->back() != source->parent_hash) return fail(Errc::parent_hash_mismatch);
  apply_path(sender, fdp, keys, *hashes);
  set_leaf(sender, path.leaf_node);
  return {};
}

// --- change tracking --------------------------------------------------------------------------

std::vector<NodeIndex> PublicTree::dirty() const {
  std::vector<NodeIndex> out;
  out.reserve(written_.size());
  for (NodeIndex x : written_) {
    if (x.value < width_) out.push_back(x);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  // Keep only the nodes whose content differs from the snapshot (a node written back to its
  // old value, or blanked while blank in the snapshot, is not a change).
  std::erase_if(out, [&](NodeIndex x) {
    const SharedBytes& now = node(x);
    if (x.value >= snapshot_width_) return now.empty();
    const SharedBytes& before = snapshot_[x.value >> kChunkBits]->nodes[slot(x)];
    return now.same_block(before) || same(now.view(), before.view());
  });
  return out;
}

TreeChanges PublicTree::take_changes() {
  TreeChanges out{dirty(), leaf_count_};
  // A bulk build (from_nodes) writes every node: give that buffer back rather than keep it for
  // the few nodes a commit writes.
  if (written_.capacity() > kChunk) {
    std::vector<NodeIndex>().swap(written_);
  } else {
    written_.clear();
  }
  written_compacted_ = 0;
  snapshot_.assign(chunks_.begin(), chunks_.end());
  snapshot_width_ = width_;
  return out;
}

std::size_t PublicTree::memory_bytes() const {
  std::size_t total = chunks_.capacity() * sizeof(ChunkPtr) +
                      snapshot_.capacity() * sizeof(ChunkPtr) + keys_.memory_bytes() +
                      written_.capacity() * sizeof(NodeIndex);
  for (const ChunkPtr& c : chunks_) {
    total += sizeof(Chunk) + 16 + c->hashes.capacity();  // 16: make_shared's control block
    for (const SharedBytes& b : c->nodes) total += b.heap_bytes();
  }
  return total;
}

}  // namespace conclave::mls
