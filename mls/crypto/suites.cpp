// The table of RFC 9420 §17.1 cipher suites and their one-time OpenSSL algorithm fetches.
#include <openssl/obj_mac.h>

#include <array>
#include <stdexcept>

#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/detail/suite_impl.h"

namespace conclave::mls {
namespace {

struct SuiteSpec {
  CipherSuiteId id;
  const char* digest;
  std::size_t nh;
  const char* cipher;
  std::size_t nk;
  SignatureScheme sig;
  int sig_nid;  // ECDSA curve, NID_undef for EdDSA
  std::size_t sig_private_size;
  KemCurve kem;
  int kem_nid;  // DHKEM(P-*) curve, NID_undef for X25519/X448
  std::size_t n_secret, n_sk, n_pk;
  std::uint8_t sk_bitmask;
  std::uint16_t kem_id, kdf_id, aead_id;  // RFC 9180 §7
};

// RFC 9420 §17.1 with the RFC 9180 §7 identifiers of each suite's KEM, KDF and AEAD.
constexpr std::array<SuiteSpec, 7> kSpecs{{
    {CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519, "SHA256", 32, "AES-128-GCM", 16,
     SignatureScheme::ed25519, NID_undef, 32, KemCurve::x25519, NID_undef, 32, 32, 32, 0xff, 0x0020,
     0x0001, 0x0001},
    {CipherSuiteId::mls_128_dhkemp256_aes128gcm_sha256_p256, "SHA256", 32, "AES-128-GCM", 16,
     SignatureScheme::ecdsa, NID_X9_62_prime256v1, 32, KemCurve::nist, NID_X9_62_prime256v1, 32, 32,
     65, 0xff, 0x0010, 0x0001, 0x0001},
    {CipherSuiteId::mls_128_dhkemx25519_chacha20poly1305_sha256_ed25519, "SHA256", 32,
     "ChaCha20-Poly1305", 32, SignatureScheme::ed25519, NID_undef, 32, KemCurve::x25519, NID_undef,
     32, 32, 32, 0xff, 0x0020, 0x0001, 0x0003},
    {CipherSuiteId::mls_256_dhkemx448_aes256gcm_sha512_ed448, "SHA512", 64, "AES-256-GCM", 32,
     SignatureScheme::ed448, NID_undef, 57, KemCurve::x448, NID_undef, 64, 56, 56, 0xff, 0x0021,
     0x0003, 0x0002},
    {CipherSuiteId::mls_256_dhkemp521_aes256gcm_sha512_p521, "SHA512", 64, "AES-256-GCM", 32,
     SignatureScheme::ecdsa, NID_secp521r1, 66, KemCurve::nist, NID_secp521r1, 64, 66, 133, 0x01,
     0x0012, 0x0003, 0x0002},
    {CipherSuiteId::mls_256_dhkemx448_chacha20poly1305_sha512_ed448, "SHA512", 64,
     "ChaCha20-Poly1305", 32, SignatureScheme::ed448, NID_undef, 57, KemCurve::x448, NID_undef, 64,
     56, 56, 0xff, 0x0021, 0x0003, 0x0003},
    {CipherSuiteId::mls_256_dhkemp384_aes256gcm_sha384_p384, "SHA384", 48, "AES-256-GCM", 32,
     SignatureScheme::ecdsa, NID_secp384r1, 48, KemCurve::nist, NID_secp384r1, 48, 48, 97, 0xff,
     0x0011, 0x0002, 0x0002},
}};

const char* curve_name(int nid) {
  switch (nid) {
    case NID_X9_62_prime256v1:
      return "P-256";
    case NID_secp384r1:
      return "P-384";
    case NID_secp521r1:
      return "P-521";
    default:
      return nullptr;
  }
}

const char* ed_key_type(SignatureScheme s) {
  switch (s) {
    case SignatureScheme::ed25519:
      return "ED25519";
    case SignatureScheme::ed448:
      return "ED448";
    case SignatureScheme::ecdsa:
      return "EC";
  }
  return nullptr;
}

const char* kem_key_type(KemCurve k) {
  switch (k) {
    case KemCurve::x25519:
      return "X25519";
    case KemCurve::x448:
      return "X448";
    case KemCurve::nist:
      return "EC";
  }
  return nullptr;
}

ossl::UniquePtr<EC_GROUP> make_group(int nid) {
  if (nid == NID_undef) return nullptr;
  ossl::UniquePtr<EC_GROUP> g(EC_GROUP_new_by_curve_name_ex(nullptr, nullptr, nid));
  if (!g) ossl::fatal("EC_GROUP_new_by_curve_name_ex failed");
  return g;
}

void put_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

void build(const SuiteSpec& spec, CipherSuite::Impl& s) {
  s.id = spec.id;
  s.nh = spec.nh;
  s.nk = spec.nk;
  s.nn = 12;  // every MLS AEAD uses 96-bit nonces
  s.md.reset(EVP_MD_fetch(nullptr, spec.digest, nullptr));
  s.aead.reset(EVP_CIPHER_fetch(nullptr, spec.cipher, nullptr));
  ossl::UniquePtr<EVP_MAC> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!s.md || !s.aead || !mac) ossl::fatal("OpenSSL lacks an algorithm of an MLS suite");
  s.hmac_template.reset(EVP_MAC_CTX_new(mac.get()));
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(spec.digest), 0),
      OSSL_PARAM_construct_end()};
  if (!s.hmac_template || EVP_MAC_CTX_set_params(s.hmac_template.get(), params) != 1) {
    ossl::fatal("HMAC setup failed");
  }

  s.sig = spec.sig;
  s.sig_key_type = ed_key_type(spec.sig);
  s.ec_group_name = curve_name(spec.sig_nid);
  s.sig_private_size = spec.sig_private_size;
  s.sig_group = make_group(spec.sig_nid);

  s.kem = spec.kem;
  s.kem_key_type = kem_key_type(spec.kem);
  s.kem_group_name = curve_name(spec.kem_nid);
  s.kem_group = make_group(spec.kem_nid);
  s.n_secret = spec.n_secret;
  s.n_sk = spec.n_sk;
  s.n_pk = spec.n_pk;
  s.sk_bitmask = spec.sk_bitmask;

  // RFC 9180 §4.1 and §5.1: suite_id strings.
  s.kem_suite_id = {'K', 'E', 'M', 0, 0};
  put_u16(&s.kem_suite_id[3], spec.kem_id);
  s.hpke_suite_id = {'H', 'P', 'K', 'E', 0, 0, 0, 0, 0, 0};
  put_u16(&s.hpke_suite_id[4], spec.kem_id);
  put_u16(&s.hpke_suite_id[6], spec.kdf_id);
  put_u16(&s.hpke_suite_id[8], spec.aead_id);
  // Base mode has no PSK, so psk_id_hash is a per-suite constant (RFC 9180 §5.1).
  crypto_detail::labeled_extract(s, s.hpke_suite_id, {}, "psk_id_hash", {}, s.psk_id_hash.data());
}

struct Table {
  std::array<CipherSuite::Impl, 7> impls;
  Table() {
    for (std::size_t i = 0; i < kSpecs.size(); ++i) build(kSpecs[i], impls[i]);
  }
};

}  // namespace

Result<const CipherSuite*> CipherSuite::get(std::uint16_t id) {
  if (id < 1 || id > kSpecs.size()) return fail(Errc::unsupported_cipher_suite);
  static const Table table;
  static const std::array<CipherSuite, 7> suites{
      CipherSuite(kSpecs[0].id, &table.impls[0]), CipherSuite(kSpecs[1].id, &table.impls[1]),
      CipherSuite(kSpecs[2].id, &table.impls[2]), CipherSuite(kSpecs[3].id, &table.impls[3]),
      CipherSuite(kSpecs[4].id, &table.impls[4]), CipherSuite(kSpecs[5].id, &table.impls[5]),
      CipherSuite(kSpecs[6].id, &table.impls[6])};
  return &suites[id - 1];
}

std::size_t CipherSuite::hash_size() const { return impl_->nh; }
std::size_t CipherSuite::key_size() const { return impl_->nk; }
std::size_t CipherSuite::nonce_size() const { return impl_->nn; }

}  // namespace conclave::mls
