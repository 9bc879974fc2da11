#pragma once
// Byte strings and views used across the MLS layer (docs/style.md P8).
#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace conclave::mls {

// Owning byte string for public data. Secrets live in mls/crypto/secret.h instead.
using Bytes = std::vector<std::uint8_t>;
// Non-owning view passed at function boundaries.
using ByteView = std::span<const std::uint8_t>;

// as_bytes returns a view of the characters of `s` (labels, JIDs); valid while `s` lives.
inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// to_bytes copies `v` into an owning byte string.
inline Bytes to_bytes(ByteView v) { return Bytes(v.begin(), v.end()); }

// same: equal contents, for public data (not constant-time: never for tags or secrets).
inline bool same(ByteView a, ByteView b) { return std::ranges::equal(a, b); }

}  // namespace conclave::mls
