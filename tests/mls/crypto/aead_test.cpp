#include <gtest/gtest.h>

#include "mls/crypto/cipher_suite.h"
#include "tests/mls/test_util.h"

namespace conclave::mls {
namespace {

using test::err;

class AeadTest : public ::testing::TestWithParam<std::uint16_t> {
 protected:
  const CipherSuite& suite() const { return **CipherSuite::get(GetParam()); }
  Bytes key() const { return Bytes(suite().key_size(), 0x11); }
  Bytes nonce() const { return Bytes(suite().nonce_size(), 0x22); }
  const Bytes aad_{1, 2, 3};
  const Bytes plaintext_{'h', 'e', 'l', 'l', 'o'};
};

TEST_P(AeadTest, RoundTrip) {
  const Bytes ct = suite().seal(key(), nonce(), aad_, plaintext_);
  EXPECT_EQ(ct.size(), plaintext_.size() + 16);
  const auto pt = suite().open(key(), nonce(), aad_, ct);
  ASSERT_TRUE(pt);
  EXPECT_EQ(*pt, plaintext_);
}

TEST_P(AeadTest, EmptyPlaintextAndAad) {
  const Bytes ct = suite().seal(key(), nonce(), {}, {});
  const auto pt = suite().open(key(), nonce(), {}, ct);
  ASSERT_TRUE(pt);
  EXPECT_TRUE(pt->empty());
}

TEST_P(AeadTest, TamperedTagFails) {
  Bytes ct = suite().seal(key(), nonce(), aad_, plaintext_);
  ct.back() ^= 1;
  const auto pt = suite().open(key(), nonce(), aad_, ct);
  ASSERT_FALSE(pt);
  EXPECT_EQ(err(pt), make_error_code(Errc::decryption_failed));
}

TEST_P(AeadTest, TamperedCiphertextFails) {
  Bytes ct = suite().seal(key(), nonce(), aad_, plaintext_);
  ct.front() ^= 1;
  EXPECT_EQ(err(suite().open(key(), nonce(), aad_, ct)), make_error_code(Errc::decryption_failed));
}

TEST_P(AeadTest, TamperedAadFails) {
  const Bytes ct = suite().seal(key(), nonce(), aad_, plaintext_);
  const Bytes other_aad{1, 2, 4};
  EXPECT_EQ(err(suite().open(key(), nonce(), other_aad, ct)),
            make_error_code(Errc::decryption_failed));
}

TEST_P(AeadTest, WrongKeyFails) {
  const Bytes ct = suite().seal(key(), nonce(), aad_, plaintext_);
  Bytes other = key();
  other[0] ^= 1;
  EXPECT_EQ(err(suite().open(other, nonce(), aad_, ct)), make_error_code(Errc::decryption_failed));
}

TEST_P(AeadTest, ShortCiphertextAndBadKeySizeRejected) {
  EXPECT_EQ(err(suite().open(key(), nonce(), aad_, Bytes(15))),
            make_error_code(Errc::decryption_failed));
  EXPECT_EQ(err(suite().open(Bytes(5), nonce(), aad_, Bytes(32))),
            make_error_code(Errc::invalid_key));
}

INSTANTIATE_TEST_SUITE_P(AllSuites, AeadTest, ::testing::Range<std::uint16_t>(1, 8));

}  // namespace
}  // namespace conclave::mls
