#pragma once
// Base64 (RFC 4648 §4) as docs/protocol.md uses it for every MLS payload: standard alphabet,
// padding required, no line breaks or other whitespace inside the value.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace conclave::component::ds {

std::string base64_encode(std::span<const std::uint8_t> data);

// base64_decode: nullopt for anything but canonical base64 (wrong alphabet, missing or extra
// padding, non-zero bits in the last group, whitespace). Leading and trailing XML whitespace
// around the whole value is tolerated: pretty-printed stanzas put it there.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace conclave::component::ds
