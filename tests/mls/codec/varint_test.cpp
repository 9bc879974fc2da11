// RFC 9420 §2.1.2 variable-length headers: Reader::read_varint and Writer::write_varint.
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>

#include "mls/codec/bytes.h"
#include "mls/codec/reader.h"
#include "mls/codec/writer.h"

namespace conclave::mls {
namespace {

Bytes varint(std::uint64_t n) {
  Writer w;
  w.write_varint(n);
  return w.take();
}

struct Boundary {
  std::uint64_t value;
  Bytes wire;
};

class VarintBoundary : public ::testing::TestWithParam<Boundary> {};

TEST_P(VarintBoundary, EncodesMinimallyAndDecodesBack) {
  const Boundary& b = GetParam();
  EXPECT_EQ(varint(b.value), b.wire);
  Reader r(b.wire);
  std::uint64_t n = 99;
  ASSERT_TRUE(r.read_varint(n));
  EXPECT_EQ(n, b.value);
  EXPECT_TRUE(r.empty());
  EXPECT_TRUE(r.ok());
}

INSTANTIATE_TEST_SUITE_P(Boundaries, VarintBoundary,
                         ::testing::Values(Boundary{0, {0x00}}, Boundary{37, {0x25}},
                                           Boundary{63, {0x3f}}, Boundary{64, {0x40, 0x40}},
                                           Boundary{15293, {0x7b, 0xbd}},
                                           Boundary{16383, {0x7f, 0xff}},
                                           Boundary{16384, {0x80, 0x00, 0x40, 0x00}},
                                           Boundary{494878333, {0x9d, 0x7f, 0x3e, 0x7d}},
                                           Boundary{(1u << 30) - 1, {0xbf, 0xff, 0xff, 0xff}}));

TEST(Varint, TooLargeForAHeaderIsABug) {
  Writer w;
  EXPECT_THROW(w.write_varint(std::uint64_t{1} << 30), std::length_error);
}

struct BadHeader {
  Bytes wire;
  Errc error;
};

class VarintRejected : public ::testing::TestWithParam<BadHeader> {};

TEST_P(VarintRejected, FailsWithItsCode) {
  Reader r(GetParam().wire);
  std::uint64_t n = 0;
  EXPECT_FALSE(r.read_varint(n));
  EXPECT_EQ(r.error(), GetParam().error);
  EXPECT_TRUE(r.empty());  // a failed reader is emptied: nothing after it is trusted
}

INSTANTIATE_TEST_SUITE_P(Headers, VarintRejected,
                         ::testing::Values(
                             // Non-minimal: a 2-byte header for < 64, a 4-byte header for < 16384.
                             BadHeader{{0x40, 0x00}, Errc::non_minimal_length},
                             BadHeader{{0x40, 0x25}, Errc::non_minimal_length},
                             BadHeader{{0x40, 0x3f}, Errc::non_minimal_length},
                             BadHeader{{0x80, 0x00, 0x00, 0x00}, Errc::non_minimal_length},
                             BadHeader{{0x80, 0x00, 0x00, 0x3f}, Errc::non_minimal_length},
                             BadHeader{{0x80, 0x00, 0x3f, 0xff}, Errc::non_minimal_length},
                             // The reserved 0b11 prefix (the RFC's decoder: "invalid varint").
                             BadHeader{{0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
                                       Errc::length_too_long},
                             BadHeader{{0xff}, Errc::length_too_long},
                             // Truncated headers.
                             BadHeader{{}, Errc::malformed}, BadHeader{{0x40}, Errc::malformed},
                             BadHeader{{0x80, 0x00, 0x40}, Errc::malformed}));

TEST(Varint, DecodesOnlyTheHeaderBytes) {
  const Bytes wire = {0x40, 0x40, 0xaa};
  Reader r(wire);
  std::uint64_t n = 0;
  ASSERT_TRUE(r.read_varint(n));
  EXPECT_EQ(n, 64u);
  EXPECT_EQ(r.remaining(), 1u);
}

TEST(Varint, ReadVectorBoundsTheBodyByTheInput) {
  const Bytes wire = {0x05, 1, 2, 3};  // claims 5 bytes, has 3
  Reader r(wire);
  Reader body;
  EXPECT_FALSE(r.read_vector(body));
  EXPECT_EQ(r.error(), Errc::malformed);
}

TEST(Varint, EndVectorInsertsMinimalHeaderForEachSize) {
  for (const std::size_t n :
       {std::size_t{0}, std::size_t{63}, std::size_t{64}, std::size_t{16383}, std::size_t{16384}}) {
    Writer w;
    w.write_uint(std::uint8_t{0xee});  // something before the vector
    const std::size_t mark = w.begin_vector();
    w.write_raw(Bytes(n, 0x11));
    w.end_vector(mark);
    Bytes expected = {0xee};
    const Bytes header = varint(n);
    expected.insert(expected.end(), header.begin(), header.end());
    expected.insert(expected.end(), n, 0x11);
    EXPECT_EQ(w.bytes(), expected) << "n=" << n;
  }
}

}  // namespace
}  // namespace conclave::mls
