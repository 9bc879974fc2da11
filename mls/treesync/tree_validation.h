#pragma once
// Whole-tree and LeafNode validation (RFC 9420 §7.3, §7.9.2, §12.4.3.1): what a joiner checks
// before trusting a ratchet tree, and what the delivery service checks when it first loads a
// room's tree from a client. Only public data is needed.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mls/codec/bytes.h"
#include "mls/codec/result.h"
#include "mls/framing/leaf_node.h"
#include "mls/schedule/group_context.h"
#include "mls/treesync/public_tree.h"

namespace conclave::mls {

// RFC 9420 §7.2: proposal and extension types 1..7 and 1..5 are "default": always supported,
// never listed in Capabilities.
inline constexpr std::uint16_t kLastDefaultProposalType = 7;
inline constexpr std::uint16_t kLastDefaultExtensionType = 5;
// RFC 9420 §17.3: the required_capabilities GroupContext extension.
inline constexpr std::uint16_t kRequiredCapabilitiesExtension = 3;

// struct {
//     ExtensionType extension_types<V>;
//     ProposalType proposal_types<V>;
//     CredentialType credential_types<V>;
// } RequiredCapabilities;                                              (§11.1)
struct RequiredCapabilities {
  std::vector<std::uint16_t> extension_types;
  std::vector<std::uint16_t> proposal_types;
  std::vector<std::uint16_t> credential_types;
  static constexpr auto fields() {
    return std::tuple{&RequiredCapabilities::extension_types, &RequiredCapabilities::proposal_types,
                      &RequiredCapabilities::credential_types};
  }
  bool operator==(const RequiredCapabilities&) const = default;
};

// LeafValidationContext: what the group knows when it checks a LeafNode.
struct LeafValidationContext {
  ByteView group_id;
  // The group's GroupContext extensions; a required_capabilities entry among them is enforced.
  std::span<const Extension> group_extensions;
  // Seconds since the epoch. When set, key_package leaves must have not_before <= now <=
  // not_after (§7.3 recommends it for received leaves; senders must check it).
  std::optional<std::uint64_t> now;
};

// validate_leaf_node checks one LeafNode by itself (§7.3): its signature (with group_id and
// `index` as context for update/commit sources), that its credential type and non-default
// extensions are listed in its own capabilities, that it supports every required capability,
// and its lifetime when `ctx.now` is set. Errc::bad_signature for a bad signature,
// Errc::invalid_value for the other failures, Errc::malformed for a bad required_capabilities
// extension. Checks against the other members (uniqueness, credential support) are
// validate_tree's or the caller's.
Status validate_leaf_node(const CipherSuite& suite, const LeafNode& leaf, LeafIndex index,
                          const LeafValidationContext& ctx);

// Whole-tree checks take `threads`: how many threads do the per-node work, the caller's
// included (parallel_for.h); 1 does everything on the caller's thread. The outcome, including
// which error is reported when several checks fail, is the same for every thread count. While
// such a check runs, nothing else may use the tree (its hash cache is filled first).
//
// validation_threads resolves a requested count: any non-zero value as is; 0 means one thread
// per core (std::thread::hardware_concurrency) for a tree of at least kParallelValidationLeaves
// leaves, and 1 below that, where starting threads costs more than the checks.
inline constexpr std::uint32_t kParallelValidationLeaves = 64;
unsigned validation_threads(unsigned requested, LeafCount leaves);

// verify_parent_hashes checks that every non-blank parent node is parent-hash valid (§7.9.2),
// top down: exactly one descendant D of each non-blank parent P carries a parent_hash that is
// valid with respect to P. Errc::parent_hash_mismatch otherwise.
Status verify_parent_hashes(const PublicTree& tree, unsigned threads = 1);

// verify_unmerged_leaves checks the unmerged_leaves lists (§7.1, §12.4.3.1): sorted, each entry
// a non-blank leaf under the parent, and every non-blank node between the leaf and the parent
// listing it too. Errc::invalid_tree otherwise.
Status verify_unmerged_leaves(const PublicTree& tree);

// verify_unique_keys checks that no encryption key appears twice in the tree and no signature
// key twice among the leaves (§7.3, §12.4.3.1). Errc::invalid_tree otherwise.
Status verify_unique_keys(const PublicTree& tree);

// validate_tree runs all of a joiner's checks on a tree (§12.4.3.1) except comparing the root
// tree hash with GroupInfo's, which the caller does when it has an expected value
// (`expected_tree_hash`, Errc::tree_hash_mismatch): parent hashes, unmerged leaves, unique keys,
// every leaf's validate_leaf_node(), and that every leaf's credential type is supported by every
// member. When several fail, the first in that order is reported (the first leaf in index order
// among the leaves), whatever `threads` is.
Status validate_tree(const PublicTree& tree, const LeafValidationContext& ctx,
                     std::optional<ByteView> expected_tree_hash = std::nullopt,
                     unsigned threads = 1);

}  // namespace conclave::mls
