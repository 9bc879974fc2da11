#pragma once
// Private to mls/crypto: the per-suite algorithm table behind CipherSuite (RFC 9420 §17.1,
// RFC 9180 §7). Built once per suite; every OpenSSL algorithm is fetched here, once, so no
// operation pays a name lookup.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/detail/openssl_ptr.h"

namespace conclave::mls {

enum class SignatureScheme { ed25519, ed448, ecdsa };
enum class KemCurve { x25519, x448, nist };

struct CipherSuite::Impl {
  CipherSuiteId id{};
  std::size_t nh = 0;  // KDF.Nh
  std::size_t nk = 0;  // AEAD.Nk
  std::size_t nn = 0;  // AEAD.Nn

  ossl::UniquePtr<EVP_MD> md;
  // HMAC context with the digest set and no key: duplicated per MAC so no fetch happens and no
  // keyed state outlives its call.
  ossl::UniquePtr<EVP_MAC_CTX> hmac_template;
  ossl::UniquePtr<EVP_CIPHER> aead;

  // Signature algorithm (RFC 9420 §5.1.2).
  SignatureScheme sig = SignatureScheme::ed25519;
  const char* sig_key_type = nullptr;   // "ED25519", "ED448", "EC"
  const char* ec_group_name = nullptr;  // signature curve for ECDSA
  std::size_t sig_private_size = 0;

  // DHKEM (RFC 9180 §4.1, §7.1). In every MLS suite the KEM's KDF is the suite's KDF.
  KemCurve kem = KemCurve::x25519;
  const char* kem_key_type = nullptr;            // "X25519", "X448", "EC"
  const char* kem_group_name = nullptr;          // NIST curve name for DHKEM(P-*)
  std::size_t n_secret = 0;                      // Nsecret
  std::size_t n_sk = 0;                          // Nsk
  std::size_t n_pk = 0;                          // Npk
  std::uint8_t sk_bitmask = 0xff;                // RFC 9180 §7.1.3
  ossl::UniquePtr<EC_GROUP> kem_group;           // nist only
  ossl::UniquePtr<EC_GROUP> sig_group;           // ecdsa only
  std::array<std::uint8_t, 5> kem_suite_id{};    // "KEM" || kem_id
  std::array<std::uint8_t, 10> hpke_suite_id{};  // "HPKE" || kem_id || kdf_id || aead_id
  std::array<std::uint8_t, 64> psk_id_hash{};    // LabeledExtract("", "psk_id_hash", "")
};

namespace crypto_detail {

// hmac writes HMAC(key, parts[0] || parts[1] || ...) to `out` (hash_size bytes).
void hmac(const CipherSuite::Impl& s, ByteView key, std::span<const ByteView> parts,
          std::uint8_t* out);
// hkdf_extract writes HKDF-Extract(salt, concatenated parts) to `out` (Nh bytes).
void hkdf_extract(const CipherSuite::Impl& s, ByteView salt, std::span<const ByteView> ikm,
                  std::uint8_t* out);
// hkdf_expand fills `out` with HKDF-Expand(prk, concatenated info parts, out.size()); throws on
// a length above 255 * Nh (a caller bug).
void hkdf_expand(const CipherSuite::Impl& s, ByteView prk, std::span<const ByteView> info,
                 std::span<std::uint8_t> out);

// write_varint_header writes the minimal RFC 9420 §2.1.2 length header of `n` to `out` (room
// for 4 bytes) and returns its size.
std::size_t write_varint_header(std::size_t n, std::uint8_t* out);

// RFC 9180 §4: LabeledExtract / LabeledExpand with "HPKE-v1" || suite_id || label.
void labeled_extract(const CipherSuite::Impl& s, ByteView suite_id, ByteView salt,
                     std::string_view label, ByteView ikm, std::uint8_t* out);
void labeled_expand(const CipherSuite::Impl& s, ByteView suite_id, ByteView prk,
                    std::string_view label, ByteView info, std::span<std::uint8_t> out);

}  // namespace crypto_detail
}  // namespace conclave::mls
