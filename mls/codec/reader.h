#pragma once
// Reader: an exact, bounds-checked cursor over untrusted bytes (RFC 9420 §2.1, docs/style.md P3).
// Every read checks what remains first; a failed read records the first error and empties the
// cursor, so later reads fail too and no partial value is ever trusted.
#include <concepts>
#include <cstddef>
#include <cstdint>

#include "mls/codec/bytes.h"
#include "mls/codec/errors.h"

namespace conclave::mls {

class Reader {
 public:
  Reader() = default;
  explicit Reader(ByteView data) : rest_(data) {}

  bool empty() const { return rest_.empty(); }
  std::size_t remaining() const { return rest_.size(); }
  // error() is Errc::ok until a read failed.
  Errc error() const { return error_; }
  bool ok() const { return error_ == Errc::ok; }

  // fail records `e` (the first error wins) and returns false, for `return r.fail(...)`.
  // Errc::ok is recorded as Errc::malformed: a failed reader must never look healthy.
  bool fail(Errc e) {
    if (error_ == Errc::ok) error_ = e == Errc::ok ? Errc::malformed : e;
    rest_ = {};
    return false;
  }

  // read_raw takes the next `n` bytes as a view into the input.
  bool read_raw(std::size_t n, ByteView& out) {
    if (!ok()) return false;
    if (n > rest_.size()) return fail(Errc::malformed);
    out = rest_.first(n);
    rest_ = rest_.subspan(n);
    return true;
  }

  // read_uint reads a big-endian unsigned integer of T's width (uint8..uint64).
  template <std::unsigned_integral T>
  bool read_uint(T& out) {
    ByteView b;
    if (!read_raw(sizeof(T), b)) return false;
    T v = 0;
    for (std::uint8_t byte : b) v = static_cast<T>((v << 8) | byte);  // no shift for uint8_t's 8
    out = v;
    return true;
  }

  // read_varint reads the variable-length header of RFC 9420 §2.1.2. It fails with
  // Errc::length_too_long on the reserved 0b11 prefix and Errc::non_minimal_length when a shorter
  // encoding exists ("the encoded length MUST be minimal" is implied by the RFC's decoder check).
  bool read_varint(std::uint64_t& out);

  // read_vector reads a varint length and hands its body to `body` as a separate reader, so the
  // caller can require that the body is consumed exactly.
  bool read_vector(Reader& body) {
    std::uint64_t n = 0;
    if (!read_varint(n)) return false;
    ByteView v;
    if (!read_raw(static_cast<std::size_t>(n), v)) return false;
    body = Reader(v);
    return true;
  }

 private:
  ByteView rest_;
  Errc error_ = Errc::ok;
};

}  // namespace conclave::mls
