#include <gtest/gtest.h>

#include "mls/codec/hex.h"
#include "mls/crypto/cipher_suite.h"
#include "tests/mls/test_util.h"

namespace conclave::mls {
namespace {

using test::err;
using test::hex;

TEST(CipherSuiteTest, UnknownSuiteRejected) {
  EXPECT_EQ(err(CipherSuite::get(0)), make_error_code(Errc::unsupported_cipher_suite));
  EXPECT_EQ(err(CipherSuite::get(8)), make_error_code(Errc::unsupported_cipher_suite));
}

TEST(CipherSuiteTest, Sizes) {
  const auto& s1 = **CipherSuite::get(1);
  EXPECT_EQ(s1.hash_size(), 32u);
  EXPECT_EQ(s1.key_size(), 16u);
  EXPECT_EQ(s1.nonce_size(), 12u);
  EXPECT_EQ((*CipherSuite::get(7))->hash_size(), 48u);
  EXPECT_EQ((*CipherSuite::get(5))->hash_size(), 64u);
}

// RFC 5869 Appendix A.1 (HKDF-SHA256, test case 1).
TEST(KdfTest, Rfc5869Case1) {
  const auto& s = **CipherSuite::get(1);
  const Bytes ikm(22, 0x0b);
  const Bytes salt = hex("000102030405060708090a0b0c");
  const Bytes info = hex("f0f1f2f3f4f5f6f7f8f9");
  const Secret prk = s.extract(salt, ikm);
  EXPECT_EQ(to_hex(prk.view()), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  const Secret okm = s.expand(prk.view(), info, 42);
  EXPECT_EQ(to_hex(okm.view()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

// RFC 5869 Appendix A.3: zero-length salt and info.
TEST(KdfTest, Rfc5869Case3EmptySalt) {
  const auto& s = **CipherSuite::get(1);
  const Secret prk = s.extract({}, Bytes(22, 0x0b));
  EXPECT_EQ(to_hex(prk.view()), "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
  EXPECT_EQ(to_hex(s.expand(prk.view(), {}, 42).view()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(KdfTest, ExpandRejectsOverlongOutput) {
  const auto& s = **CipherSuite::get(1);
  EXPECT_THROW(s.expand(Bytes(32), {}, 255 * 32 + 1), std::length_error);
}

TEST(KdfTest, DeriveSecretIsExpandWithLabelOfHashSize) {
  for (std::uint16_t id = 1; id <= 7; ++id) {
    const auto& s = **CipherSuite::get(id);
    const Bytes secret(s.hash_size(), 7);
    const Secret a = s.derive_secret(secret, "test");
    const Secret b = s.expand_with_label(secret, "test", {}, s.hash_size());
    EXPECT_TRUE(ct_equal(a.view(), b.view()));
    EXPECT_EQ(a.size(), s.hash_size());
  }
}

TEST(KdfTest, HmacRfc4231Case2) {
  const auto& s = **CipherSuite::get(1);
  const std::string_view key = "Jefe";
  const std::string_view data = "what do ya want for nothing?";
  EXPECT_EQ(to_hex(s.mac(as_bytes(key), as_bytes(data))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HashTest, Sha256Abc) {
  const auto& s = **CipherSuite::get(1);
  EXPECT_EQ(to_hex(s.hash(as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace conclave::mls
