#pragma once
// Member identities (docs/protocol.md §6.1): a BasicCredential whose identity is the owner's
// normalised bare JID. Other credential types have no identity the service can check.
// Devices (docs/protocol.md §6.1, BR-13): each leaf names its device in an application_id
// LeafNode extension (RFC 9420 §5.3.3), 1..64 characters of [A-Za-z0-9._-], unique among the
// leaves of one identity in a group.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mls/framing/leaf_node.h"
#include "mls/treesync/public_tree.h"

namespace conclave::component::ds {

// basic_identity: the BasicCredential identity of `leaf` as text; nullopt for other credential
// types.
std::optional<std::string> basic_identity(const mls::LeafNode& leaf);
// is_device_id: whether `id` is a well-formed device id (1..64 of [A-Za-z0-9._-]).
bool is_device_id(std::string_view id);
// leaf_device: the device id of `leaf` (its application_id extension); nullopt when there is
// none or it is malformed.
std::optional<std::string> leaf_device(const mls::LeafNode& leaf);
// leaf_device_at: the same for occupied leaf `l` of `tree`.
std::optional<std::string> leaf_device_at(const mls::PublicTree& tree, mls::LeafIndex l);
// device_clash: BR-13 for the leaves `changed` of `tree` (added or rewritten by a commit, or
// every leaf at creation): a description of the first one without a well-formed device id or
// whose (identity, device) another leaf holds too; nullopt when all are fine.
std::optional<std::string> device_clash(const mls::PublicTree& tree,
                                        const std::vector<mls::LeafIndex>& changed);

// leaf_identity: the identity of occupied leaf `l` of `tree`; nullopt when blank, outside the
// tree, or not a BasicCredential.
std::optional<std::string> leaf_identity(const mls::PublicTree& tree, mls::LeafIndex l);

}  // namespace conclave::component::ds
