// Reader / Writer primitives: big-endian integers, raw bytes, first-error-wins.
#include <gtest/gtest.h>

#include <cstdint>

#include "mls/codec/bytes.h"
#include "mls/codec/reader.h"
#include "mls/codec/writer.h"

namespace conclave::mls {
namespace {

TEST(Writer, IntegersAreBigEndian) {
  Writer w;
  w.write_uint(std::uint8_t{0x01});
  w.write_uint(std::uint16_t{0x0203});
  w.write_uint(std::uint32_t{0x04050607});
  w.write_uint(std::uint64_t{0x08090a0b0c0d0e0f});
  EXPECT_EQ(w.bytes(), (Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
}

TEST(Reader, IntegersAreBigEndian) {
  const Bytes wire = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  Reader r(wire);
  std::uint8_t a = 0;
  std::uint16_t b = 0;
  std::uint32_t c = 0;
  std::uint64_t d = 0;
  ASSERT_TRUE(r.read_uint(a));
  ASSERT_TRUE(r.read_uint(b));
  ASSERT_TRUE(r.read_uint(c));
  ASSERT_TRUE(r.read_uint(d));
  EXPECT_EQ(a, 0x01);
  EXPECT_EQ(b, 0x0203);
  EXPECT_EQ(c, 0x04050607u);
  EXPECT_EQ(d, 0x08090a0b0c0d0e0fu);
  EXPECT_TRUE(r.empty());
}

TEST(Reader, ExtremeIntegerValuesRoundTrip) {
  Writer w;
  w.write_uint(std::uint8_t{0xff});
  w.write_uint(std::uint16_t{0xffff});
  w.write_uint(std::uint32_t{0x80000000});
  w.write_uint(std::uint64_t{0xffffffffffffffff});
  const Bytes wire = w.take();
  ASSERT_EQ(wire.size(), 15u);
  Reader r(wire);
  std::uint8_t a = 0;
  std::uint16_t b = 0;
  std::uint32_t c = 0;
  std::uint64_t d = 0;
  ASSERT_TRUE(r.read_uint(a) && r.read_uint(b) && r.read_uint(c) && r.read_uint(d));
  EXPECT_EQ(a, 0xff);
  EXPECT_EQ(b, 0xffff);
  EXPECT_EQ(c, 0x80000000u);
  EXPECT_EQ(d, 0xffffffffffffffffu);
}

TEST(Reader, ShortIntegerFailsAndEmpties) {
  const Bytes wire = {1, 2, 3};
  Reader r(wire);
  std::uint32_t v = 7;
  EXPECT_FALSE(r.read_uint(v));
  EXPECT_EQ(v, 7u);  // untouched on failure
  EXPECT_EQ(r.error(), Errc::malformed);
  EXPECT_TRUE(r.empty());
}

TEST(Reader, FirstErrorWinsAndLaterReadsFail) {
  const Bytes wire = {0x40, 0x01, 0xaa, 0xbb};
  Reader r(wire);
  std::uint64_t n = 0;
  EXPECT_FALSE(r.read_varint(n));
  EXPECT_FALSE(r.fail(Errc::trailing_data));
  EXPECT_EQ(r.error(), Errc::non_minimal_length);
  std::uint8_t b = 0;
  EXPECT_FALSE(r.read_uint(b));
  EXPECT_EQ(r.error(), Errc::non_minimal_length);
}

TEST(Reader, FailWithOkStillRecordsAnError) {
  Reader r;
  EXPECT_FALSE(r.fail(Errc::ok));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Errc::malformed);
}

TEST(Reader, ReadRawIsAViewIntoTheInput) {
  const Bytes wire = {1, 2, 3, 4};
  Reader r(wire);
  ByteView v;
  ASSERT_TRUE(r.read_raw(3, v));
  EXPECT_EQ(v.data(), wire.data());
  EXPECT_EQ(v.size(), 3u);
  EXPECT_FALSE(r.read_raw(2, v));
  EXPECT_EQ(r.error(), Errc::malformed);
}

TEST(Reader, ZeroLengthReadOfEmptyInputSucceeds) {
  Reader r;
  ByteView v;
  EXPECT_TRUE(r.read_raw(0, v));
  EXPECT_TRUE(v.empty());
  EXPECT_TRUE(r.ok());
}

}  // namespace
}  // namespace conclave::mls
