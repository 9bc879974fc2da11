#pragma once
// Generic TLS presentation-language codec (RFC 9420 §2.1): integers, enums, opaque<V>,
// vectors T<V>, optional<T>, fixed-size opaque and structs that list their fields once.
//
// A wire struct names its fields in a static fields() tuple, in RFC order:
//
//   struct Example {   // struct { opaque group_id<V>; uint64 epoch; } Example;
//     Bytes group_id;
//     std::uint64_t epoch = 0;
//     static constexpr auto fields() { return std::tuple{&Example::group_id, &Example::epoch}; }
//   };
//
// Types with a selector (variants) provide their own `write(Writer&, const T&)` and
// `bool read(Reader&, T&)` in namespace conclave::mls; argument-dependent lookup finds them.
// Decoding is exact: every vector body must be consumed entirely, and decode() rejects trailing
// bytes.
#include <algorithm>
#include <array>
#include <concepts>
#include <cstdint>
#include <optional>
#include <tuple>
#include <type_traits>
#include <vector>

#include "mls/codec/bytes.h"
#include "mls/codec/reader.h"
#include "mls/codec/result.h"
#include "mls/codec/writer.h"

namespace conclave::mls {

template <class T>
concept WireStruct = requires {
  T::fields();
};

// --- integers and enums -------------------------------------------------------------------
template <std::unsigned_integral T>
void write(Writer& w, T v) {
  w.write_uint(v);
}
template <std::unsigned_integral T>
bool read(Reader& r, T& v) {
  return r.read_uint(v);
}

// Enums are written as their underlying integer. Reading accepts any value; types whose unknown
// values are invalid check them where they are used (unknown extension types must round-trip).
template <class E>
requires std::is_enum_v<E>
void write(Writer& w, E v) { w.write_uint(static_cast<std::underlying_type_t<E>>(v)); }
template <class E>
requires std::is_enum_v<E>
bool read(Reader& r, E& v) {
  std::underlying_type_t<E> u{};
  if (!r.read_uint(u)) return false;
  v = static_cast<E>(u);
  return true;
}

// bool is a std::unsigned_integral but only 0 and 1 are valid: anything else would decode as
// true and re-encode as 1, breaking exact decoding.
inline void write(Writer& w, bool v) {
  w.write_uint(std::uint8_t{v ? std::uint8_t{1} : std::uint8_t{0}});
}
inline bool read(Reader& r, bool& v) {
  std::uint8_t u = 0;
  if (!r.read_uint(u)) return false;
  if (u > 1) return r.fail(Errc::malformed);
  v = u == 1;
  return true;
}

// --- opaque data --------------------------------------------------------------------------
// opaque x<V>
inline void write(Writer& w, const Bytes& b) {
  w.write_varint(b.size());
  w.write_raw(b);
}
inline bool read(Reader& r, Bytes& b) {
  Reader body;
  if (!r.read_vector(body)) return false;
  ByteView v;
  body.read_raw(body.remaining(), v);
  b.assign(v.begin(), v.end());
  return true;
}

// opaque x[N]
template <std::size_t N>
void write(Writer& w, const std::array<std::uint8_t, N>& a) {
  w.write_raw(a);
}
template <std::size_t N>
bool read(Reader& r, std::array<std::uint8_t, N>& a) {
  ByteView v;
  if (!r.read_raw(N, v)) return false;
  std::copy(v.begin(), v.end(), a.begin());
  return true;
}

// --- composite types (declared first so they can nest in any order) ------------------------
template <class T>
void write(Writer& w, const std::vector<T>& v);
template <class T>
bool read(Reader& r, std::vector<T>& v);
template <class T>
void write(Writer& w, const std::optional<T>& v);
template <class T>
bool read(Reader& r, std::optional<T>& v);
template <WireStruct T>
void write(Writer& w, const T& v);
template <WireStruct T>
bool read(Reader& r, T& v);

// T x<V>: a varint byte length, then the elements back to back.
template <class T>
void write(Writer& w, const std::vector<T>& v) {
  const std::size_t mark = w.begin_vector();
  for (const T& e : v) write(w, e);
  w.end_vector(mark);
}
template <class T>
bool read(Reader& r, std::vector<T>& v) {
  Reader body;
  if (!r.read_vector(body)) return false;
  v.clear();
  while (!body.empty()) {
    const std::size_t before = body.remaining();
    T e{};
    // A custom read may return false without recording why, or ignore a failed read: either way
    // the body's error (Errc::malformed if none) is what the outer reader reports.
    if (!read(body, e) || !body.ok()) return r.fail(body.error());
    if (body.remaining() == before) return r.fail(Errc::malformed);  // no progress: refuse
    v.push_back(std::move(e));
  }
  return true;
}

// optional<T>: uint8 present (0 or 1, anything else is malformed), then the value.
template <class T>
void write(Writer& w, const std::optional<T>& v) {
  w.write_uint(std::uint8_t{v.has_value() ? std::uint8_t{1} : std::uint8_t{0}});
  if (v) write(w, *v);
}
template <class T>
bool read(Reader& r, std::optional<T>& v) {
  std::uint8_t present = 0;
  if (!r.read_uint(present)) return false;
  if (present == 0) {
    v.reset();
    return true;
  }
  if (present != 1) return r.fail(Errc::malformed);
  T inner{};
  if (!read(r, inner)) return false;
  v = std::move(inner);
  return true;
}

// Structs: fields in declaration order.
template <WireStruct T>
void write(Writer& w, const T& v) {
  std::apply([&](auto... member) { (write(w, v.*member), ...); }, T::fields());
}
template <WireStruct T>
bool read(Reader& r, T& v) {
  return std::apply([&](auto... member) { return (read(r, v.*member) && ...); }, T::fields());
}

// --- whole values -------------------------------------------------------------------------
// encode returns the encoding of `v`.
template <class T>
Bytes encode(const T& v) {
  Writer w;
  write(w, v);
  return w.take();
}

// decode parses exactly one `T` from `wire`: truncated input, bad values and trailing bytes
// are all errors.
template <class T>
Result<T> decode(ByteView wire) {
  Reader r(wire);
  T out{};
  if (!read(r, out) || !r.ok()) return fail(r.ok() ? Errc::malformed : r.error());
  if (!r.empty()) return fail(Errc::trailing_data);
  return out;
}

}  // namespace conclave::mls
