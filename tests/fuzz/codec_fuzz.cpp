// libFuzzer target for the generic TLS codec (mls/codec). The input is decoded as each of a few
// wire shapes; decoding is exact (RFC 9420 §2.1: minimal varints, whole vector bodies, no trailing
// bytes), so every successful decode must re-encode to the input byte for byte, and every failed
// decode must carry a real error code.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <tuple>
#include <vector>

#include "mls/codec/bytes.h"
#include "mls/codec/codec.h"
#include "mls/codec/reader.h"
#include "mls/codec/result.h"
#include "mls/codec/writer.h"

namespace conclave::mls {
namespace {

enum class Kind : std::uint16_t {};

struct Scalars {  // struct { uint8 a; uint16 b; uint32 c; uint64 d; } Scalars;
  std::uint8_t a = 0;
  std::uint16_t b = 0;
  std::uint32_t c = 0;
  std::uint64_t d = 0;
  static constexpr auto fields() {
    return std::tuple{&Scalars::a, &Scalars::b, &Scalars::c, &Scalars::d};
  }
};

// struct { Kind kind; opaque label<V>; optional<opaque> note; uint32 numbers<V>; opaque tag[2]; }
struct Node {
  Kind kind{};
  Bytes label;
  std::optional<Bytes> note;
  std::vector<std::uint32_t> numbers;
  std::array<std::uint8_t, 2> tag{};
  static constexpr auto fields() {
    return std::tuple{&Node::kind, &Node::label, &Node::note, &Node::numbers, &Node::tag};
  }
};

// struct { Node nodes<V>; optional<Scalars> scalars; opaque nested<V><V>; } Tree;
struct Tree {
  std::vector<Node> nodes;
  std::optional<Scalars> scalars;
  std::vector<std::vector<Bytes>> nested;
  static constexpr auto fields() { return std::tuple{&Tree::nodes, &Tree::scalars, &Tree::nested}; }
};

// A selector variant in the style of MLS's select(): 1 = opaque<V>, 2 = Scalars.
struct Choice {
  std::uint8_t selector = 0;
  Bytes data;
  Scalars scalars;
};

void write(Writer& w, const Choice& c) {
  w.write_uint(c.selector);
  if (c.selector == 1) {
    write(w, c.data);
  } else {
    write(w, c.scalars);
  }
}

bool read(Reader& r, Choice& c) {
  if (!r.read_uint(c.selector)) return false;
  switch (c.selector) {
    case 1:
      return read(r, c.data);
    case 2:
      return read(r, c.scalars);
    default:
      return r.fail(Errc::invalid_value);
  }
}

template <class T>
void check_round_trip(ByteView input) {
  const Result<T> value = decode<T>(input);
  if (!value) {
    if (!value.error()) std::abort();  // a failure must never look like success
    return;
  }
  const Bytes again = encode(*value);
  if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) std::abort();
}

// A varint header that decodes must be the minimal one the writer produces for its value.
void check_varint(ByteView input) {
  Reader r(input);
  std::uint64_t n = 0;
  if (!r.read_varint(n)) {
    if (r.ok()) std::abort();
    return;
  }
  Writer w;
  w.write_varint(n);
  const ByteView consumed = input.first(input.size() - r.remaining());
  if (!std::equal(w.bytes().begin(), w.bytes().end(), consumed.begin(), consumed.end())) {
    std::abort();
  }
}

}  // namespace
}  // namespace conclave::mls

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace m = conclave::mls;
  const m::ByteView input(data, size);
  m::check_varint(input);
  m::check_round_trip<m::Bytes>(input);
  m::check_round_trip<std::vector<m::Bytes>>(input);
  m::check_round_trip<std::vector<std::optional<m::Bytes>>>(input);
  m::check_round_trip<std::optional<m::Scalars>>(input);
  m::check_round_trip<m::Node>(input);
  m::check_round_trip<m::Tree>(input);
  m::check_round_trip<std::vector<m::Tree>>(input);
  m::check_round_trip<std::vector<m::Choice>>(input);
  return 0;
}
