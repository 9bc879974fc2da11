#pragma once
// Writer: appends the TLS presentation-language encoding of values (RFC 9420 §2.1).
#include <concepts>
#include <cstddef>
#include <cstdint>

#include "mls/codec/bytes.h"

namespace conclave::mls {

class Writer {
 public:
  Writer() = default;
  // Writer(reserve) pre-sizes the buffer when the encoded size is known.
  explicit Writer(std::size_t reserve) { out_.reserve(reserve); }

  void write_raw(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }

  template <std::unsigned_integral T>
  void write_uint(T v) {
    for (std::size_t i = sizeof(T); i-- > 0;) {
      out_.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * i)));
    }
  }

  // write_varint appends the minimal RFC 9420 §2.1.2 header for `n` (< 2^30; larger is a bug).
  void write_varint(std::uint64_t n);

  // begin_vector / end_vector wrap a vector body: write the body between them and the minimal
  // length header is inserted in front of it.
  std::size_t begin_vector() const { return out_.size(); }
  void end_vector(std::size_t mark);

  std::size_t size() const { return out_.size(); }
  const Bytes& bytes() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

}  // namespace conclave::mls
