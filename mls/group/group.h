#pragma once
// Group: one member's state of an MLS group (RFC 9420 §8-§12): the public epoch state, the
// member's private tree keys, the epoch secrets and secret tree, and the proposals received in
// the current epoch.
//
// Changes follow stage -> merge (docs/style.md P9): stage_* functions leave the group untouched
// and return a StagedCommit holding the next epoch; the caller persists what it must, then
// replaces its Group with std::move(staged).merge(). Not thread-safe (one group per strand).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/rng.h"
#include "mls/framing/mls_message.h"
#include "mls/framing/ratchet_tree.h"
#include "mls/group/commit_apply.h"
#include "mls/schedule/key_schedule.h"
#include "mls/schedule/secret_tree.h"
#include "mls/treesync/public_tree.h"
#include "mls/treesync/tree_private.h"

namespace conclave::mls {

// The private keys behind a KeyPackage: what a client keeps until it joins.
struct KeyPackageSecrets {
  Secret init_private_key;
  Secret encryption_private_key;  // the leaf's HPKE key
  Secret signature_private_key;
};

// A fresh KeyPackage with the private keys behind it.
struct KeyPackageBundle {
  KeyPackage key_package;
  KeyPackageSecrets secrets;
  KeyPackageBundle clone() const;
  // serialize/restore persist the bundle while a client waits for a Welcome across runs. The
  // bytes hold the private keys: store them as secret as the keys themselves.
  Result<Bytes> serialize() const;
  static Result<KeyPackageBundle> restore(ByteView state);
};

// make_key_package creates a KeyPackage for `credential` signed with `signature_private_key`
// (fresh init and leaf HPKE keys from `rng`; capabilities: mls10, this suite, the credential's
// type; lifetime [not_before, not_after]; `leaf_extensions` in the leaf node, e.g. an
// application_id, RFC 9420 §5.3.3). Errors: the signing key's parse error.
Result<KeyPackageBundle> make_key_package(const CipherSuite& suite, const Credential& credential,
                                          Secret signature_private_key, Rng& rng = system_rng(),
                                          Lifetime lifetime = {0, ~std::uint64_t{0}},
                                          std::vector<Extension> leaf_extensions = {});

// BytesLess orders byte strings (out of line: GCC 12 warns falsely on the inlined std::less).
struct BytesLess {
  bool operator()(const Bytes& a, const Bytes& b) const;
};

// External PSKs the member knows, by psk_id.
using PskStore = std::map<Bytes, Secret, BytesLess>;

struct GroupOptions {
  // Seconds since the epoch for KeyPackage lifetime checks; nullopt skips them (§7.3 makes them
  // only RECOMMENDED for received leaves).
  std::optional<std::uint64_t> now;
  bool encrypt_handshake = false;  // send proposals and commits as PrivateMessage
  Rng* rng = nullptr;              // randomness for own messages; nullptr = system_rng()
  // Threads that check a received ratchet tree (join, join_external; §12.4.3.1): 1 checks on
  // the caller's thread, 0 one per core for large trees (validation_threads() in
  // tree_validation.h). The outcome does not depend on it.
  unsigned validation_threads = 0;
  // How a received tree is built (PublicTree::Build). per_node is the slower build of before
  // issue 15, only for the benchmark's baseline.
  PublicTree::Build tree_build = PublicTree::Build::bulk;
};

// What a Commit this member creates should hold besides the cached proposals.
struct CommitOptions {
  // By-value proposals (Add, Remove, PreSharedKey, GroupContextExtensions, ReInit); Updates are
  // never sent by value (§12.4).
  std::vector<Proposal> proposals;
  // Include an UpdatePath even when §12.4 does not require one (fresh keys for the committer).
  bool force_path = true;
  // Put the ratchet_tree extension in the Welcome's GroupInfo (§12.4.3.3); otherwise joiners
  // need the tree out of band.
  bool ratchet_tree_in_welcome = true;
  Bytes authenticated_data;
};

// An application message after decryption.
struct ReceivedApplication {
  LeafIndex sender;
  Bytes data;
  Bytes authenticated_data;
};

class StagedCommit;
struct CommitOutput;

class Group {
 public:
  Group(Group&&) noexcept = default;
  Group& operator=(Group&&) noexcept = default;

  // join processes a Welcome addressed to `kp` (§12.4.3.1): decrypts GroupSecrets and
  // GroupInfo, takes the tree from the ratchet_tree extension or `tree`, validates the whole
  // tree and the GroupInfo signature, runs the key schedule (PSKs from `psks`) and checks the
  // confirmation tag. Errors: Errc::invalid_value (no entry for kp, no tree), decryption,
  // Errc::bad_signature, tree validation errors, Errc::unknown_psk, Errc::bad_confirmation_tag.
  static Result<Group> join(const CipherSuite& suite, const Welcome& welcome, const KeyPackage& kp,
                            KeyPackageSecrets secrets, const std::optional<RatchetTree>& tree,
                            PskStore psks = {}, GroupOptions options = {});

  // create starts a one-member group at epoch 0 with `creator` as leaf 0 (§11): random epoch
  // secret, empty confirmed transcript hash, the interim hash over the epoch's confirmation tag.
  static Result<Group> create(const CipherSuite& suite, Bytes group_id,
                              const KeyPackageBundle& creator,
                              std::vector<Extension> extensions = {}, GroupOptions options = {});

  // --- sending -------------------------------------------------------------------------------
  // propose signs and protects `p` (PublicMessage, or PrivateMessage when
  // options.encrypt_handshake) and caches it so a later commit (ours or another member's) can
  // reference it. Updates go through propose_update().
  Result<MlsMessage> propose(Proposal p, ByteView authenticated_data = {});
  // propose_update proposes a fresh leaf HPKE key for this member (§12.1.2); its private key is
  // kept until a Commit applies the Update or the epoch ends.
  Result<MlsMessage> propose_update(ByteView authenticated_data = {});
  // commit builds a Commit over every cached proposal (by reference; own Updates, Removes of
  // ourselves and conflicting ones are left out) plus options.proposals by value, with an
  // UpdatePath when required (§12.4) or forced. The group is unchanged: the result holds the
  // message to send, a Welcome for the joiners, the signed GroupInfo of the next epoch and the
  // StagedCommit to merge once the delivery service accepted the commit (P9). A PrivateMessage
  // commit uses a handshake generation of this epoch even if it is never merged.
  Result<CommitOutput> commit(CommitOptions options = {});
  // group_info returns this epoch's signed GroupInfo with the external_pub extension and, when
  // `with_tree`, the ratchet_tree extension (§12.4.3).
  Result<GroupInfo> group_info(bool with_tree = true) const;

  // --- application messages (§6.3) -----------------------------------------------------------
  // protect encrypts application data as a PrivateMessage with the next application generation.
  Result<MlsMessage> protect(ByteView data, ByteView authenticated_data = {},
                             std::size_t padding = 0);
  // unprotect_application decrypts an application PrivateMessage of this epoch
  // (Errc::invalid_content_type for handshake content).
  Result<ReceivedApplication> unprotect_application(const MlsMessage& msg);

  // join_external joins by an external Commit (§12.4.3.2) against a GroupInfo carrying
  // external_pub: verifies the GroupInfo and the whole tree (as join), derives init_secret with
  // the HPKE export to external_pub (ExternalInit, §8.3), adds `joiner`'s leaf with a fresh
  // UpdatePath and, for a resync, removes `resync_leaf` (our old leaf; same identity expected by
  // the application). Returns the PublicMessage to send and the StagedCommit holding our Group
  // of the next epoch. Errors: those of join, Errc::invalid_value without external_pub.
  static Result<std::pair<MlsMessage, StagedCommit>> join_external(
      const CipherSuite& suite, const GroupInfo& gi, const std::optional<RatchetTree>& tree,
      const KeyPackageBundle& joiner, std::optional<LeafIndex> resync_leaf = std::nullopt,
      GroupOptions options = {});

  // --- receiving ---------------------------------------------------------------------------
  // handle_proposal verifies and caches a proposal message of the current epoch.
  Status handle_proposal(const MlsMessage& msg);
  // stage_commit verifies a Commit message (PublicMessage or PrivateMessage) and returns the
  // next epoch; the group is unchanged.
  Result<StagedCommit> stage_commit(const MlsMessage& msg) const;

  // --- persistence ---------------------------------------------------------------------------
  // serialize writes everything needed to continue this member's state in a later run: group
  // context, tree, transcript hashes, private tree keys, epoch secrets, the secret tree with its
  // consumed generations and kept out-of-order keys, signer key, PSKs, cached proposals, own
  // pending updates, resumption PSKs, confirmation tag and the stateful options. The bytes hold
  // secrets: store them as secret as the keys themselves.
  Result<Bytes> serialize() const;
  // restore rebuilds a Group from serialize()'s bytes (format: mls/group/group_state.h); the
  // cipher suite comes from the stored id; encrypt_handshake is state (restored), `options.rng`
  // and `options.now` come from the caller. Errors for bytes that are not a complete,
  // consistent state: Errc::invalid_value (magic, version, checksum, field checks), decode
  // errors, Errc::unsupported_cipher_suite, Errc::tree_hash_mismatch,
  // Errc::bad_confirmation_tag, Errc::invalid_key.
  static Result<Group> restore(ByteView state, GroupOptions options = {});

  // --- state ---------------------------------------------------------------------------------
  const CipherSuite& suite() const { return *st_.suite; }
  const GroupContext& context() const { return st_.context; }
  std::uint64_t epoch() const { return st_.context.epoch; }
  const PublicTree& tree() const { return st_.tree; }
  LeafIndex own_leaf() const { return priv_.own_leaf(); }
  ByteView epoch_authenticator() const { return secrets_.epoch_authenticator.view(); }
  // exporter: MLS-Exporter(label, context, length) (§8.5).
  Result<Secret> exporter(std::string_view label, ByteView context, std::size_t length) const;

 private:
  friend class StagedCommit;
  Group(EpochState st, TreePrivate priv, EpochSecrets secrets, SigningKey signer,
        Secret signer_private, PskStore psks, GroupOptions options);
  Result<AuthenticatedContent> unprotect(const MlsMessage& msg, SecretTree& tree) const;
  Result<PskSecret> psk_secret(std::span<const PreSharedKeyID> ids) const;
  Rng& rng() const { return options_.rng != nullptr ? *options_.rng : system_rng(); }
  Result<MlsMessage> send_handshake(FramedContent content);
  Result<MlsMessage> wrap(AuthenticatedContent ac);
  PskStore clone_psks() const;
  void inherit_resumption_psks(const std::map<std::uint64_t, Secret>& older);

  EpochState st_;
  TreePrivate priv_;
  EpochSecrets secrets_;
  std::unique_ptr<SecretTree> secret_tree_;  // mutable per message; unique_ptr keeps it stable
  SigningKey signer_;
  Secret signer_private_;
  PskStore psks_;
  GroupOptions options_;
  std::vector<CachedProposal> proposals_;
  std::vector<PendingUpdate> own_updates_;
  std::map<std::uint64_t, Secret> resumption_psks_;  // by epoch, recent epochs only
  Bytes confirmation_tag_;                           // of this epoch, for GroupInfo
};

// StagedCommit: a verified Commit and the epoch it leads to. merge() yields the new Group.
class StagedCommit {
 public:
  // removes_self: the Commit removed this member; there is no next epoch for it (§12.4.2).
  bool removes_self() const { return removed_self_; }
  // context of the next epoch; only when !removes_self().
  const GroupContext& context() const { return next_->context(); }
  // merge yields the next epoch's Group; only when !removes_self().
  Group merge() && { return std::move(*next_); }

 private:
  friend class Group;
  StagedCommit(std::optional<Group> next, bool removed)
      : next_(std::move(next)), removed_self_(removed) {}
  std::optional<Group> next_;
  bool removed_self_ = false;
};

// The result of Group::commit.
struct CommitOutput {
  MlsMessage message;              // the Commit, for the delivery service
  std::optional<Welcome> welcome;  // for the joiners, when the commit adds members
  GroupInfo group_info;            // of the next epoch, signed, with external_pub
  StagedCommit staged;             // merge() once the delivery service accepted `message`
};

}  // namespace conclave::mls
