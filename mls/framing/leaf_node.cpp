#include "mls/framing/leaf_node.h"

namespace conclave::mls {

void write(Writer& w, const LeafNodeSource& v) {
  write(w, v.type());
  if (const auto* kp = std::get_if<KeyPackageSource>(&v.value)) {
    write(w, kp->lifetime);
  } else if (const auto* c = std::get_if<CommitSource>(&v.value)) {
    write(w, c->parent_hash);
  }
}

bool read(Reader& r, LeafNodeSource& v) {
  LeafNodeSourceType type{};
  if (!read(r, type)) return false;
  switch (type) {
    case LeafNodeSourceType::key_package: {
      KeyPackageSource s;
      if (!read(r, s.lifetime)) return false;
      v.value = s;
      return true;
    }
    case LeafNodeSourceType::update:
      v.value = UpdateSource{};
      return true;
    case LeafNodeSourceType::commit: {
      CommitSource s;
      if (!read(r, s.parent_hash)) return false;
      v.value = std::move(s);
      return true;
    }
  }
  return r.fail(Errc::invalid_value);
}

Bytes encode_leaf_node_tbs(const LeafNode& leaf, ByteView group_id, std::uint32_t leaf_index) {
  // RFC 9420 §7.2: LeafNodeTBS is LeafNode minus its signature, plus the group binding for
  // update and commit sources.
  Writer w;
  write(w, leaf.encryption_key);
  write(w, leaf.signature_key);
  write(w, leaf.credential);
  write(w, leaf.capabilities);
  write(w, leaf.source);
  write(w, leaf.extensions);
  if (leaf.source.type() != LeafNodeSourceType::key_package) {
    write(w, to_bytes(group_id));
    write(w, leaf_index);
  }
  return w.take();
}

}  // namespace conclave::mls
