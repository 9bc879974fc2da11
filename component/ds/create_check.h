#pragma once
// check_create: the checks on a room's first group (docs/protocol.md §5 "Create"). Pure.
//
//   CR-1  GroupInfo: base64 MLSMessage GroupInfo, decoded exactly; suite 0x0001, epoch 0
//   CR-2  ratchet tree: base64 of the ratchet_tree extension data, decoded exactly (or the
//         GroupInfo's own ratchet_tree extension when <ratchet-tree/> is absent)
//   CR-3  mls::PublicGroup::from_group_info: GroupInfo signature, whole-tree validation, tree
//         hash against the GroupContext, leaf lifetimes at `now`
//   CR-4  exactly one member, whose identity is the sender's bare JID; it signed the GroupInfo
//   CR-5  the GroupContext lists the service in external_senders; the GroupInfo has external_pub
//   CR-6  the tree is at most max_tree_leaves wide (mls.max_tree_leaves). <policy-violation/>
//   CR-7  the member's leaf names its device (application_id, BR-13). <bad-request/> +
//         <invalid-commit/>
//   CR-8  (the store, in create_group's transaction: MlsGroupRecord::members) the member's
//         device is on its account's device list (§6.13). <forbidden/> + <unknown-device/>
// Failures: <bad-request/> + <invalid-commit/> (CR-1..3, CR-5), <forbidden/> (CR-4),
// <feature-not-implemented/> for another suite.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "component/ds/ds_error.h"
#include "component/ds/group_state.h"
#include "component/ds/service_identity.h"

namespace conclave::component::ds {

struct CheckedCreate {
  RoomGroup group;
  MlsGroupRecord record;
};

DsResult<CheckedCreate> check_create(const RoomJid& room, std::string_view group_info,
                                     std::optional<std::string_view> ratchet_tree,
                                     const std::string& sender, const ServiceIdentity& service,
                                     std::uint64_t now_seconds, std::uint32_t max_tree_leaves);

}  // namespace conclave::component::ds
