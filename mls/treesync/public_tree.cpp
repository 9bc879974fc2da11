#include "mls/treesync/public_tree.h"

#include <algorithm>
#include <cstring>

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

// read_opaque reads one opaque<V> field of a stored encoding as a view.
ByteView read_opaque(Reader& r) {
  Reader body;
  if (!r.read_vector(body)) return {};
  ByteView v;
  body.read_raw(body.remaining(), v);
  return v;
}

}  // namespace

PublicTree::PublicTree(const CipherSuite& suite)
    : suite_(&suite), leaf_count_(*LeafCount::create(1)) {
  resize(leaf_count_);
}

Result<PublicTree> PublicTree::from_nodes(const CipherSuite& suite, const RatchetTree& nodes) {
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
  return tree;
}

Result<PublicTree> PublicTree::decode(const CipherSuite& suite, ByteView wire) {
  auto nodes = mls::decode<RatchetTree>(wire);
  if (!nodes) return fail(nodes.error());
  return from_nodes(suite, *nodes);
}

PublicTree PublicTree::with_creator(const CipherSuite& suite, const LeafNode& creator) {
  PublicTree tree(suite);
  tree.set_node(NodeIndex{0}, mls::encode(creator));
  return tree;
}

RatchetTree PublicTree::to_nodes() const {
  std::size_t end = nodes_.size();
  while (end > 0 && nodes_[end - 1].empty()) --end;
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
  std::size_t end = nodes_.size();
  while (end > 0 && nodes_[end - 1].empty()) --end;
  Writer w;
  const std::size_t mark = w.begin_vector();
  for (std::size_t i = 0; i < end; ++i) {
    if (nodes_[i].empty()) {
      w.write_uint(std::uint8_t{0});
      continue;
    }
    w.write_uint(std::uint8_t{1});
    w.write_uint((i & 1) == 0 ? kLeafType : kParentType);
    w.write_raw(nodes_[i].view());
  }
  w.end_vector(mark);
  return w.take();
}

// --- node access ----------------------------------------------------------------------------

ByteView PublicTree::encoding(NodeIndex x) const {
  if (x.value >= nodes_.size()) return {};
  return nodes_[x.value].view();
}

std::optional<LeafNode> PublicTree::leaf_node(LeafIndex l) const {
  if (blank(l)) return std::nullopt;
  auto leaf = mls::decode<LeafNode>(nodes_[to_node(l).value].view());
  if (!leaf) return std::nullopt;  // stored encodings always decode; kept total for safety
  return std::move(*leaf);
}

std::optional<ParentNode> PublicTree::parent_node(NodeIndex x) const {
  if (is_leaf(x) || blank(x)) return std::nullopt;
  auto parent = mls::decode<ParentNode>(nodes_[x.value].view());
  if (!parent) return std::nullopt;
  return std::move(*parent);
}

ByteView PublicTree::encryption_key(NodeIndex x) const {
  if (blank(x)) return {};
  // encryption_key is the first field of both LeafNode and ParentNode.
  Reader r(nodes_[x.value].view());
  return read_opaque(r);
}

std::vector<LeafIndex> PublicTree::unmerged_leaves(NodeIndex x) const {
  std::vector<LeafIndex> out;
  if (is_leaf(x) || blank(x)) return out;
  Reader r(nodes_[x.value].view());
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
  out.reserve(counts_[root().value].leaves);
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
  if (x.value < nodes_.size()) resolution_into(x, exclude, out);
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
  const ByteView node = nodes_[x.value].view();
  Writer w(node.size() + 8);
  w.write_uint(kLeafType);
  w.write_uint(x.value >> 1);
  if (node.empty()) {
    w.write_uint(std::uint8_t{0});
  } else {
    w.write_uint(std::uint8_t{1});
    w.write_raw(node);
  }
  return suite_->hash(w.bytes());
}

ByteView PublicTree::parent_hash_cached(NodeIndex x) const {
  // struct { optional<ParentNode> parent_node; opaque left_hash<V>; opaque right_hash<V>; }
  // ParentNodeHashInput; only parents are cached: a leaf hash is one hash of the stored
  // encoding, and a path update needs at most two of them.
  const std::size_t nh = suite_->hash_size();
  const std::size_t slot = std::size_t{x.value >> 1} * nh;
  if (hash_valid_[x.value >> 1]) return ByteView(hashes_).subspan(slot, nh);
  const ByteView node = nodes_[x.value].view();
  Writer w(node.size() + 2 * nh + 8);
  w.write_uint(kParentType);
  if (node.empty()) {
    w.write_uint(std::uint8_t{0});
  } else {
    w.write_uint(std::uint8_t{1});
    w.write_raw(node);
  }
  for (NodeIndex c : {*left(x), *right(x)}) {
    w.write_varint(nh);
    if (is_leaf(c)) {
      w.write_raw(leaf_hash(c));
    } else {
      w.write_raw(parent_hash_cached(c));
    }
  }
  const Bytes h = suite_->hash(w.bytes());
  std::memcpy(hashes_.data() + slot, h.data(), nh);
  hash_valid_[x.value >> 1] = 1;
  return ByteView(hashes_).subspan(slot, nh);
}

Bytes PublicTree::tree_hash(NodeIndex x) const {
  if (x.value >= nodes_.size()) return {};
  if (is_leaf(x)) return leaf_hash(x);
  return to_bytes(parent_hash_cached(x));
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
  Reader r(nodes_[p.value].view());
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
  const std::size_t old_width = nodes_.size();
  const std::uint32_t width = mls::node_width(n);
  const NodeIndex old_root = old_width == 0 ? NodeIndex{0} : mls::root(leaf_count_);
  nodes_.resize(width);
  nodes_.shrink_to_fit();
  hashes_.resize(std::size_t{width / 2} * suite_->hash_size());
  hashes_.shrink_to_fit();
  hash_valid_.resize(width / 2, 0);
  hash_valid_.shrink_to_fit();
  counts_.resize(width);
  counts_.shrink_to_fit();
  changed_flags_.resize(width, 0);
  changed_flags_.shrink_to_fit();
  std::erase_if(changed_, [&](NodeIndex x) { return x.value >= width; });
  const NodeIndex new_root = mls::root(n);
  if (width > old_width && old_width > 0) {
    // Extension (§7.7): the old tree becomes the left subtree of a new blank root; the new root
    // sits at index old_width and covers what the old root covered.
    counts_[new_root.value] = counts_[old_root.value];
  }
  leaf_count_ = n;
}

void PublicTree::mark_changed(NodeIndex x) {
  // One entry per node until the next take_changes(), so a tree whose changes nobody takes
  // (a client's) holds at most one entry per node.
  if (changed_flags_[x.value]) return;
  changed_flags_[x.value] = 1;
  changed_.push_back(x);
}

void PublicTree::invalidate(NodeIndex x) {
  std::optional<NodeIndex> cur = is_leaf(x) ? parent(x, leaf_count_) : x;
  while (cur && hash_valid_[cur->value >> 1]) {
    hash_valid_[cur->value >> 1] = 0;
    cur = parent(*cur, leaf_count_);
  }
}

void PublicTree::set_node(NodeIndex x, const Bytes& encoding) {
  const bool was_blank = nodes_[x.value].empty();
  nodes_[x.value] = NodeBytes(encoding);
  mark_changed(x);
  invalidate(x);
  if (!was_blank) return;
  const std::uint32_t leaf = is_leaf(x) ? 1 : 0;
  for (std::optional<NodeIndex> cur = x; cur; cur = parent(*cur, leaf_count_)) {
    counts_[cur->value].nonblank += 1;
    counts_[cur->value].leaves += leaf;
  }
}

void PublicTree::blank_node(NodeIndex x) {
  if (nodes_[x.value].empty()) return;
  nodes_[x.value] = NodeBytes();
  mark_changed(x);
  invalidate(x);
  const std::uint32_t leaf = is_leaf(x) ? 1 : 0;
  for (std::optional<NodeIndex> cur = x; cur; cur = parent(*cur, leaf_count_)) {
    counts_[cur->value].nonblank -= 1;
    counts_[cur->value].leaves -= leaf;
  }
}

void PublicTree::blank_direct_path(LeafIndex l) {
  for (NodeIndex p : direct_path(to_node(l), leaf_count_)) blank_node(p);
}

Result<LeafIndex> PublicTree::add(const LeafNode& leaf) {
  // RFC 9420 §12.1.1: the leftmost blank leaf, extending the tree when there is none.
  if (counts_[root().value].leaves == leaf_count_.value()) {
    if (leaf_count_.value() >= kMaxLeaves) return fail(Errc::limit_exceeded);
    resize(*LeafCount::create(std::uint64_t{leaf_count_.value()} * 2));
  }
  NodeIndex x = root();
  while (!is_leaf(x)) {
    const NodeIndex l = *left(x);
    x = counts_[l.value].leaves < leaves_under(l).count ? l : *right(x);
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
  while (leaf_count_.value() > 1 && counts_[right(root())->value].leaves == 0) {
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
  out.reserve(changed_.size());
  for (NodeIndex x : changed_) {
    if (x.value < nodes_.size()) out.push_back(x);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

TreeChanges PublicTree::take_changes() {
  TreeChanges out{dirty(), leaf_count_};
  for (NodeIndex x : changed_) changed_flags_[x.value] = 0;
  changed_.clear();
  return out;
}

std::size_t PublicTree::memory_bytes() const {
  std::size_t total = nodes_.capacity() * sizeof(NodeBytes) + hashes_.capacity() +
                      hash_valid_.capacity() + counts_.capacity() * sizeof(Counts) +
                      changed_.capacity() * sizeof(NodeIndex) + changed_flags_.capacity();
  for (const NodeBytes& b : nodes_) total += b.heap_bytes();
  return total;
}

}  // namespace conclave::mls
