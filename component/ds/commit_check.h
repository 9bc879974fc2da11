#pragma once
// The delivery service's checks on a commit (docs/protocol.md §5 and "Business rules"), in two
// steps: decode_commit (framing, no group needed) and check_commit (validation against the
// room's current group, then room policy). Pure: the caller stores and sends.
//
//   CM-1  base64 MLSMessage, decoded exactly, PublicMessage, content type commit
//   CM-2  group id of the room's group (the epoch is compared by the caller: stale commits may
//         be re-sends whose original answer the store knows)
//   CM-3  mls::PublicGroup::stage_commit: signature, proposals (VAL-PS/PR/CM-*), path, parent
//         and tree hashes. Failure: <bad-request/> + <invalid-commit/>
//   CM-4  the XMPP sender is the committer: the committer's leaf (old and new) names the
//         sender's bare JID; for an external commit, the new leaf does. <forbidden/>
//   CM-5  every added leaf names a JID the room allows (BR-1). <forbidden/>
//   CM-6  every removed leaf may be removed by the sender (BR-4); an external commit removes
//         only the sender's own old leaf (resync). <forbidden/>
//   CM-7  every pending service proposal is included by reference (not by an external commit,
//         which cannot: RFC 9420 §12.4.3.2). <not-acceptable/> + <missing-proposals/>
//   CM-8  the new epoch still lists the service as external sender, and no ReInit. <forbidden/>
//   CM-9  a Welcome exactly when the commit adds members, a valid MLSMessage Welcome of suite 1
//         with a secret for every added KeyPackage. <bad-request/> + <invalid-commit/>
//   CM-10 a GroupInfo of the new epoch: its GroupContext equals the staged one, signed by the
//         committer's new leaf, with external_pub. <bad-request/> + <invalid-commit/>
//   CM-11 the new tree is at most max_tree_leaves wide (mls.max_tree_leaves). <policy-violation/>
//   CM-12 every added leaf and the committer's new leaf name a device (application_id), and no
//         two leaves of one identity name the same device (BR-13). <bad-request/> +
//         <invalid-commit/>
//   CM-13 (the store, in the accept transaction: MlsCommitRecord::devices) every added leaf and
//         the committer's leaf name a device on their account's device list (§6.13: listed by
//         an upload, taken off when retired). <forbidden/> + <unknown-device/>
// Tests: tests/component/ds_group_test.cpp, ds_external_test.cpp (external join, resync).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "component/ds/ds_error.h"
#include "component/ds/group_state.h"
#include "component/ds/service_identity.h"
#include "component/rooms/room_policy.h"

namespace conclave::component::ds {

struct DecodedCommit {
  mls::MlsMessage message;
  mls::Bytes wire;
  mls::Bytes hash;  // SHA-256 of wire
  Epoch epoch;      // the epoch the commit was made in (FramedContent.epoch)
};

// decode_commit: CM-1.
DsResult<DecodedCommit> decode_commit(std::string_view base64);

struct CommitInput {
  std::string sender;                          // bare JID of the XMPP sender
  std::uint32_t max_tree_leaves = 0;           // CM-11: the service's limit
  std::optional<std::string_view> welcome;     // base64, when sent
  std::optional<std::string_view> group_info;  // base64, when sent
};

struct CheckedCommit {
  mls::PublicGroup next;  // the view of the new epoch; replaces the room's once durable
  mls::PublicCommitReport report;
  MlsCommitRecord record;
  std::vector<MlsNodeChange> nodes;
  std::uint32_t leaf_count = 0;
  bool external = false;  // an external commit (RFC 9420 §12.4.3.2)
};

// check_commit: CM-2..CM-10 for `commit` (already at the group's epoch) against `group`.
DsResult<CheckedCommit> check_commit(const RoomGroup& group, const DecodedCommit& commit,
                                     const CommitInput& input, const RoomPolicy& policy,
                                     const ServiceIdentity& service);

}  // namespace conclave::component::ds
