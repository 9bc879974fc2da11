#include "mls/schedule/secret_tree.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace conclave::mls {

namespace {

constexpr std::uint8_t kLeft[] = {'l', 'e', 'f', 't'};
constexpr std::uint8_t kRight[] = {'r', 'i', 'g', 'h', 't'};

}  // namespace

SecretTree::SecretTree(const CipherSuite& suite, EncryptionSecret encryption_secret,
                       LeafCount leaves, SecretTreeLimits limits)
    : suite_(&suite), leaves_(leaves), limits_(limits) {
  nodes_.emplace(root(leaves).value, std::move(encryption_secret).take());
}

Result<SecretTree::Ratchet*> SecretTree::ratchet(LeafIndex sender, RatchetType type) {
  if (!contains(leaves_, sender)) return fail(Errc::invalid_sender);
  auto found = ratchets_.find(sender.value);
  if (found == ratchets_.end()) {
    // The lowest stored node on the leaf's path: every leaf without ratchets has exactly one,
    // because deriving down a path keeps the off-path child of each node it erases.
    const NodeIndex leaf = to_node(sender);
    NodeIndex top = leaf;
    auto held = nodes_.find(top.value);
    while (held == nodes_.end()) {
      const auto up = parent(top, leaves_);
      if (!up) return fail(Errc::invalid_sender);  // unreachable while the invariant holds
      top = *up;
      held = nodes_.find(top.value);
    }
    Secret secret = std::move(held->second);
    nodes_.erase(held);
    const std::size_t nh = suite_->hash_size();
    // RFC 9420 §9: children are ExpandWithLabel(parent, "tree", "left"/"right", Nh).
    while (top != leaf) {
      Secret l = suite_->expand_with_label(secret.view(), "tree", kLeft, nh);
      Secret r = suite_->expand_with_label(secret.view(), "tree", kRight, nh);
      const NodeIndex lc = *left(top);
      const NodeIndex rc = *right(top);
      if (leaf < top) {
        nodes_.emplace(rc.value, std::move(r));
        top = lc;
        secret = std::move(l);
      } else {
        nodes_.emplace(lc.value, std::move(l));
        top = rc;
        secret = std::move(r);
      }
    }
    LeafRatchets fresh;
    fresh.handshake.secret = suite_->expand_with_label(secret.view(), "handshake", {}, nh);
    fresh.application.secret = suite_->expand_with_label(secret.view(), "application", {}, nh);
    found = ratchets_.emplace(sender.value, std::move(fresh)).first;
  }
  LeafRatchets& both = found->second;
  return type == RatchetType::handshake ? &both.handshake : &both.application;
}

RatchetKey SecretTree::derive_key(const Ratchet& r) const {
  const std::uint32_t g = r.next_generation;
  return RatchetKey{
      .generation = g,
      .key = suite_->derive_tree_secret(r.secret.view(), "key", g, suite_->key_size()),
      .nonce = suite_->derive_tree_secret(r.secret.view(), "nonce", g, suite_->nonce_size()),
  };
}

void SecretTree::advance(Ratchet& r) const {
  if (r.next_generation == std::numeric_limits<std::uint32_t>::max()) {
    r.exhausted = true;
    r.secret = Secret();
    return;
  }
  r.secret =
      suite_->derive_tree_secret(r.secret.view(), "secret", r.next_generation, suite_->hash_size());
  ++r.next_generation;
}

Result<RatchetKey> SecretTree::next_key(LeafIndex sender, RatchetType type) {
  auto r = ratchet(sender, type);
  if (!r) return fail(r.error());
  Ratchet& rt = **r;
  if (rt.exhausted) return fail(Errc::generation_too_far);
  RatchetKey key = derive_key(rt);
  advance(rt);
  return key;
}

namespace {

RatchetKey clone_key(const RatchetKey& k) {
  return RatchetKey{.generation = k.generation, .key = k.key.clone(), .nonce = k.nonce.clone()};
}

}  // namespace

Result<RatchetKey> SecretTree::peek_key(LeafIndex sender, RatchetType type,
                                        std::uint32_t generation) {
  auto r = ratchet(sender, type);
  if (!r) return fail(r.error());
  Ratchet& rt = **r;
  if (rt.exhausted || generation < rt.next_generation) {
    // A past generation: only a key still held for a late message can serve it.
    const auto held = rt.skipped.find(generation);
    if (held == rt.skipped.end()) return fail(Errc::generation_too_old);
    return clone_key(held->second);
  }
  if (generation - rt.next_generation > limits_.max_forward) {
    return fail(Errc::generation_too_far);
  }
  // Keep the keys of skipped generations only within max_past of `generation`; older ones are
  // stepped over without deriving a key, so they never exist.
  const std::uint32_t keep_from =
      generation >= limits_.max_past ? generation - limits_.max_past : 0;
  while (rt.next_generation < generation) {
    if (rt.next_generation >= keep_from) {
      rt.skipped.emplace(rt.next_generation, derive_key(rt));
    }
    advance(rt);
  }
  RatchetKey key = derive_key(rt);
  advance(rt);
  // Forget held keys that fell out of the window (§9.2: keep unconsumed values only for "some
  // reasonable amount of time").
  rt.skipped.erase(rt.skipped.begin(), rt.skipped.lower_bound(keep_from));
  RatchetKey out = clone_key(key);
  rt.skipped.emplace(generation, std::move(key));  // held until consumed
  return out;
}

void SecretTree::consume_key(LeafIndex sender, RatchetType type, std::uint32_t generation) {
  const auto found = ratchets_.find(sender.value);
  if (found == ratchets_.end()) return;
  Ratchet& rt =
      type == RatchetType::handshake ? found->second.handshake : found->second.application;
  rt.skipped.erase(generation);
}

Result<RatchetKey> SecretTree::key_for(LeafIndex sender, RatchetType type,
                                       std::uint32_t generation) {
  auto key = peek_key(sender, type, generation);
  if (key) consume_key(sender, type, generation);
  return key;
}

std::size_t SecretTree::keys_held(LeafIndex sender, RatchetType type) const {
  const auto found = ratchets_.find(sender.value);
  if (found == ratchets_.end()) return 0;
  const LeafRatchets& both = found->second;
  return (type == RatchetType::handshake ? both.handshake : both.application).skipped.size();
}

SecretTreeState SecretTree::export_state() const {
  const auto export_ratchet = [](const Ratchet& r) {
    SecretTreeRatchetState state;
    state.secret = r.secret.clone();
    state.next_generation = r.next_generation;
    state.exhausted = r.exhausted;
    state.held.reserve(r.skipped.size());
    for (const auto& [g, k] : r.skipped) {
      state.held.push_back({g, k.key.clone(), k.nonce.clone()});
    }
    return state;
  };
  SecretTreeState out;
  out.leaves = leaves_.value();
  out.max_past = limits_.max_past;
  out.max_forward = limits_.max_forward;
  out.nodes.reserve(nodes_.size());
  for (const auto& [x, secret] : nodes_) out.nodes.push_back({x, secret.clone()});
  std::sort(
      out.nodes.begin(), out.nodes.end(),
      [](const SecretTreeNodeState& a, const SecretTreeNodeState& b) { return a.node < b.node; });
  out.leaves_used.reserve(ratchets_.size());
  for (const auto& [l, both] : ratchets_) {
    out.leaves_used.push_back(
        {l, export_ratchet(both.handshake), export_ratchet(both.application)});
  }
  std::sort(
      out.leaves_used.begin(), out.leaves_used.end(),
      [](const SecretTreeLeafState& a, const SecretTreeLeafState& b) { return a.leaf < b.leaf; });
  return out;
}

Result<SecretTree> SecretTree::import_state(const CipherSuite& suite, LeafCount leaves,
                                            SecretTreeState state) {
  if (state.leaves != leaves.value()) return fail(Errc::invalid_value);
  SecretTree out(suite, leaves, SecretTreeLimits{state.max_past, state.max_forward});
  const std::size_t nh = suite.hash_size();
  for (SecretTreeNodeState& n : state.nodes) {
    if (!contains(leaves, NodeIndex{n.node}) || n.secret.size() != nh) {
      return fail(Errc::invalid_value);
    }
    if (!out.nodes_.emplace(n.node, std::move(n.secret)).second) return fail(Errc::invalid_value);
  }
  auto import_ratchet = [&](SecretTreeRatchetState& in, Ratchet& r) -> Status {
    // An exhausted ratchet handed out generation 2^32 - 1 and dropped its secret (advance()).
    if (in.exhausted) {
      if (!in.secret.empty() || in.next_generation != std::numeric_limits<std::uint32_t>::max()) {
        return fail(Errc::invalid_value);
      }
    } else if (in.secret.size() != nh) {
      return fail(Errc::invalid_value);
    }
    // Held keys: generations already passed by the ratchet, within the window peek_key keeps.
    if (in.held.size() > std::size_t{out.limits_.max_past} + 1) return fail(Errc::invalid_value);
    for (SecretTreeKeyState& k : in.held) {
      const bool passed = in.exhausted || k.generation < in.next_generation;
      if (!passed || k.key.size() != suite.key_size() || k.nonce.size() != suite.nonce_size()) {
        return fail(Errc::invalid_value);
      }
      RatchetKey key{
          .generation = k.generation, .key = std::move(k.key), .nonce = std::move(k.nonce)};
      if (!r.skipped.emplace(k.generation, std::move(key)).second) return fail(Errc::invalid_value);
    }
    r.secret = std::move(in.secret);
    r.next_generation = in.next_generation;
    r.exhausted = in.exhausted;
    return {};
  };
  for (SecretTreeLeafState& l : state.leaves_used) {
    if (!contains(leaves, LeafIndex{l.leaf})) return fail(Errc::invalid_value);
    LeafRatchets both;
    if (auto s = import_ratchet(l.handshake, both.handshake); !s) return fail(s.error());
    if (auto s = import_ratchet(l.application, both.application); !s) return fail(s.error());
    if (!out.ratchets_.emplace(l.leaf, std::move(both)).second) return fail(Errc::invalid_value);
  }
  // The deletion schedule of §9.2 as this class follows it: every leaf is covered by exactly one
  // thing, its own ratchets or one stored node on its path to the root. A second cover would be
  // a secret that should have been deleted; none would make the leaf's messages unreadable.
  for (std::uint32_t i = 0; i < leaves.value(); ++i) {
    std::size_t covers = out.ratchets_.count(i);
    std::optional<NodeIndex> x = to_node(LeafIndex{i});
    while (x) {
      covers += out.nodes_.count(x->value);
      x = parent(*x, leaves);
    }
    if (covers != 1) return fail(Errc::invalid_value);
  }
  return out;
}

SenderDataKey derive_sender_data_key(const CipherSuite& suite,
                                     const SenderDataSecret& sender_data_secret,
                                     ByteView ciphertext) {
  // RFC 9420 §6.3.2: ciphertext_sample = ciphertext[0..KDF.Nh-1], or all of a shorter one.
  const ByteView sample = ciphertext.first(std::min(ciphertext.size(), suite.hash_size()));
  return SenderDataKey{
      .key = suite.expand_with_label(sender_data_secret.view(), "key", sample, suite.key_size()),
      .nonce =
          suite.expand_with_label(sender_data_secret.view(), "nonce", sample, suite.nonce_size()),
  };
}

}  // namespace conclave::mls
