#pragma once
// ct_equal: whether `a` and `b` hold the same bytes, in time that depends only on their lengths
// (docs/style.md P11): for tags, MACs and secrets such as room passwords. The lengths are
// treated as public; the contents are compared with CRYPTO_memcmp, which reads every byte
// whatever it finds (no early exit).
#include <cstdint>
#include <span>
#include <string_view>

namespace conclave {

bool ct_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

// The same on the bytes of two strings (a room password and the one a client sent).
inline bool ct_equal(std::string_view a, std::string_view b) noexcept {
  const auto bytes = [](std::string_view s) {
    return std::span{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
  };
  return ct_equal(bytes(a), bytes(b));
}

}  // namespace conclave
