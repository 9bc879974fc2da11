#pragma once
// PublicGroup: the delivery service's view of a group (no secrets; RFC 9420 §12.4, §16.4).
//
// Built from a GroupInfo and its ratchet tree (or from a member Group), it follows the group
// epoch by epoch from PublicMessage proposals and commits, and checks everything that needs no
// group secret: framing (group, epoch, content type), the sender's signature over
// FramedContentTBS (which covers the GroupContext, so a commit verifies only if this view's
// tree hash and transcript hashes are right), KeyPackage and LeafNode validity, every proposal
// list rule (proposal_validation.h), parent-hash chains and the new tree hash.
//
// What it CANNOT check, having no keys: membership tags (membership_key), confirmation tags
// (confirmation_key), the UpdatePath ciphertexts, and anything inside a PrivateMessage. A
// commit it accepts may therefore still be rejected by members; a commit whose confirmation tag
// is wrong is accepted here. Not thread-safe.
#include <cstdint>
#include <optional>
#include <vector>

#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/group_info.h"
#include "mls/framing/mls_message.h"
#include "mls/framing/ratchet_tree.h"
#include "mls/group/commit_apply.h"

namespace conclave::mls {

struct Member {
  LeafIndex leaf;
  Bytes identity;  // BasicCredential identity; empty for other credential types
};

// What a commit changed, for the store and the room.
struct PublicCommitReport {
  std::uint64_t epoch = 0;
  Bytes tree_hash;
  TreeChanges changes;  // O(log N) nodes for a commit with a path
  std::vector<LeafIndex> added;
  std::vector<LeafIndex> removed;
  LeafIndex committer;
};

class StagedPublicCommit;

class PublicGroup {
 public:
  // from_group_info verifies the GroupInfo signature with the signer's leaf, validates the whole
  // tree (taken from the ratchet_tree extension or `tree`) and its hash against the
  // GroupContext. It cannot check the confirmation tag (no keys).
  static Result<PublicGroup> from_group_info(const CipherSuite& suite, const GroupInfo& gi,
                                             const std::optional<RatchetTree>& tree,
                                             std::optional<std::uint64_t> now = std::nullopt);
  // from_state adopts a state known to be valid (e.g. a member Group's own epoch).
  static PublicGroup from_state(EpochState st);

  // handle_proposal checks and caches a PublicMessage proposal (signature, sender rules,
  // proposal validity).
  Status handle_proposal(const MlsMessage& msg);
  // stage_commit checks a PublicMessage commit and returns the next epoch; this view is
  // unchanged until merge.
  Result<StagedPublicCommit> stage_commit(const MlsMessage& msg) const;

  const GroupContext& context() const { return st_.context; }
  std::uint64_t epoch() const { return st_.context.epoch; }
  const PublicTree& tree() const { return st_.tree; }
  Bytes tree_hash() const { return st_.tree.root_hash(); }
  std::vector<Member> members() const;
  std::size_t memory_bytes() const;

 private:
  friend class StagedPublicCommit;
  PublicGroup(EpochState st, std::optional<std::uint64_t> now);
  Result<AuthenticatedContent> verify(const MlsMessage& msg) const;

  EpochState st_;
  std::optional<std::uint64_t> now_;
  std::vector<CachedProposal> proposals_;
};

class StagedPublicCommit {
 public:
  const PublicCommitReport& report() const { return report_; }
  PublicGroup merge() && { return std::move(next_); }

 private:
  friend class PublicGroup;
  StagedPublicCommit(PublicGroup next, PublicCommitReport r)
      : next_(std::move(next)), report_(std::move(r)) {}
  PublicGroup next_;
  PublicCommitReport report_;
};

}  // namespace conclave::mls
