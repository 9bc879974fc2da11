#include "mls/crypto/detail/hpke.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "mls/codec/hex.h"
#include "mls/crypto/cipher_suite.h"
#include "tests/mls/test_util.h"

namespace conclave::mls {
namespace {

using test::err;
using test::hex;

// FixedRng hands out fixed bytes, so an HPKE encapsulation can reproduce a published ikmE.
class FixedRng final : public Rng {
 public:
  explicit FixedRng(Bytes bytes) : bytes_(std::move(bytes)) {}
  void fill(std::span<std::uint8_t> out) override {
    ASSERT_LE(out.size(), bytes_.size());
    std::copy_n(bytes_.begin(), out.size(), out.begin());
  }

 private:
  Bytes bytes_;
};

// CountingRng yields 0, 1, 2, ...: deterministic but different on every draw.
class CountingRng final : public Rng {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = next_++;
  }

 private:
  std::uint8_t next_ = 0;
};

struct Rfc9180Vector {
  std::uint16_t suite;
  const char* info;
  const char* ikm_e;
  const char* pk_em;
  const char* ikm_r;
  const char* sk_rm;
  const char* pk_rm;
  const char* enc;
  const char* shared_secret;
  const char* key;
  const char* base_nonce;
  const char* pt;
  const char* aad;
  const char* ct;
};

// Values published in RFC 9180 Appendix A for the KEM/KDF/AEAD combinations of MLS suites.
const Rfc9180Vector kVectors[] = {
#include "tests/mls/crypto/rfc9180_vectors.inc"
};

class Rfc9180Test : public ::testing::TestWithParam<Rfc9180Vector> {};

TEST_P(Rfc9180Test, DeriveKeyPair) {
  const auto& v = GetParam();
  const auto& cs = **CipherSuite::get(v.suite);
  const auto recipient = cs.derive_hpke_key_pair(hex(v.ikm_r));
  ASSERT_TRUE(recipient);
  EXPECT_EQ(to_hex(recipient->private_key.view()), to_hex(hex(v.sk_rm)));
  EXPECT_EQ(to_hex(recipient->public_key), to_hex(hex(v.pk_rm)));
  const auto ephemeral = cs.derive_hpke_key_pair(hex(v.ikm_e));
  ASSERT_TRUE(ephemeral);
  EXPECT_EQ(to_hex(ephemeral->public_key), to_hex(hex(v.pk_em)));
  const auto pk = cs.hpke_public_key(hex(v.sk_rm));
  ASSERT_TRUE(pk);
  EXPECT_EQ(*pk, hex(v.pk_rm));
}

TEST_P(Rfc9180Test, EncapDecapAndKeySchedule) {
  const auto& v = GetParam();
  const auto& s = (*CipherSuite::get(v.suite))->impl();
  FixedRng rng(hex(v.ikm_e));
  const auto encapsulated = crypto_detail::encap(s, hex(v.pk_rm), rng);
  ASSERT_TRUE(encapsulated);
  EXPECT_EQ(encapsulated->enc, hex(v.enc));
  EXPECT_EQ(to_hex(encapsulated->shared_secret.view()), to_hex(hex(v.shared_secret)));

  const auto recipient = crypto_detail::load_kem_private(s, hex(v.sk_rm));
  ASSERT_TRUE(recipient);
  const auto decapsulated = crypto_detail::decap(s, hex(v.enc), *recipient);
  ASSERT_TRUE(decapsulated);
  EXPECT_EQ(to_hex(decapsulated->view()), to_hex(hex(v.shared_secret)));

  const auto keys = crypto_detail::key_schedule_base(s, hex(v.shared_secret), hex(v.info));
  EXPECT_EQ(to_hex(keys.key.view()), to_hex(hex(v.key)));
  EXPECT_EQ(to_hex(keys.base_nonce.view()), to_hex(hex(v.base_nonce)));
}

TEST_P(Rfc9180Test, SealAndOpenSequenceZero) {
  const auto& v = GetParam();
  const auto& cs = **CipherSuite::get(v.suite);
  FixedRng rng(hex(v.ikm_e));
  const auto sealed = cs.hpke_seal(hex(v.pk_rm), hex(v.info), hex(v.aad), hex(v.pt), rng);
  ASSERT_TRUE(sealed);
  EXPECT_EQ(to_hex(sealed->kem_output), to_hex(hex(v.enc)));
  EXPECT_EQ(to_hex(sealed->ciphertext), to_hex(hex(v.ct)));
  const auto opened =
      cs.hpke_open(hex(v.sk_rm), hex(v.info), hex(v.aad), HpkeCiphertext{hex(v.enc), hex(v.ct)});
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, hex(v.pt));
}

INSTANTIATE_TEST_SUITE_P(AppendixA, Rfc9180Test, ::testing::ValuesIn(kVectors));

class HpkeSuiteTest : public ::testing::TestWithParam<std::uint16_t> {
 protected:
  const CipherSuite& suite() const { return **CipherSuite::get(GetParam()); }
  CountingRng rng_;
  const Bytes info_{'i', 'n', 'f', 'o'};
  const Bytes aad_{'a', 'a', 'd'};
  const Bytes plaintext_{'s', 'e', 'c', 'r', 'e', 't'};
};

TEST_P(HpkeSuiteTest, RoundTrip) {
  const KeyPair kp = suite().generate_hpke_key_pair(rng_);
  const auto ct = suite().hpke_seal(kp.public_key, info_, aad_, plaintext_, rng_);
  ASSERT_TRUE(ct);
  const auto pt = suite().hpke_open(kp.private_key.view(), info_, aad_, *ct);
  ASSERT_TRUE(pt);
  EXPECT_EQ(*pt, plaintext_);
}

TEST_P(HpkeSuiteTest, EncryptWithLabelRoundTripAndLabelBinding) {
  const KeyPair kp = suite().generate_hpke_key_pair(rng_);
  const auto ct = suite().encrypt_with_label(kp.public_key, "Welcome", info_, plaintext_, rng_);
  ASSERT_TRUE(ct);
  const auto pt = suite().decrypt_with_label(kp.private_key.view(), "Welcome", info_, *ct);
  ASSERT_TRUE(pt);
  EXPECT_EQ(*pt, plaintext_);
  EXPECT_EQ(err(suite().decrypt_with_label(kp.private_key.view(), "Other", info_, *ct)),
            make_error_code(Errc::decryption_failed));
  EXPECT_EQ(err(suite().decrypt_with_label(kp.private_key.view(), "Welcome", aad_, *ct)),
            make_error_code(Errc::decryption_failed));
}

TEST_P(HpkeSuiteTest, TamperedCiphertextOrWrongKeyFails) {
  const KeyPair kp = suite().generate_hpke_key_pair(rng_);
  const KeyPair other = suite().generate_hpke_key_pair(rng_);
  auto ct = suite().hpke_seal(kp.public_key, info_, aad_, plaintext_, rng_);
  ASSERT_TRUE(ct);
  EXPECT_FALSE(suite().hpke_open(other.private_key.view(), info_, aad_, *ct));
  ct->ciphertext[0] ^= 1;
  EXPECT_EQ(err(suite().hpke_open(kp.private_key.view(), info_, aad_, *ct)),
            make_error_code(Errc::decryption_failed));
}

TEST_P(HpkeSuiteTest, MalformedKeysRejected) {
  const KeyPair kp = suite().generate_hpke_key_pair(rng_);
  Bytes short_pk(kp.public_key.begin(), kp.public_key.end() - 1);
  EXPECT_EQ(err(suite().hpke_seal(short_pk, info_, aad_, plaintext_, rng_)),
            make_error_code(Errc::invalid_key));
  EXPECT_EQ(err(suite().hpke_seal({}, info_, aad_, plaintext_, rng_)),
            make_error_code(Errc::invalid_key));
  EXPECT_EQ(err(suite().hpke_public_key(Bytes(3, 1))), make_error_code(Errc::invalid_key));
  auto ct = suite().hpke_seal(kp.public_key, info_, aad_, plaintext_, rng_);
  ASSERT_TRUE(ct);
  ct->kem_output.pop_back();
  EXPECT_EQ(err(suite().hpke_open(kp.private_key.view(), info_, aad_, *ct)),
            make_error_code(Errc::decryption_failed));
}

INSTANTIATE_TEST_SUITE_P(AllSuites, HpkeSuiteTest, ::testing::Range<std::uint16_t>(1, 8));

// DHKEM(P-*) public keys must be uncompressed points on the curve (RFC 9180 §7.1.1, §7.1.4).
TEST(HpkeNistTest, OffCurveAndCompressedPointsRejected) {
  for (std::uint16_t id : {2, 5, 7}) {
    const auto& cs = **CipherSuite::get(id);
    CountingRng rng;
    KeyPair kp = cs.generate_hpke_key_pair(rng);
    Bytes off_curve = kp.public_key;
    off_curve.back() ^= 1;
    EXPECT_EQ(err(cs.hpke_seal(off_curve, {}, {}, {}, rng)), make_error_code(Errc::invalid_key))
        << id;
    Bytes compressed = kp.public_key;
    compressed[0] = 0x02;
    EXPECT_EQ(err(cs.hpke_seal(compressed, {}, {}, {}, rng)), make_error_code(Errc::invalid_key))
        << id;
  }
}

// A NIST private key must be in [1, n-1].
TEST(HpkeNistTest, OutOfRangeScalarRejected) {
  const auto& p256 = **CipherSuite::get(2);
  EXPECT_EQ(err(p256.hpke_public_key(Bytes(32, 0))), make_error_code(Errc::invalid_key));
  EXPECT_EQ(err(p256.hpke_public_key(Bytes(32, 0xff))), make_error_code(Errc::invalid_key));
}

}  // namespace
}  // namespace conclave::mls
