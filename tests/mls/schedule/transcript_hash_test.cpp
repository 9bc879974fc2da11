#include "mls/schedule/transcript_hash.h"

#include <gtest/gtest.h>

#include "tests/mls/test_util.h"

namespace conclave::mls {
namespace {

using test::suite;

TEST(TranscriptHash, HashesTheConcatenationInRfcOrder) {
  const Bytes interim_before{1, 2};
  const Bytes confirmed_input{3, 4, 5};
  const Bytes confirmed = confirmed_transcript_hash(suite(), interim_before, confirmed_input);
  EXPECT_EQ(confirmed, suite().hash(Bytes{1, 2, 3, 4, 5}));
  const Bytes tag_input{6};
  Bytes joined = confirmed;
  joined.push_back(6);
  EXPECT_EQ(interim_transcript_hash(suite(), confirmed, tag_input), suite().hash(joined));
}

TEST(TranscriptHash, EpochZeroStartsFromTheEmptyString) {
  const Bytes input{9, 9};
  EXPECT_EQ(confirmed_transcript_hash(suite(), {}, input), suite().hash(input));
}

}  // namespace
}  // namespace conclave::mls
