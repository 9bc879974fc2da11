// LeafNode signatures (RFC 9420 §7.2), apart from the codec so decoding does not pull in crypto.
#include "mls/framing/leaf_node.h"

namespace conclave::mls {

Status sign_leaf_node(const SigningKey& key, LeafNode& leaf, ByteView group_id,
                      std::uint32_t leaf_index) {
  auto sig = key.sign_with_label("LeafNodeTBS", encode_leaf_node_tbs(leaf, group_id, leaf_index));
  if (!sig) return fail(sig.error());
  leaf.signature = std::move(*sig);
  return {};
}

bool verify_leaf_node(const CipherSuite& suite, const LeafNode& leaf, ByteView group_id,
                      std::uint32_t leaf_index) {
  return suite.verify_with_label(leaf.signature_key, "LeafNodeTBS",
                                 encode_leaf_node_tbs(leaf, group_id, leaf_index), leaf.signature);
}

}  // namespace conclave::mls
