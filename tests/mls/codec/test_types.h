#pragma once
// Wire shapes shared by the mls/codec tests: nested structs, vectors and optionals in the TLS
// presentation language (RFC 9420 §2.1), plus a selector variant with its own read/write.
#include <array>
#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "mls/codec/bytes.h"
#include "mls/codec/codec.h"
#include "mls/codec/reader.h"
#include "mls/codec/writer.h"

namespace conclave::mls::test {

enum class Color : std::uint16_t { red = 1, green = 2 };

struct Point {  // struct { uint16 x; uint32 y; } Point;
  std::uint16_t x = 0;
  std::uint32_t y = 0;
  static constexpr auto fields() { return std::tuple{&Point::x, &Point::y}; }
  bool operator==(const Point&) const = default;
};

// struct { Color color; opaque name<V>; optional<Point> origin; Point points<V>;
//          opaque tag[4]; uint64 stamp; } Shape;
struct Shape {
  Color color = Color::red;
  Bytes name;
  std::optional<Point> origin;
  std::vector<Point> points;
  std::array<std::uint8_t, 4> tag{};
  std::uint64_t stamp = 0;
  static constexpr auto fields() {
    return std::tuple{&Shape::color,  &Shape::name, &Shape::origin,
                      &Shape::points, &Shape::tag,  &Shape::stamp};
  }
  bool operator==(const Shape&) const = default;
};

// struct { Shape shapes<V>; opaque labels<V><V>; optional<Shape> extra; } Drawing;
struct Drawing {
  std::vector<Shape> shapes;
  std::vector<std::vector<Bytes>> labels;
  std::optional<Shape> extra;
  static constexpr auto fields() {
    return std::tuple{&Drawing::shapes, &Drawing::labels, &Drawing::extra};
  }
  bool operator==(const Drawing&) const = default;
};

// A struct with no fields consumes nothing.
struct Empty {
  static constexpr auto fields() { return std::tuple{}; }
  bool operator==(const Empty&) const = default;
};

// A custom reader that reports failure without recording an error on the Reader, as a careless
// hand-written variant might. decode() must still return a real error for it.
struct Careless {
  std::uint8_t value = 0;
};
inline void write(Writer& w, const Careless& c) { w.write_uint(c.value); }
inline bool read(Reader& r, Careless& c) {
  if (!r.read_uint(c.value)) return false;
  return c.value != 0xff;  // no r.fail(): the error is left as Errc::ok
}

// A custom reader that ignores a failed read and reports success. decode() must not trust it.
struct Sloppy {
  std::uint16_t value = 0;
};
inline void write(Writer& w, const Sloppy& s) { w.write_uint(s.value); }
inline bool read(Reader& r, Sloppy& s) {
  r.read_uint(s.value);  // result ignored on purpose
  return true;
}

Drawing sample_drawing();

}  // namespace conclave::mls::test
