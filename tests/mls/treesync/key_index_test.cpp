#include "mls/treesync/key_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace conclave::mls {
namespace {

std::vector<std::uint32_t> candidates(const KeyIndex& index, std::uint64_t digest) {
  std::vector<std::uint32_t> out;
  index.candidates(digest, out);
  std::sort(out.begin(), out.end());
  return out;
}

// Digests built from a shard (low bits), a 16-bit tag (top bits) and filler in between.
std::uint64_t digest(std::uint64_t shard, std::uint64_t tag, std::uint64_t middle) {
  return (tag << 48) | (middle << 16) | shard;
}

TEST(KeyIndex, ReferencesAbove16BitsRoundTrip) {
  KeyIndex index;
  const std::uint32_t big = 0x8001'2345;  // high bit set, as for signature-key references
  index.add(digest(3, 0xabcd, 1), big);
  index.add(digest(3, 0xabcd, 1), 0xffff);
  EXPECT_EQ(candidates(index, digest(3, 0xabcd, 1)), (std::vector<std::uint32_t>{0xffff, big}));
  index.remove(digest(3, 0xabcd, 1), big);
  EXPECT_EQ(candidates(index, digest(3, 0xabcd, 1)), (std::vector<std::uint32_t>{0xffff}));
  EXPECT_EQ(index.size(), 1u);
}

TEST(KeyIndex, TagFiltersWithinAShard) {
  KeyIndex index;
  index.add(digest(5, 0x1111, 0), 1);
  index.add(digest(5, 0x2222, 0), 2);
  EXPECT_EQ(candidates(index, digest(5, 0x1111, 0)), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(candidates(index, digest(5, 0x2222, 0)), (std::vector<std::uint32_t>{2}));
  EXPECT_TRUE(candidates(index, digest(5, 0x3333, 0)).empty());
  // Only the shard and the tag are kept: a digest differing in the middle bits is a candidate
  // the caller must reject by comparing keys.
  EXPECT_EQ(candidates(index, digest(5, 0x1111, 77)), (std::vector<std::uint32_t>{1}));
  // remove with a matching tag but another reference leaves the entry.
  index.remove(digest(5, 0x1111, 0), 2);
  EXPECT_EQ(index.size(), 2u);
}

TEST(KeyIndex, ShrinkToFitKeepsEntriesAndReleasesCapacity) {
  KeyIndex index;
  for (std::uint32_t i = 0; i < 20000; ++i) {
    index.add(digest(i % KeyIndex::kShards, i & 0xffff, i), i);
  }
  const std::size_t before = index.memory_bytes();
  const KeyIndex shared = index;  // shares every shard: shrink_to_fit must leave them alone
  index.shrink_to_fit();
  EXPECT_EQ(index.memory_bytes(), before);
  EXPECT_EQ(shared.memory_bytes(), before);
  KeyIndex owned;
  for (std::uint32_t i = 0; i < 20000; ++i) {
    owned.add(digest(i % KeyIndex::kShards, i & 0xffff, i), i);
  }
  owned.shrink_to_fit();
  EXPECT_LT(owned.memory_bytes(), before);
  for (std::uint32_t i = 0; i < 20000; i += 997) {
    const auto c = candidates(owned, digest(i % KeyIndex::kShards, i & 0xffff, i));
    EXPECT_NE(std::find(c.begin(), c.end(), i), c.end()) << i;
  }
  EXPECT_EQ(owned.size(), 20000u);
}

}  // namespace
}  // namespace conclave::mls
