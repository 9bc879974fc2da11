#pragma once
// TreeKEM (RFC 9420 §7.4-§7.6): creating and processing UpdatePaths.
//
// Both functions change `tree` and `priv` in place. A caller that must be able to abandon the
// commit (stage -> persist -> merge, docs/style.md P9) works on copies: PublicTree is copyable
// and TreePrivate has clone().
#include <span>

#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/rng.h"
#include "mls/crypto/secret.h"
#include "mls/framing/commit.h"
#include "mls/framing/leaf_node.h"
#include "mls/schedule/group_context.h"
#include "mls/treesync/public_tree.h"
#include "mls/treesync/tree_private.h"

namespace conclave::mls {

struct CreatedUpdatePath {
  UpdatePath path;
  Secret commit_secret;  // DeriveSecret(last path secret, "path") (§12.4.2)
  GroupContext context;  // the provisional GroupContext used, with the new tree hash
};

// create_update_path refreshes the committer's leaf and filtered direct path (§7.4, §7.5):
// fresh leaf key pair, path secrets chained with DeriveSecret(., "path"), new parent nodes with
// parent hashes, and `leaf` (its encryption_key and leaf_node_source are overwritten, source
// becomes commit with the leaf's parent hash) signed with `signer` for `context.group_id`. Then
// each path secret is encrypted to the resolution of the copath child, leaving out `joiners`
// (leaves added by this commit, §7.6), with `context` (tree_hash replaced by the new root hash)
// as EncryptWithLabel context. `tree` must already hold the commit's proposals. `priv` is
// updated with the new leaf key and path secrets.
Result<CreatedUpdatePath> create_update_path(PublicTree& tree, TreePrivate& priv, LeafNode leaf,
                                             const SigningKey& signer, GroupContext context,
                                             std::span<const LeafIndex> joiners,
                                             Rng& rng = system_rng());

struct ProcessedUpdatePath {
  Secret commit_secret;
  NodeIndex decrypted_at;  // the node whose path secret was decrypted (the common ancestor)
  GroupContext context;    // the provisional GroupContext used, with the new tree hash
};

// process_update_path merges `path` from `sender` into `tree` (PublicTree::merge_update_path,
// which checks the leaf's parent hash) and decrypts the path secret of the lowest common
// ancestor with the key `priv` holds in the copath resolution (leaving out `joiners`), derives
// the secrets above it, checks that every derived public key equals the one sent, and stores the
// new path secrets in `priv`. `context` is the provisional GroupContext; its tree_hash is
// replaced by the root hash after the merge. Errors: those of merge_update_path;
// Errc::invalid_commit when the ciphertext count does not match the resolution or the own leaf
// is the sender; Errc::invalid_key when no usable private key is held or a derived public key
// differs; Errc::decryption_failed from HPKE.
Result<ProcessedUpdatePath> process_update_path(PublicTree& tree, TreePrivate& priv,
                                                LeafIndex sender, const UpdatePath& path,
                                                GroupContext context,
                                                std::span<const LeafIndex> joiners);

}  // namespace conclave::mls
