#pragma once
// Member identities (docs/protocol.md §2): a BasicCredential whose identity is the owner's
// normalised bare JID. Other credential types have no identity the service can check.
#include <optional>
#include <string>

#include "mls/framing/leaf_node.h"
#include "mls/treesync/public_tree.h"

namespace conclave::component::ds {

// basic_identity: the BasicCredential identity of `leaf` as text; nullopt for other credential
// types.
std::optional<std::string> basic_identity(const mls::LeafNode& leaf);
// leaf_identity: the identity of occupied leaf `l` of `tree`; nullopt when blank, outside the
// tree, or not a BasicCredential.
std::optional<std::string> leaf_identity(const mls::PublicTree& tree, mls::LeafIndex l);

}  // namespace conclave::component::ds
