#include "mls/schedule/psk.h"

#include <gtest/gtest.h>

#include <vector>

#include "mls/codec/codec.h"
#include "tests/mls/test_util.h"

namespace conclave::mls {
namespace {

using test::suite;

PreSharedKeyID external_id(std::uint8_t tag) {
  return PreSharedKeyID{.id = ExternalPskId{.psk_id = {tag, tag}},
                        .psk_nonce = Bytes(suite().hash_size(), tag)};
}

TEST(PreSharedKeyID, ExternalRoundTrips) {
  const PreSharedKeyID id{.id = ExternalPskId{.psk_id = {1, 2}}, .psk_nonce = {9}};
  const Bytes wire = encode(id);
  EXPECT_EQ(wire, (Bytes{0x01, 0x02, 0x01, 0x02, 0x01, 0x09}));
  const auto back = decode<PreSharedKeyID>(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, id);
  EXPECT_EQ(back->type(), PskType::external);
}

TEST(PreSharedKeyID, ResumptionRoundTrips) {
  const PreSharedKeyID id{
      .id =
          ResumptionPskId{
              .usage = ResumptionPskUsage::branch, .psk_group_id = {7}, .psk_epoch = 0x0A},
      .psk_nonce = {},
  };
  const Bytes wire = encode(id);
  EXPECT_EQ(wire, (Bytes{0x02, 0x03, 0x01, 0x07, 0, 0, 0, 0, 0, 0, 0, 0x0A, 0x00}));
  const auto back = decode<PreSharedKeyID>(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, id);
  EXPECT_EQ(back->type(), PskType::resumption);
}

TEST(PreSharedKeyID, RejectsReservedAndUnknownPskType) {
  EXPECT_EQ(decode<PreSharedKeyID>(Bytes{0x00, 0x00, 0x00}).error(), Errc::invalid_value);
  EXPECT_EQ(decode<PreSharedKeyID>(Bytes{0x03, 0x00, 0x00}).error(), Errc::invalid_value);
  EXPECT_EQ(decode<PreSharedKeyID>(Bytes{0xFF, 0x00, 0x00}).error(), Errc::invalid_value);
}

TEST(PreSharedKeyID, RejectsReservedAndUnknownUsage) {
  const Bytes reserved{0x02, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00};
  const Bytes unknown{0x02, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00};
  const Bytes good{0x02, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00};
  EXPECT_EQ(decode<PreSharedKeyID>(reserved).error(), Errc::invalid_value);
  EXPECT_EQ(decode<PreSharedKeyID>(unknown).error(), Errc::invalid_value);
  EXPECT_TRUE(decode<PreSharedKeyID>(good));
}

TEST(PreSharedKeyID, RejectsTruncatedAndTrailingBytes) {
  EXPECT_EQ(decode<PreSharedKeyID>(Bytes{}).error(), Errc::malformed);
  EXPECT_EQ(decode<PreSharedKeyID>(Bytes{0x01, 0x02, 0x01}).error(), Errc::malformed);
  EXPECT_EQ(decode<PreSharedKeyID>(Bytes{0x01, 0x00, 0x00, 0x00}).error(), Errc::trailing_data);
}

TEST(PreSharedKeyID, VectorOfIdsRoundTrips) {
  const std::vector<PreSharedKeyID> ids{external_id(1), external_id(2)};
  const auto back = decode<std::vector<PreSharedKeyID>>(encode(ids));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, ids);
}

TEST(PskSecret, NoPsksGiveTheZeroVector) {
  const auto s = derive_psk_secret(suite(), {}, {});
  ASSERT_TRUE(s);
  EXPECT_EQ(to_bytes(s->view()), Bytes(suite().hash_size(), 0));
}

TEST(PskSecret, OrderAndCountMatter) {
  const std::vector<PreSharedKeyID> ab{external_id(1), external_id(2)};
  const std::vector<PreSharedKeyID> ba{external_id(2), external_id(1)};
  const Bytes k1(32, 0x11), k2(32, 0x22);
  const std::vector<ByteView> vab{k1, k2}, vba{k2, k1};
  const auto s_ab = derive_psk_secret(suite(), ab, vab);
  const auto s_ba = derive_psk_secret(suite(), ba, vba);
  const auto s_a = derive_psk_secret(suite(), std::span(ab).first(1), std::span(vab).first(1));
  ASSERT_TRUE(s_ab && s_ba && s_a);
  EXPECT_NE(to_bytes(s_ab->view()), to_bytes(s_ba->view()));
  EXPECT_NE(to_bytes(s_ab->view()), to_bytes(s_a->view()));
}

TEST(PskSecret, RejectsMismatchedInputsAndShortNonces) {
  const std::vector<PreSharedKeyID> one{external_id(1)};
  const Bytes k(32, 0x11);
  const std::vector<ByteView> none, two{k, k};
  EXPECT_EQ(derive_psk_secret(suite(), one, none).error(), Errc::invalid_value);
  EXPECT_EQ(derive_psk_secret(suite(), one, two).error(), Errc::invalid_value);
  std::vector<PreSharedKeyID> short_nonce{external_id(1)};
  short_nonce[0].psk_nonce.pop_back();  // §12.1.4: psk_nonce must be Nh bytes
  const std::vector<ByteView> v{k};
  EXPECT_EQ(derive_psk_secret(suite(), short_nonce, v).error(), Errc::invalid_value);
  EXPECT_TRUE(derive_psk_secret(suite(), one, v));
}

TEST(PskSecret, RejectsMoreThanAUint16CountOfPsks) {
  const std::vector<PreSharedKeyID> ids(65536);
  const std::vector<ByteView> values(65536);
  EXPECT_EQ(derive_psk_secret(suite(), ids, values).error(), Errc::limit_exceeded);
}

}  // namespace
}  // namespace conclave::mls
