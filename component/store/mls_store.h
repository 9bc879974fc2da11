#pragma once
// MlsStore: what the MLS delivery service keeps (docs/protocol.md, docs/architecture.md
// Storage): key packages, the public state of each room's group (node by node), the commit log
// with one commit per epoch, pending service proposals, the Welcome outbox and the service's
// external-sender key. Declared here (docs/style.md P2), implemented by db/pg_mls_store.cpp and by
// an in-memory fake in tests/component/fake_mls_store.h. Every call blocks: call it from a
// database thread, never from the XMPP I/O thread (component/core/blocking_runner.h).
//
// Byte strings are opaque here: the store never parses MLS structures. Times are passed in by
// the caller (docs/style.md P10), so expiry does not depend on the database clock.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "component/store/archive_store.h"
#include "component/store/epoch.h"
#include "component/store/lease_store.h"
#include "component/store/result.h"
#include "component/store/room_jid.h"

namespace conclave::component {

using TimePoint = std::chrono::system_clock::time_point;
// Blob: opaque bytes; the same type as mls::Bytes, so MLS values pass without conversion.
using Blob = std::vector<std::uint8_t>;

// ---- Key packages (docs/protocol.md §4) ----

struct KeyPackageRecord {
  Blob ref;          // KeyPackageRef (RFC 9420 §5.2); unique across all owners
  Blob key_package;  // the MLSMessage wrapping the KeyPackage, as uploaded
  bool last_resort = false;
  TimePoint not_after{};  // leaf_node.lifetime.not_after (RFC 9420 §7.2); expired when < now
  std::string device;     // the application_id of its leaf (docs/protocol.md §6.1)
  bool operator==(const KeyPackageRecord&) const = default;
};

// One device of an account (docs/protocol.md §6.13): registered by its first upload.
struct DeviceRecord {
  std::string device;
  std::size_t one_time = 0;  // its unexpired one-time packages
  bool last_resort = false;  // it has an unexpired last-resort package
  TimePoint last_upload{};
  bool operator==(const DeviceRecord&) const = default;
};

// One leaf of a room's group as the membership index keeps it (docs/protocol.md §6.13).
struct MemberLeaf {
  std::uint32_t leaf = 0;
  std::string identity;  // bare JID
  std::string device;
  bool operator==(const MemberLeaf&) const = default;
};

// A leaf a commit wrote: its new holder, or nullopt when it became blank.
struct MemberChange {
  std::uint32_t leaf = 0;
  std::optional<MemberLeaf> now;
};

// A room whose group holds a leaf of an identity, and that leaf's device.
struct RoomDevice {
  RoomJid room;
  std::string device;
  bool operator==(const RoomDevice&) const = default;
};

enum class KeyPackageUpload {
  stored,          // the whole batch is stored
  limit_exceeded,  // storing it would exceed the owner's limit; nothing stored
  duplicate_ref,   // a ref is already stored (or repeated in the batch); nothing stored
};

struct KeyPackageCount {
  std::size_t count = 0;     // unexpired one-time packages
  bool last_resort = false;  // an unexpired last-resort package is stored
  bool operator==(const KeyPackageCount&) const = default;
};

// ---- The group of a room (docs/protocol.md §5) ----

// One non-blank node of the public ratchet tree, by its array index (RFC 9420 Appendix C:
// leaves at even indices). `data` is the node as the public view serializes it; opaque here.
struct MlsNode {
  std::uint32_t index = 0;
  Blob data;
  bool operator==(const MlsNode&) const = default;
};

// A node written by a commit: data, or nullopt for a node that became blank (row deleted).
struct MlsNodeChange {
  std::uint32_t index = 0;
  std::optional<Blob> data;
};

// The group row of a room and its tree. In load_group's answer `nodes` holds every non-blank
// node in ascending index order.
struct MlsGroupRecord {
  RoomJid room;
  Blob group_id;  // unique across rooms
  std::uint16_t cipher_suite = 0;
  Epoch epoch;
  Blob tree_hash;                // tree hash of the root (RFC 9420 §7.8)
  Blob group_info;               // MLSMessage wrapping the GroupInfo of this epoch
  Blob group_context;            // serialized GroupContext of this epoch (RFC 9420 §8.1)
  Blob interim_transcript_hash;  // of this epoch (RFC 9420 §8.2)
  std::uint32_t leaf_count = 0;  // leaves of the tree; node indices are < 2 * leaf_count - 1
  // Chain hash of this epoch (docs/protocol.md §6.7; ds::chain_genesis before the first
  // commit, then ds::chain_next of each accepted one). The store keeps what it is given.
  Blob chain_hash;
  std::vector<MlsNode> nodes;
  // load_group: whether the membership index holds rows of the group (false for groups stored
  // before schema 0006 until index_members fills it; create_group ignores it).
  bool members_indexed = true;
  // create_group: the membership index rows of the new group (load_group leaves it empty).
  std::vector<MemberLeaf> members;
  bool operator==(const MlsGroupRecord&) const = default;
};

// One accepted commit, as accept_commit stores it. The tree_hash/group_context/
// interim_transcript_hash/group_info fields describe the epoch the commit leads to.
struct MlsCommitRecord {
  Blob commit_hash;  // SHA-256 of mls_message (docs/sequencing.md §A.2); detects re-sends
  Blob mls_message;  // MLSMessage PublicMessage Commit, as received
  Blob welcome;      // MLSMessage Welcome; empty when the commit adds nobody
  std::vector<std::string> welcome_recipients;  // bare JIDs of the added members
  Blob group_info;                              // MLSMessage GroupInfo of the new epoch
  std::string sender_jid;                       // bare JID of the committer
  Blob tree_hash;
  Blob group_context;
  Blob interim_transcript_hash;
  // chain_next(prev_chain_hash, commit_hash). The store accepts the commit only if the group's
  // stored chain hash is prev_chain_hash (else StoreErrc::conflict, writing nothing): the
  // caller built the fan-out, which carries the new value, from the state it checked.
  Blob prev_chain_hash;
  Blob chain_hash;
  // The commit's row in the room's MAM archive (the table the deployment's ArchiveStore reads;
  // archived.room is the commit's room), written in the accept transaction, so an accepted
  // commit is never missing from MAM and a refused or re-sent one never enters it. nullopt: the
  // room keeps no archive.
  std::optional<ArchivedMessage> archived;
  // The shard lease the room is sequenced under (several instances, docs/sequencing.md §A.4):
  // checked first, in the accept transaction, and the accept fails with StoreErrc::fenced,
  // writing nothing, unless the lease is still this holder's, in this term, and unexpired by
  // the database's clock. nullopt: one instance, no leases.
  std::optional<Fence> fence;
  // The leaves the commit wrote, for the membership index (rows at or beyond the new leaf
  // count are deleted too).
  std::vector<MemberChange> members;
  // CM-13 (docs/protocol.md §6.13): the (identity, device) of each leaf the commit adds and of
  // the committer's leaf. Checked in the accept transaction, after the epoch: unless every one
  // is on its identity's device list, the accept fails with StoreErrc::unknown_device, writing
  // nothing (the leaf field is not read).
  std::vector<MemberLeaf> devices;
};

enum class CommitOutcome {
  accepted,     // stored; `epoch` is the new epoch (expected + 1)
  wrong_epoch,  // the group is not at the expected epoch; `epoch` is its current epoch
  duplicate,    // this commit_hash was already accepted at the expected epoch; `epoch` is the
                // epoch it led to (expected + 1), i.e. the original answer
};

struct CommitResult {
  CommitOutcome outcome = CommitOutcome::wrong_epoch;
  Epoch epoch;
  // The chain hash of `epoch` when accepted or duplicate (the stored one); empty otherwise.
  Blob chain_hash;
  // Rows this call inserted, updated or deleted (0 unless accepted): the commit log row, the
  // group row, each changed node row, nodes cut off by a shrinking tree, Welcome outbox rows,
  // the archive row and the cleared proposal rows. For measuring the cost of a commit
  // (docs/architecture.md Scale: O(log N) per commit).
  std::size_t rows_written = 0;
};

// A logged commit, for catch-up (docs/protocol.md §7).
struct MlsCommitEntry {
  Epoch epoch;  // the epoch the commit was made in; applying it gives epoch.next()
  Blob commit_hash;
  Blob mls_message;
  std::string sender_jid;
  Blob chain_hash;  // after this commit, i.e. of epoch.next()
  bool operator==(const MlsCommitEntry&) const = default;
};

struct MlsCommitPage {
  std::vector<MlsCommitEntry> commits;  // ascending epoch
  bool more = false;                    // more commits follow the page
};

// A Remove (or other) proposal the service sent as external sender (docs/protocol.md §6); the
// next commit must include each pending one by reference.
struct MlsProposalRecord {
  Epoch epoch;        // the epoch the proposal was made in
  Blob proposal_ref;  // ProposalRef (RFC 9420 §5.2)
  Blob mls_message;   // MLSMessage PublicMessage Proposal
  bool operator==(const MlsProposalRecord&) const = default;
};

struct ProposalResult {
  bool stored = false;  // false: the group is no longer at the proposal's epoch
  Epoch current_epoch;
};

// One Welcome to deliver to one added member, written with its commit (docs/sequencing.md §A.5).
struct WelcomeDelivery {
  std::int64_t id = 0;    // outbox row id; ascending in write order
  std::string stable_id;  // welcome_stable_id(): the same after a restart or failover
  RoomJid room;
  Epoch epoch;            // the epoch the Welcome joins (the commit's epoch + 1)
  std::string recipient;  // bare JID
  Blob welcome;           // MLSMessage Welcome
  Blob chain_hash;        // of `epoch`: where the joiner's chain starts
  bool operator==(const WelcomeDelivery&) const = default;
};

// A commit's fan-out that no instance has confirmed sending (docs/cluster.md §6): the commit
// as its archive row names it, to re-send with the same ids.
struct FanoutDelivery {
  RoomJid room;
  Epoch epoch;            // the epoch the commit was made in
  std::string stanza_id;  // the stanza-id of its archive row
  Blob commit_hash;
  Blob mls_message;
  Blob chain_hash;  // after the commit
  bool operator==(const FanoutDelivery&) const = default;
};

// welcome_stable_id: the XEP-0359-style id of the Welcome of `commit_hash` to its i-th
// recipient: the first 16 bytes of the hash in lowercase hex, "-w", then i. Both
// implementations use it, so a re-sent Welcome keeps its id.
inline std::string welcome_stable_id(const Blob& commit_hash, std::size_t i) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t k = 0; k < commit_hash.size() && k < 16; ++k) {
    out.push_back(kHex[commit_hash[k] >> 4]);
    out.push_back(kHex[commit_hash[k] & 0x0f]);
  }
  return out + "-w" + std::to_string(i);
}

// The service's external-sender signing key (docs/protocol.md §3): one for the whole
// deployment, so every instance and restart signs with the same key.
struct ExternalSenderKey {
  Blob private_key;  // secret: never log it; callers wipe their copies
  Blob public_key;
  TimePoint created{};
};

class MlsStore {
 public:
  virtual ~MlsStore() = default;

  // ---- Key packages ----

  // store_key_packages: stores the batch for `owner` (bare JID), all or nothing. A last-resort
  // package replaces the owner's previous one. limit_exceeded when the owner would then hold
  // more than `limit` unexpired one-time packages (checked atomically with the insert).
  // Error: std::errc::invalid_argument when the batch has more than one last-resort package.
  virtual Result<KeyPackageUpload> store_key_packages(const std::string& owner,
                                                      const std::vector<KeyPackageRecord>& batch,
                                                      std::size_t limit, TimePoint now) = 0;
  // count_key_packages: the owner's unexpired packages.
  virtual Result<KeyPackageCount> count_key_packages(const std::string& owner, TimePoint now) = 0;
  // count_device_key_packages: the same for one device of the owner.
  virtual Result<KeyPackageCount> count_device_key_packages(const std::string& owner,
                                                            const std::string& device,
                                                            TimePoint now) = 0;
  // The batch registers (or refreshes) each of its devices in the owner's device list.
  // claim_key_packages: for each device of `owner` that has an unexpired package, one: its
  // oldest unexpired one-time package, deleted as it is returned (two concurrent claimers never
  // get the same one), or when none is left its unexpired last-resort package, which is kept.
  // Ordered by device. Empty: nothing to claim.
  virtual Result<std::vector<KeyPackageRecord>> claim_key_packages(const std::string& owner,
                                                                   TimePoint now) = 0;
  // delete_key_packages: deletes the owner's packages whose ref is in `refs`, and when `device`
  // is given every package of that device; returns how many were deleted.
  virtual Result<std::size_t> delete_key_packages(const std::string& owner,
                                                  const std::vector<Blob>& refs,
                                                  const std::optional<std::string>& device) = 0;
  // devices: the owner's device list, ordered by device.
  virtual Result<std::vector<DeviceRecord>> devices(const std::string& owner, TimePoint now) = 0;
  // retire_device: removes `device` from the owner's list and deletes its packages; false when
  // it was not listed and had no package.
  virtual Result<bool> retire_device(const std::string& owner, const std::string& device) = 0;
  // rooms_of: the rooms whose group holds a leaf of `identity`, one row per leaf, ordered by
  // room then device.
  virtual Result<std::vector<RoomDevice>> rooms_of(const std::string& identity) = 0;
  // unlisted_leaves: the leaves of `room`'s group (by the membership index) whose device is not
  // on their identity's device list (retired; docs/protocol.md BR-14), ascending. Leaves of the
  // unnamed device '' (written before devices existed) are not counted.
  virtual Result<std::vector<std::uint32_t>> unlisted_leaves(const RoomJid& room) = 0;
  // purge_expired_key_packages: deletes every expired package; returns how many.
  virtual Result<std::size_t> purge_expired_key_packages(TimePoint now) = 0;

  // ---- Groups ----

  // create_group: stores a new group with its tree (group.nodes; group.epoch is normally 0),
  // and makes the room persistent in the same transaction where the store keeps rooms
  // (PostgreSQL), so no crash leaves a group in a room that ends with its occupants
  // (docs/protocol.md §6.5).
  // Errors: conflict if the room has a group already (or the group_id is taken); not_found
  // if the store requires a room row (PostgreSQL: rooms) and there is none; unknown_device if
  // a leaf of group.members names a device that is not on its identity's device list (CR-8);
  // std::errc::invalid_argument if leaf_count is 0 or node indices repeat or are out of range.
  virtual Status create_group(const MlsGroupRecord& group) = 0;
  // load_group: the group row and every non-blank node. nullopt: the room has no group.
  virtual Result<std::optional<MlsGroupRecord>> load_group(const RoomJid& room) = 0;
  // index_members: writes `members` as the membership index of `room`'s group if it holds no
  // row yet (a group stored before schema 0006; docs/protocol.md §6.13); returns the rows
  // written (0 when the index was there already).
  virtual Result<std::size_t> index_members(const RoomJid& room,
                                            const std::vector<MemberLeaf>& members) = 0;
  // accept_commit: in one transaction, appends the commit at `expected_epoch` (the log's
  // primary key (room, epoch) allows one), moves the group row to expected_epoch + 1 only if it
  // is still at expected_epoch (compare-and-set), writes only `changed_nodes`, deletes nodes at
  // or beyond 2 * leaf_count - 1, queues one Welcome per recipient, appends commit.archived to
  // the room's archive (after every earlier row of the room: MAM keeps epoch order) with its
  // fan-out outbox row (unsent_fanouts) and clears
  // the pending proposals. Nothing is written unless the outcome is accepted; a duplicate
  // writes no second archive row. Errors: not_found if the room has no group;
  // std::errc::invalid_argument as for create_group, or when commit.archived names another
  // room (checked first); any error of the archive write, which undoes the whole commit.
  virtual Result<CommitResult> accept_commit(const RoomJid& room, Epoch expected_epoch,
                                             const MlsCommitRecord& commit,
                                             const std::vector<MlsNodeChange>& changed_nodes,
                                             std::uint32_t leaf_count) = 0;
  // commits_since: up to `limit` logged commits with epoch >= since, ascending; `more` when
  // others follow. Unknown room: an empty page.
  virtual Result<MlsCommitPage> commits_since(const RoomJid& room, Epoch since,
                                              std::size_t limit) = 0;

  // ---- Pending service proposals ----

  // add_proposal: records a proposal made at proposal.epoch, if the group is still at that
  // epoch (else stored = false with the current epoch). The same proposal_ref twice is stored
  // once. Error: not_found if the room has no group.
  virtual Result<ProposalResult> add_proposal(const RoomJid& room,
                                              const MlsProposalRecord& proposal) = 0;
  // pending_proposals: the proposals of the group's current epoch, in the order added.
  virtual Result<std::vector<MlsProposalRecord>> pending_proposals(const RoomJid& room) = 0;

  // ---- Welcome outbox ----

  // unsent_welcomes: up to `limit` Welcomes not yet marked sent, oldest first, all rooms.
  virtual Result<std::vector<WelcomeDelivery>> unsent_welcomes(std::size_t limit) = 0;
  // mark_welcome_sent: idempotent. Error: not_found if no such row.
  virtual Status mark_welcome_sent(std::int64_t id) = 0;
  // latest_welcome: the Welcome of the room's latest commit that added `recipient` (bare
  // JID), sent or not; nullopt when there is none. A device whose copy, sent to the bare JID,
  // went to another device of the account fetches it here (docs/protocol.md §6.10).
  virtual Result<std::optional<WelcomeDelivery>> latest_welcome(const RoomJid& room,
                                                                const std::string& recipient) = 0;

  // ---- Fan-out outbox (accept_commit writes a row with each archived commit) ----

  // unsent_fanouts: up to `limit` fan-outs not yet marked sent, oldest first, all rooms.
  virtual Result<std::vector<FanoutDelivery>> unsent_fanouts(std::size_t limit) = 0;
  // mark_fanout_sent: idempotent (an unknown row is not an error: another instance confirmed it).
  virtual Status mark_fanout_sent(const RoomJid& room, Epoch epoch) = 0;

  // ---- External sender key ----

  // external_sender_key: the stored key; if none is stored yet, stores `candidate` first. When
  // instances race, the first writer wins and every caller gets the winner's key.
  virtual Result<ExternalSenderKey> external_sender_key(const ExternalSenderKey& candidate) = 0;
};

}  // namespace conclave::component
