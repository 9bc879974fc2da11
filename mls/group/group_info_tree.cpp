#include "mls/group/group_info_tree.h"

#include "mls/group/extensions.h"
#include "mls/group/proposal_validation.h"
#include "mls/group/welcome_crypto.h"
#include "mls/treesync/tree_validation.h"

namespace conclave::mls {

Result<PublicTree> verified_group_info_tree(const CipherSuite& suite, const GroupInfo& gi,
                                            const std::optional<RatchetTree>& tree_in,
                                            std::optional<std::uint64_t> now, unsigned threads) {
  const GroupContext& gc = gi.group_context;
  Result<PublicTree> tree = fail(Errc::invalid_value);
  if (const Extension* e = find_extension(gi.extensions, kExtRatchetTree)) {
    tree = PublicTree::decode(suite, e->extension_data);
  } else if (tree_in) {
    tree = PublicTree::from_nodes(suite, *tree_in);
  }
  if (!tree) return fail(tree.error());
  const LeafIndex signer{gi.signer};
  if (!contains(tree->leaf_count(), signer) || tree->blank(signer)) {
    return fail(Errc::invalid_sender);
  }
  if (!verify_group_info(suite, gi, leaf_signature_key(*tree, signer))) {
    return fail(Errc::bad_signature);
  }
  const LeafValidationContext lctx{gc.group_id, gc.extensions, now};
  threads = validation_threads(threads, tree->leaf_count());
  if (auto st = validate_tree(*tree, lctx, ByteView(gc.tree_hash), threads); !st) {
    return fail(st.error());
  }
  return tree;
}

}  // namespace conclave::mls
