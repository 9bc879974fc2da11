#pragma once
// Base64 (RFC 4648 §4: standard alphabet, padding required, no line breaks): the text form of
// every MLS payload in urn:xmpp:mls:0 (docs/protocol.md §4), used by the delivery service and
// the reference client alike so both sides apply one rule. It is in base/ because it is a byte
// encoding, neither MLS nor XMPP.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace conclave {

// base64_encode returns the padded encoding of `data`.
std::string base64_encode(std::span<const std::uint8_t> data);

// base64url_encode_unpadded: `data` in the URL- and filename-safe alphabet (RFC 4648 §5: '-' and
// '_' for '+' and '/') without padding (§3.2): tokens that travel in XML attributes and
// resource names (XEP-0421 occupant ids, salts, ids). Nothing here decodes them; they are
// compared as opaque text.
std::string base64url_encode_unpadded(std::span<const std::uint8_t> data);

// base64_decode: nullopt for anything but canonical base64 (a character outside the alphabet,
// whitespace inside the value, missing or extra padding, non-zero bits under the padding: RFC
// 4648 §3.5, so one value has one text). XML whitespace (space, tab, CR, LF) around the whole
// value is ignored, since pretty-printed stanzas put it there.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace conclave
