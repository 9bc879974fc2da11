#include "mls/crypto/commit_chain.h"

#include <gtest/gtest.h>

#include "mls/codec/hex.h"
#include "tests/mls/test_util.h"

namespace conclave::mls {
namespace {

using test::hex;

// Expected values computed independently (Python hashlib): SHA-256 over the documented inputs.
TEST(CommitChainTest, GenesisIsNhZeroBytes) {
  EXPECT_EQ(commit_chain_genesis(**CipherSuite::get(1)), Bytes(32, 0));
  EXPECT_EQ(commit_chain_genesis(**CipherSuite::get(5)), Bytes(64, 0));
}

TEST(CommitChainTest, EachStepHashesThePreviousValueThenTheCommitHash) {
  const auto& s = **CipherSuite::get(1);
  const Bytes abc{'a', 'b', 'c'}, def{'d', 'e', 'f'};
  const Bytes first = commit_chain_next(s, commit_chain_genesis(s), s.hash(abc));
  EXPECT_EQ(first, hex("589f9ffed4c477966bfb8d41f37895b08c69047df8f911d6f3b57fbe08faee8d"));
  const Bytes second = commit_chain_next(s, first, s.hash(def));
  EXPECT_EQ(second, hex("f191db04b526f1e7a178d5da326687c0b27b531fbabde4f555ca7fdd6a239964"));
  // Order matters: the same commits the other way round give another chain.
  EXPECT_NE(
      commit_chain_next(s, commit_chain_next(s, commit_chain_genesis(s), s.hash(def)), s.hash(abc)),
      second);
}

}  // namespace
}  // namespace conclave::mls
