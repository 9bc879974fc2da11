#pragma once
// Proposal and proposal-list validation (RFC 9420 §12.1, §12.2, §12.4, §12.1.8.1). Every check
// has an id and a failing-input test in tests/mls/group/validation_test.cpp:
//
//   VAL-PS-01  §12.1.8.1 external sender index within the external_senders extension
//   VAL-PS-02  §12.1.8   new_member_proposal sender may only propose Add
//   VAL-PS-03  §12.1.8.1 external sender may propose only Add/Remove/PSK/ReInit/GCE
//   VAL-PS-04  §12.1.6   ExternalInit only in an external commit (never as a proposal message)
//   VAL-PR-01  §12.1.1   Add: KeyPackage valid (VAL-KP-*) under the group's extensions
//   VAL-PR-02  §12.1.2   Update: from a member, source update, signature for the sender's leaf
//   VAL-PR-03  §12.1.2   Update: encryption_key differs from the replaced leaf's
//   VAL-PR-04  §12.1.3   Remove: names a non-blank leaf inside the tree
//   VAL-PR-05  §12.1.4   PSK: nonce of Nh bytes; resumption usage application in a commit
//   VAL-PR-06  §12.1.5   ReInit: version not lower than mls10
//   VAL-PR-07  §12.1.7   GCE: every member supports every non-default extension; every member
//                        satisfies a required_capabilities extension; no duplicate types
//   VAL-CM-01  §12.2     no Update from the committer; Update never by value (§12.4)
//   VAL-CM-02  §12.2     no Remove of the committer
//   VAL-CM-03  §12.2     at most one Update/Remove per leaf
//   VAL-CM-04  §12.2     Adds: no two with the same signature key, none of a current member
//                        (unless that member is removed), keys unique in the tree
//   VAL-CM-05  §12.2     no two PSK proposals with the same PreSharedKeyID
//   VAL-CM-06  §12.2     at most one GCE
//   VAL-CM-07  §12.2     ReInit only alone
//   VAL-CM-08  §12.2     ExternalInit never in a regular commit
//   VAL-CM-09  §12.2     external commit: exactly one ExternalInit, at most one Remove, PSKs,
//                        nothing else
//   VAL-CM-10  §12.4     path present when the list holds Update/Remove/ExternalInit/GCE or is
//                        empty
//   VAL-CM-11  §12.4.1   by-reference proposals known in this epoch
#include <optional>
#include <span>
#include <vector>

#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/framed_content.h"
#include "mls/framing/proposal.h"
#include "mls/schedule/group_context.h"
#include "mls/treesync/public_tree.h"
#include "mls/treesync/tree_validation.h"

namespace conclave::mls {

// A proposal with who sent it and how it reached the commit.
struct ResolvedProposal {
  Proposal proposal;
  Sender sender;
  bool by_reference = false;
};

// What validation reads from the group: the epoch's context and tree (before the commit).
struct ValidationContext {
  const CipherSuite* suite;
  const GroupContext* context;
  const PublicTree* tree;
  std::optional<std::uint64_t> now;  // lifetime checks when set
};

// validate_proposal_sender: VAL-PS-01..04 for a proposal received as a message (for an
// external sender, its index must name a key: external_sender_key below).
Status validate_proposal_sender(const ValidationContext& vc, const Proposal& p, const Sender& s);
// external_sender_key: the signature key of external sender `index` (VAL-PS-01).
Result<Bytes> external_sender_key(const GroupContext& ctx, std::uint32_t index);

// validate_proposal: VAL-PR-01..07 for one proposal from `sender`; `extensions` are the group
// context extensions in force for it (those of a GCE in the same commit, if any).
Status validate_proposal(const ValidationContext& vc, const Proposal& p, const Sender& sender,
                         std::span<const Extension> extensions, bool in_commit);

// validate_commit_proposals: VAL-CM-01..10 and every proposal's VAL-PR-*; `committer` is nullopt
// for an external commit.
Status validate_commit_proposals(const ValidationContext& vc,
                                 std::span<const ResolvedProposal> proposals,
                                 std::optional<LeafIndex> committer, bool has_path);

// leaf_signature_key reads signature_key from a stored LeafNode encoding without decoding it
// all; empty when blank or malformed.
ByteView leaf_signature_key(const PublicTree& tree, LeafIndex l);

}  // namespace conclave::mls
