#include <gtest/gtest.h>

#include "mls/crypto/cipher_suite.h"
#include "tests/mls/test_util.h"

namespace conclave::mls {
namespace {

using test::err;

class SignatureTest : public ::testing::TestWithParam<std::uint16_t> {
 protected:
  const CipherSuite& suite() const { return **CipherSuite::get(GetParam()); }
  const Bytes content_{'c', 'o', 'n', 't', 'e', 'n', 't'};
};

TEST_P(SignatureTest, SignVerifyWithLabel) {
  const KeyPair kp = suite().generate_signature_key_pair();
  const auto key = suite().signing_key(kp.private_key.view());
  ASSERT_TRUE(key);
  EXPECT_EQ(key->public_key(), kp.public_key);
  const auto sig = key->sign_with_label("LeafNodeTBS", content_);
  ASSERT_TRUE(sig);
  EXPECT_TRUE(suite().verify_with_label(kp.public_key, "LeafNodeTBS", content_, *sig));
  const auto sig2 = suite().sign_with_label(kp.private_key.view(), "LeafNodeTBS", content_);
  ASSERT_TRUE(sig2);
  EXPECT_TRUE(suite().verify_with_label(kp.public_key, "LeafNodeTBS", content_, *sig2));
}

TEST_P(SignatureTest, LabelIsBound) {
  const KeyPair kp = suite().generate_signature_key_pair();
  const auto sig = suite().sign_with_label(kp.private_key.view(), "A", content_);
  ASSERT_TRUE(sig);
  EXPECT_FALSE(suite().verify_with_label(kp.public_key, "B", content_, *sig));
  // The unlabeled message differs from SignContent.
  EXPECT_FALSE(suite().verify(kp.public_key, content_, *sig));
}

TEST_P(SignatureTest, TamperedSignatureOrContentFails) {
  const KeyPair kp = suite().generate_signature_key_pair();
  auto sig = suite().sign_with_label(kp.private_key.view(), "L", content_);
  ASSERT_TRUE(sig);
  Bytes content = content_;
  content[0] ^= 1;
  EXPECT_FALSE(suite().verify_with_label(kp.public_key, "L", content, *sig));
  Bytes bad = *sig;
  bad[bad.size() / 2] ^= 0x10;
  EXPECT_FALSE(suite().verify_with_label(kp.public_key, "L", content_, bad));
  bad = *sig;
  bad.pop_back();
  EXPECT_FALSE(suite().verify_with_label(kp.public_key, "L", content_, bad));
  EXPECT_FALSE(suite().verify_with_label(kp.public_key, "L", content_, {}));
}

TEST_P(SignatureTest, WrongKeyFails) {
  const KeyPair kp = suite().generate_signature_key_pair();
  const KeyPair other = suite().generate_signature_key_pair();
  const auto sig = suite().sign_with_label(kp.private_key.view(), "L", content_);
  ASSERT_TRUE(sig);
  EXPECT_FALSE(suite().verify_with_label(other.public_key, "L", content_, *sig));
}

TEST_P(SignatureTest, MalformedKeysRejected) {
  const KeyPair kp = suite().generate_signature_key_pair();
  const auto sig = suite().sign_with_label(kp.private_key.view(), "L", content_);
  ASSERT_TRUE(sig);
  EXPECT_FALSE(suite().verify_with_label({}, "L", content_, *sig));
  EXPECT_FALSE(suite().verify_with_label(Bytes(3, 7), "L", content_, *sig));
  const Bytes truncated(kp.public_key.begin(), kp.public_key.end() - 1);
  EXPECT_FALSE(suite().verify_with_label(truncated, "L", content_, *sig));
  EXPECT_EQ(err(suite().signing_key({})), make_error_code(Errc::invalid_key));
  EXPECT_EQ(err(suite().signing_key(Bytes(kp.private_key.size() + 1, 1))),
            make_error_code(Errc::invalid_key));
  EXPECT_EQ(err(suite().sign_with_label(Bytes(kp.private_key.size() + 2, 1), "L", content_)),
            make_error_code(Errc::invalid_key));
}

INSTANTIATE_TEST_SUITE_P(AllSuites, SignatureTest, ::testing::Range<std::uint16_t>(1, 8));

TEST(EcdsaTest, ScalarOutOfRangeAndOffCurvePointRejected) {
  for (std::uint16_t id : {2, 5, 7}) {
    const auto& cs = **CipherSuite::get(id);
    const KeyPair kp = cs.generate_signature_key_pair();
    EXPECT_EQ(err(cs.signing_key(Bytes(kp.private_key.size(), 0))),
              make_error_code(Errc::invalid_key))
        << id;
    EXPECT_EQ(err(cs.signing_key(Bytes(kp.private_key.size(), 0xff))),
              make_error_code(Errc::invalid_key))
        << id;
    const auto sig = cs.sign_with_label(kp.private_key.view(), "L", {});
    ASSERT_TRUE(sig);
    Bytes off_curve = kp.public_key;
    off_curve.back() ^= 1;
    EXPECT_FALSE(cs.verify_with_label(off_curve, "L", {}, *sig)) << id;
  }
}

// ECDSA scalars may come without leading zero bytes (message-protection.json has a 65-byte
// P-521 key): they are left-padded, giving the same key as the full-width encoding.
TEST(EcdsaTest, ShortScalarIsLeftPadded) {
  for (std::uint16_t id : {2, 5, 7}) {
    const auto& cs = **CipherSuite::get(id);
    const KeyPair kp = cs.generate_signature_key_pair();
    Bytes full = to_bytes(kp.private_key.view());
    full[0] = 0;
    full[1] = 0;
    const Bytes short_form(full.begin() + 2, full.end());
    const auto a = cs.signing_key(full);
    const auto b = cs.signing_key(short_form);
    ASSERT_TRUE(a) << id;
    ASSERT_TRUE(b) << id;
    EXPECT_EQ(a->public_key(), b->public_key()) << id;
  }
  // EdDSA keys have one fixed length.
  const auto& ed = **CipherSuite::get(1);
  EXPECT_EQ(err(ed.signing_key(Bytes(31, 1))), make_error_code(Errc::invalid_key));
}

// Ed25519 with a public key of small order (here the neutral element, encoded as y = 1): with
// R = the neutral element and S = 0, the cofactorless equation [S]B = R + [k]A holds for every
// message, so a verifier that takes such a key accepts a "signature" nobody made. The verifier
// (libsodium's, mls/crypto/signature.cpp) refuses keys and R of small order.
TEST(Ed25519Test, ASmallOrderKeyVerifiesNothing) {
  const CipherSuite& suite = **CipherSuite::get(1);
  Bytes neutral(32, 0);
  neutral[0] = 1;
  Bytes forged(64, 0);
  forged[0] = 1;  // R = neutral, S = 0
  EXPECT_FALSE(suite.verify(neutral, Bytes{'a'}, forged));
  EXPECT_FALSE(suite.verify_with_label(neutral, "LeafNodeTBS", Bytes{'b'}, forged));
  // A non-canonical S (S + L) is refused too (RFC 8032 §5.1.7).
  const KeyPair kp = suite.generate_signature_key_pair();
  auto sig = suite.sign_with_label(kp.private_key.view(), "L", Bytes{'c'});
  ASSERT_TRUE(sig);
  // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
  const std::uint8_t order[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                  0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                  0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
  Bytes bumped = *sig;
  unsigned carry = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    const unsigned v = bumped[32 + i] + order[i] + carry;
    bumped[32 + i] = static_cast<std::uint8_t>(v);
    carry = v >> 8;
  }
  EXPECT_TRUE(suite.verify_with_label(kp.public_key, "L", Bytes{'c'}, *sig));
  EXPECT_FALSE(suite.verify_with_label(kp.public_key, "L", Bytes{'c'}, bumped));
}

}  // namespace
}  // namespace conclave::mls
