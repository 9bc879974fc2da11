// RFC 9420 §2.1.2 variable-length integer headers for vectors.
#include <array>
#include <stdexcept>

#include "mls/codec/reader.h"
#include "mls/codec/writer.h"

namespace conclave::mls {

bool Reader::read_varint(std::uint64_t& out) {
  std::uint8_t first = 0;
  if (!read_uint(first)) return false;
  const unsigned prefix = first >> 6;
  if (prefix == 3) return fail(Errc::length_too_long);
  const std::size_t extra = (std::size_t{1} << prefix) - 1;  // 0, 1 or 3 more bytes
  std::uint64_t v = first & 0x3f;
  ByteView rest;
  if (!read_raw(extra, rest)) return false;
  for (std::uint8_t b : rest) v = (v << 8) | b;
  // Minimality: a 2-byte header must carry >= 64, a 4-byte one >= 16384.
  if ((prefix == 1 && v < 0x40) || (prefix == 2 && v < 0x4000)) {
    return fail(Errc::non_minimal_length);
  }
  out = v;
  return true;
}

namespace {

std::size_t varint_size(std::uint64_t n) {
  if (n < 0x40) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x40000000) return 4;
  throw std::length_error("MLS vector longer than 2^30 - 1 bytes");
}

// Encodes `n` into `buf` and returns the header length.
std::size_t encode_varint(std::uint64_t n, std::array<std::uint8_t, 4>& buf) {
  const std::size_t len = varint_size(n);
  const std::uint64_t prefix = len == 1 ? 0 : len == 2 ? 1 : 2;
  const std::uint64_t v = n | (prefix << (8 * len - 2));
  for (std::size_t i = 0; i < len; ++i) {
    buf[i] = static_cast<std::uint8_t>(v >> (8 * (len - 1 - i)));
  }
  return len;
}

}  // namespace

void Writer::write_varint(std::uint64_t n) {
  std::array<std::uint8_t, 4> buf{};
  const std::size_t len = encode_varint(n, buf);
  out_.insert(out_.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len));
}

void Writer::end_vector(std::size_t mark) {
  std::array<std::uint8_t, 4> buf{};
  const std::size_t len = encode_varint(out_.size() - mark, buf);
  out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(mark), buf.begin(),
              buf.begin() + static_cast<std::ptrdiff_t>(len));
}

}  // namespace conclave::mls
