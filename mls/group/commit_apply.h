#pragma once
// The public half of Commit processing (RFC 9420 §12.3, §12.4.2), shared by the member's Group
// and the delivery service's PublicGroup: resolving proposal references, validating the list,
// applying it to a copy of the tree, merging the UpdatePath and advancing the transcript hashes.
// Nothing here changes its inputs (docs/style.md P9).
#include <optional>
#include <span>
#include <vector>

#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/secret.h"
#include "mls/framing/framed_content.h"
#include "mls/group/proposal_validation.h"
#include "mls/schedule/group_context.h"
#include "mls/treesync/public_tree.h"
#include "mls/treesync/tree_private.h"

namespace conclave::mls {

// A proposal received in the current epoch, kept until the epoch ends (§12.4.1).
struct CachedProposal {
  Bytes ref;  // ProposalRef
  Proposal proposal;
  Sender sender;
};

// The public state of one epoch.
struct EpochState {
  const CipherSuite* suite = nullptr;
  GroupContext context;
  PublicTree tree;
  Bytes interim_transcript_hash;
};

// The outcome of applying a Commit's proposals to a copy of the tree (§12.3).
struct AppliedProposals {
  std::vector<Extension> extensions;  // the new GroupContext extensions
  std::vector<LeafIndex> joiners;     // leaves of the Adds, in order
  std::vector<KeyPackage> added;      // their key packages, in order
  std::vector<LeafIndex> removed;
  std::vector<PreSharedKeyID> psks;  // in proposal order
  std::optional<ExternalInit> external_init;
  std::optional<ReInit> reinit;
  bool path_required = false;
};

// resolve_proposals turns the Commit's ProposalOrRefs into proposals with their senders;
// Errc::invalid_commit for an unknown reference (VAL-CM-11).
Result<std::vector<ResolvedProposal>> resolve_proposals(const Commit& commit,
                                                        const Sender& committer,
                                                        std::span<const CachedProposal> cache);

// apply_proposals applies the (validated) list to `tree` (a copy of the epoch's tree) in the
// §12.3 order, starting from the GroupContext extensions `extensions`.
Result<AppliedProposals> apply_proposals(PublicTree& tree, std::vector<Extension> extensions,
                                         std::span<const ResolvedProposal> proposals);

// A received Commit after its public processing.
struct StagedEpoch {
  explicit StagedEpoch(PublicTree t) : tree(std::move(t)) {}
  PublicTree tree;
  GroupContext context;  // the new GroupContext (epoch + 1, tree hash, transcript hash)
  Bytes interim_transcript_hash;
  LeafIndex committer;
  AppliedProposals applied;
  bool has_path = false;
  // commit_secret from the UpdatePath when `priv` was given and could decrypt it; else empty.
  Secret commit_secret;
  bool own_leaf_removed = false;
};

// An Update this member proposed: the leaf private key to use if a Commit applies it.
struct PendingUpdate {
  Bytes encryption_key;
  Secret private_key;
};

// stage_commit_content processes `ac` (signature already verified, content a Commit) against
// `st`: resolves, validates (VAL-CM-*), applies, validates and merges the path. With `priv`
// (a member's private tree state, changed in place: pass a clone) the path secrets are
// decrypted too. Errors: those of validation, Errc::invalid_commit, tree errors.
Result<StagedEpoch> stage_commit_content(const EpochState& st, const AuthenticatedContent& ac,
                                         std::span<const CachedProposal> cache, TreePrivate* priv,
                                         std::optional<std::uint64_t> now,
                                         std::span<const PendingUpdate> own_updates = {});

// next_transcript: the new confirmed transcript hash for `ac` after interim hash `interim`.
Bytes next_confirmed_transcript_hash(const CipherSuite& suite, ByteView interim,
                                     const AuthenticatedContent& ac);

}  // namespace conclave::mls
