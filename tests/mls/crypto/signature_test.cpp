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

}  // namespace
}  // namespace conclave::mls
