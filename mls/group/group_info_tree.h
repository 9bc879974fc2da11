#pragma once
// The ratchet tree behind a GroupInfo, checked as a joiner or the delivery service must before
// trusting it (RFC 9420 §12.4.3.1 steps shared by external joins and the public group view).
#include <cstdint>
#include <optional>

#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/group_info.h"
#include "mls/framing/ratchet_tree.h"
#include "mls/treesync/public_tree.h"

namespace conclave::mls {

// verified_group_info_tree takes the tree from the GroupInfo's ratchet_tree extension, or else
// `tree`, checks the GroupInfo signature with the signer's leaf and validates the whole tree
// against the GroupContext (§7.9-§7.11 via validate_tree, `now` for lifetimes). Errors:
// Errc::invalid_value (no tree), decode errors, Errc::invalid_sender (signer leaf missing or
// blank), Errc::bad_signature, tree validation errors. `threads` as for validate_tree (0: per
// validation_threads()).
Result<PublicTree> verified_group_info_tree(const CipherSuite& suite, const GroupInfo& gi,
                                            const std::optional<RatchetTree>& tree,
                                            std::optional<std::uint64_t> now, unsigned threads = 1);

}  // namespace conclave::mls
