#pragma once
// Whether an invite's Welcome carries the ratchet tree (RFC 9420 §12.4.3.3, the ratchet_tree
// extension in the encrypted GroupInfo) or leaves it out, in which case the joiner fetches the
// tree from the service with <group-info/> (docs/protocol.md §6.6).
#include <cstddef>
#include <optional>
#include <string_view>

namespace conclave::client {

enum class WelcomeTree {
  automatic,  // in the Welcome while the encoded tree is at most kWelcomeTreeLimit bytes
  always,
  never,
};

// kWelcomeTreeLimit: the largest encoded ratchet tree (before base64) that `automatic` puts in a
// Welcome. The commit IQ carries the Welcome base64-encoded (4/3 larger) beside the commit and
// the GroupInfo, and the XMPP servers close the stream on a stanza above their c2s limit
// (256 KiB in deploy/ for Prosody and ejabberd; a 1,000-member tree alone exceeds it). 64 KiB
// (about 85 KiB of base64, rooms of a few hundred members) leaves room for the commit, whose
// UpdatePath grows with the number of blank copath nodes, and for smaller server limits.
inline constexpr std::size_t kWelcomeTreeLimit = 64 * 1024;

// tree_in_welcome: whether to put a tree of `encoded_tree_size` bytes in the Welcome.
bool tree_in_welcome(WelcomeTree mode, std::size_t encoded_tree_size);

// parse_welcome_tree reads "auto", "always" or "never"; nullopt for anything else.
std::optional<WelcomeTree> parse_welcome_tree(std::string_view text);

}  // namespace conclave::client
