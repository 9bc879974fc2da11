#include "mls/schedule/group_context.h"

#include <gtest/gtest.h>

#include "mls/codec/codec.h"

namespace conclave::mls {
namespace {

TEST(GroupContext, EncodesFieldsInRfcOrder) {
  const GroupContext gc{
      .cipher_suite = 3,
      .group_id = {0xAA},
      .epoch = 0x0102,
      .tree_hash = {0xBB, 0xCC},
      .confirmed_transcript_hash = {},
      .extensions = {Extension{.extension_type = 5, .extension_data = {0xDD}}},
  };
  const Bytes expected = {
      0x00, 0x01,                                      // version mls10
      0x00, 0x03,                                      // cipher_suite
      0x01, 0xAA,                                      // group_id<V>
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02,  // epoch
      0x02, 0xBB, 0xCC,                                // tree_hash<V>
      0x00,                                            // confirmed_transcript_hash<V>
      0x04, 0x00, 0x05, 0x01, 0xDD,                    // extensions<V>
  };
  EXPECT_EQ(encode(gc), expected);
  const auto back = decode<GroupContext>(expected);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, gc);
}

TEST(GroupContext, DecodeRejectsTruncatedAndTrailingBytes) {
  GroupContext gc;
  gc.cipher_suite = 1;
  gc.group_id = {1, 2, 3};
  Bytes wire = encode(gc);
  EXPECT_TRUE(decode<GroupContext>(wire));
  Bytes truncated(wire.begin(), wire.end() - 1);
  EXPECT_EQ(decode<GroupContext>(truncated).error(), Errc::malformed);
  wire.push_back(0);
  EXPECT_EQ(decode<GroupContext>(wire).error(), Errc::trailing_data);
  EXPECT_FALSE(decode<GroupContext>(Bytes{}));
}

}  // namespace
}  // namespace conclave::mls
