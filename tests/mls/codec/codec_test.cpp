// Generic TLS codec (mls/codec/codec.h): structs, vectors, optionals, exact decoding.
#include "mls/codec/codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "mls/codec/hex.h"
#include "tests/mls/codec/test_types.h"

namespace conclave::mls::test {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

template <class T>
Errc decode_error(ByteView wire) {
  const Result<T> r = decode<T>(wire);
  if (r.has_value()) return Errc::ok;
  EXPECT_TRUE(static_cast<bool>(r.error())) << "failure carried error code 0";
  EXPECT_EQ(&r.error().category(), &mls_category());
  return static_cast<Errc>(r.error().value());
}

TEST(Codec, PointHasTheExpectedWireBytes) {
  EXPECT_EQ(encode(Point{0x0102, 0x03040506}), hex("0102"
                                                   "03040506"));
}

TEST(Codec, ShapeHasTheExpectedWireBytes) {
  Shape s;
  s.color = Color::green;
  s.name = {'a', 'b'};
  s.origin = Point{1, 2};
  s.points = {Point{3, 4}};
  s.tag = {9, 8, 7, 6};
  s.stamp = 5;
  EXPECT_EQ(encode(s), hex("0002"    // color
                           "026162"  // name<V>
                           "01"
                           "0001"
                           "00000002"  // optional<Point> present
                           "06"
                           "0003"
                           "00000004"             // Point points<V>: 6 bytes
                           "09080706"             // tag[4]
                           "0000000000000005"));  // stamp
  s.origin.reset();
  s.points.clear();
  EXPECT_EQ(encode(s), hex("0002"
                           "026162"
                           "00"
                           "00"
                           "09080706"
                           "0000000000000005"));
}

TEST(Codec, NestedStructsRoundTrip) {
  const Drawing d = sample_drawing();
  const Bytes wire = encode(d);
  const Result<Drawing> back = decode<Drawing>(wire);
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(*back, d);
  EXPECT_EQ(encode(*back), wire);
}

TEST(Codec, EmptyDrawingRoundTrips) {
  const Drawing d;
  const Bytes wire = encode(d);
  EXPECT_EQ(wire, hex("00"
                      "00"
                      "00"));
  const Result<Drawing> back = decode<Drawing>(wire);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, d);
}

TEST(Codec, VectorsOfVectorsRoundTrip) {
  const std::vector<std::vector<Bytes>> v = {{}, {Bytes{1}, Bytes{}}, {Bytes(100, 2)}};
  const Bytes wire = encode(v);
  const auto back = decode<std::vector<std::vector<Bytes>>>(wire);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, v);
}

TEST(Codec, LongVectorUsesTwoByteHeader) {
  const Bytes body(300, 0x5a);
  const Bytes wire = encode(body);
  ASSERT_EQ(wire.size(), 302u);
  EXPECT_EQ(wire[0], 0x41);  // 0b01 prefix, 300 = 0x012c
  EXPECT_EQ(wire[1], 0x2c);
  EXPECT_EQ(decode<Bytes>(wire).value(), body);
}

TEST(Codec, VeryLongVectorUsesFourByteHeader) {
  const Bytes body(16384, 0x01);
  const Bytes wire = encode(body);
  ASSERT_EQ(wire.size(), 16388u);
  EXPECT_EQ(Bytes(wire.begin(), wire.begin() + 4), hex("80004000"));
  EXPECT_EQ(decode<Bytes>(wire).value(), body);
}

TEST(Codec, TruncatedAtEveryCutFails) {
  const Bytes wire = encode(sample_drawing());
  ASSERT_GT(wire.size(), 100u);
  for (std::size_t cut = 0; cut < wire.size(); ++cut) {
    const ByteView prefix = ByteView(wire).first(cut);
    EXPECT_EQ(decode_error<Drawing>(prefix), Errc::malformed) << "cut=" << cut;
  }
}

TEST(Codec, TrailingBytesAreRejected) {
  Bytes wire = encode(sample_drawing());
  wire.push_back(0x00);
  EXPECT_EQ(decode_error<Drawing>(wire), Errc::trailing_data);
  EXPECT_EQ(decode_error<Point>(hex("0001000000020000")), Errc::trailing_data);
  EXPECT_EQ(decode_error<Bytes>(hex("0000")), Errc::trailing_data);
}

TEST(Codec, EmptyInputIsMalformedForNonEmptyTypes) {
  EXPECT_EQ(decode_error<Point>({}), Errc::malformed);
  EXPECT_EQ(decode_error<Bytes>({}), Errc::malformed);
  EXPECT_EQ(decode_error<std::optional<Point>>({}), Errc::malformed);
  EXPECT_EQ(decode_error<Drawing>({}), Errc::malformed);
}

TEST(Codec, EmptyStructDecodesFromNothingOnly) {
  EXPECT_TRUE(decode<Empty>({}).has_value());
  EXPECT_EQ(decode_error<Empty>(hex("00")), Errc::trailing_data);
}

TEST(Codec, OptionalPresenceMustBeZeroOrOne) {
  EXPECT_EQ(decode<std::optional<Point>>(hex("00")).value(), std::nullopt);
  EXPECT_EQ(decode<std::optional<Point>>(hex("01"
                                             "0001"
                                             "00000002"))
                .value(),
            (Point{1, 2}));
  for (const char* bad : {"02"
                          "0001"
                          "00000002",
                          "ff"
                          "0001"
                          "00000002",
                          "80"}) {
    EXPECT_EQ(decode_error<std::optional<Point>>(hex(bad)), Errc::malformed) << bad;
  }
  // Inside a struct too: Shape's origin is the third field.
  Bytes wire = encode(sample_drawing().shapes[0]);
  ASSERT_EQ(wire[5], 0x01);  // color(2) + name<V>(1 + 2) then the presence byte
  wire[5] = 0x02;
  EXPECT_EQ(decode_error<Shape>(wire), Errc::malformed);
}

TEST(Codec, AbsentOptionalFollowedByValueBytesIsTrailingData) {
  EXPECT_EQ(decode_error<std::optional<Point>>(hex("00"
                                                   "0001"
                                                   "00000002")),
            Errc::trailing_data);
}

TEST(Codec, ElementMustConsumeTheVectorBodyExactly) {
  // Point is 6 bytes; a body of 7 leaves a partial second element.
  EXPECT_EQ(decode_error<std::vector<Point>>(hex("07"
                                                 "0001"
                                                 "00000002"
                                                 "00")),
            Errc::malformed);
  // uint16 elements in an odd-length body.
  EXPECT_EQ(decode_error<std::vector<std::uint16_t>>(hex("03"
                                                         "0001"
                                                         "02")),
            Errc::malformed);
  // An inner opaque<V> that claims more than the outer body holds.
  EXPECT_EQ(decode_error<std::vector<Bytes>>(hex("02"
                                                 "05"
                                                 "00"
                                                 "000000")),
            Errc::malformed);
  EXPECT_EQ(decode<std::vector<std::uint16_t>>(hex("04"
                                                   "0001"
                                                   "0002"))
                .value(),
            (std::vector<std::uint16_t>{1, 2}));
}

TEST(Codec, VectorBodyLongerThanInputIsMalformed) {
  EXPECT_EQ(decode_error<Bytes>(hex("03"
                                    "0102")),
            Errc::malformed);
  EXPECT_EQ(decode_error<std::vector<Point>>(hex("40"
                                                 "40")),
            Errc::malformed);
}

TEST(Codec, NonMinimalVectorHeaderIsRejected) {
  EXPECT_EQ(decode_error<Bytes>(hex("4001"
                                    "aa")),
            Errc::non_minimal_length);
  EXPECT_EQ(decode_error<Bytes>(hex("80000001"
                                    "aa")),
            Errc::non_minimal_length);
  // Nested: the inner opaque of a vector<opaque<V>>.
  EXPECT_EQ(decode_error<std::vector<Bytes>>(hex("03"
                                                 "4001"
                                                 "aa")),
            Errc::non_minimal_length);
  // Inside a struct field.
  EXPECT_EQ(decode_error<Shape>(hex("0001"
                                    "4000")),
            Errc::non_minimal_length);
}

TEST(Codec, ReservedVectorHeaderPrefixIsRejected) {
  EXPECT_EQ(decode_error<Bytes>(hex("c000000000000001"
                                    "aa")),
            Errc::length_too_long);
  EXPECT_EQ(decode_error<std::vector<Bytes>>(hex("02"
                                                 "c0"
                                                 "00")),
            Errc::length_too_long);
}

TEST(Codec, ZeroSizedElementsCannotFillAVector) {
  // Empty consumes nothing: a non-empty body of them would loop forever or be ambiguous.
  EXPECT_EQ(decode_error<std::vector<Empty>>(hex("01"
                                                 "00")),
            Errc::malformed);
  EXPECT_TRUE(decode<std::vector<Empty>>(hex("00")).value().empty());
}

TEST(Codec, EnumsAreTheirUnderlyingIntegerAndUnknownValuesRoundTrip) {
  EXPECT_EQ(encode(Color::green), hex("0002"));
  const Result<Color> unknown = decode<Color>(hex("abcd"));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(static_cast<std::uint16_t>(*unknown), 0xabcd);
  EXPECT_EQ(encode(*unknown), hex("abcd"));
}

TEST(Codec, FixedSizeOpaqueHasNoHeader) {
  const std::array<std::uint8_t, 4> a = {1, 2, 3, 4};
  EXPECT_EQ(encode(a), hex("01020304"));
  EXPECT_EQ((decode<std::array<std::uint8_t, 4>>(hex("01020304")).value()), a);
  EXPECT_EQ((decode_error<std::array<std::uint8_t, 4>>(hex("010203"))), Errc::malformed);
}

TEST(Codec, UnsignedIntegersOfEveryWidth) {
  EXPECT_EQ(encode(std::uint8_t{0xab}), hex("ab"));
  EXPECT_EQ(encode(std::uint16_t{0xabcd}), hex("abcd"));
  EXPECT_EQ(encode(std::uint32_t{0x01020304}), hex("01020304"));
  EXPECT_EQ(encode(std::uint64_t{0x0102030405060708}), hex("0102030405060708"));
  EXPECT_EQ(decode<std::uint64_t>(hex("0102030405060708")).value(), 0x0102030405060708u);
  EXPECT_EQ(decode_error<std::uint64_t>(hex("01020304050607")), Errc::malformed);
  EXPECT_EQ(decode_error<std::uint16_t>(hex("010203")), Errc::trailing_data);
}

TEST(Codec, BoolIsOneByteZeroOrOne) {
  EXPECT_EQ(encode(true), hex("01"));
  EXPECT_EQ(encode(false), hex("00"));
  EXPECT_TRUE(decode<bool>(hex("01")).value());
  EXPECT_FALSE(decode<bool>(hex("00")).value());
  // Exact decoding: 0x02 would otherwise decode as true and re-encode as 0x01.
  EXPECT_EQ(decode_error<bool>(hex("02")), Errc::malformed);
  EXPECT_EQ(decode_error<bool>(hex("ff")), Errc::malformed);
}

TEST(Codec, CustomReaderFailureWithoutErrorStillFails) {
  EXPECT_EQ(decode<Careless>(hex("05")).value().value, 5);
  EXPECT_EQ(decode_error<Careless>(hex("ff")), Errc::malformed);
  EXPECT_EQ(decode_error<std::vector<Careless>>(hex("02"
                                                    "01"
                                                    "ff")),
            Errc::malformed);
  EXPECT_EQ(decode_error<std::optional<Careless>>(hex("01"
                                                      "ff")),
            Errc::malformed);
}

TEST(Codec, CustomReaderIgnoringAFailedReadStillFails) {
  EXPECT_EQ(decode<Sloppy>(hex("0102")).value().value, 0x0102);
  EXPECT_EQ(decode_error<Sloppy>(hex("01")), Errc::malformed);
  EXPECT_EQ(decode_error<std::vector<Sloppy>>(hex("03"
                                                  "0102"
                                                  "03")),
            Errc::malformed);
}

TEST(Codec, DecodeLeavesNoViewIntoTheInput) {
  Bytes wire = encode(sample_drawing());
  const Result<Drawing> d = decode<Drawing>(wire);
  ASSERT_TRUE(d.has_value());
  std::fill(wire.begin(), wire.end(), 0);  // decoded values own their bytes
  EXPECT_EQ(*d, sample_drawing());
}

}  // namespace
}  // namespace conclave::mls::test
