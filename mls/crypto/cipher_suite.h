#pragma once
// CipherSuite: the cryptographic operations of RFC 9420 §5.1 for suites 0x0001..0x0007 over
// OpenSSL 3.0 EVP, plus HPKE base mode (RFC 9180), which OpenSSL 3.0 lacks. No OpenSSL type
// appears in this header; key handles hide theirs behind an opaque pointer.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <tuple>
#include <utility>

#include "mls/codec/bytes.h"
#include "mls/codec/result.h"
#include "mls/crypto/rng.h"
#include "mls/crypto/secret.h"

namespace conclave::mls {

// RFC 9420 §17.1
enum class CipherSuiteId : std::uint16_t {
  mls_128_dhkemx25519_aes128gcm_sha256_ed25519 = 0x0001,
  mls_128_dhkemp256_aes128gcm_sha256_p256 = 0x0002,
  mls_128_dhkemx25519_chacha20poly1305_sha256_ed25519 = 0x0003,
  mls_256_dhkemx448_aes256gcm_sha512_ed448 = 0x0004,
  mls_256_dhkemp521_aes256gcm_sha512_p521 = 0x0005,
  mls_256_dhkemx448_chacha20poly1305_sha512_ed448 = 0x0006,
  mls_256_dhkemp384_aes256gcm_sha384_p384 = 0x0007,
};

// struct { opaque kem_output<V>; opaque ciphertext<V>; } HPKECiphertext;   (RFC 9420 §5.1.3)
struct HpkeCiphertext {
  Bytes kem_output;
  Bytes ciphertext;
  static constexpr auto fields() {
    return std::tuple{&HpkeCiphertext::kem_output, &HpkeCiphertext::ciphertext};
  }
  bool operator==(const HpkeCiphertext&) const = default;
};

// A private key in the encoding of the test vectors (RFC 9180 SerializePrivateKey for HPKE,
// raw scalar for ECDSA, native bytes for EdDSA) together with its public key.
struct KeyPair {
  Secret private_key;
  Bytes public_key;
};

class CipherSuite;

// SigningKey: a parsed signature private key, kept parsed so signing does not re-derive the
// public key on every call. Move-only; the OpenSSL key is freed (and wiped) with it.
class SigningKey {
 public:
  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();
  const Bytes& public_key() const { return public_key_; }
  // sign signs `message` as is (no label).
  Result<Bytes> sign(ByteView message) const;
  // sign_with_label implements SignWithLabel (RFC 9420 §5.1.2).
  Result<Bytes> sign_with_label(std::string_view label, ByteView content) const;

 private:
  friend class CipherSuite;
  struct Impl;
  SigningKey(const CipherSuite& suite, std::unique_ptr<Impl> impl, Bytes public_key);
  const CipherSuite* suite_ = nullptr;
  std::unique_ptr<Impl> impl_;
  Bytes public_key_;
};

class CipherSuite {
 public:
  // get returns the suite with this code point, or Errc::unsupported_cipher_suite. The objects
  // are immutable singletons, safe to share between threads.
  static Result<const CipherSuite*> get(std::uint16_t id);
  static Result<const CipherSuite*> get(CipherSuiteId id) {
    return get(static_cast<std::uint16_t>(id));
  }

  CipherSuiteId id() const { return id_; }
  std::size_t hash_size() const;   // Nh: KDF.Nh, also the size of secrets (RFC 9420 §5.1)
  std::size_t key_size() const;    // AEAD.Nk
  std::size_t nonce_size() const;  // AEAD.Nn

  // --- hash, MAC, KDF (RFC 9420 §5.1, §5.2, §8) ---
  Bytes hash(ByteView data) const;
  Bytes mac(ByteView key, ByteView data) const;
  Secret extract(ByteView salt, ByteView ikm) const;
  Secret expand(ByteView prk, ByteView info, std::size_t length) const;
  // ExpandWithLabel(Secret, Label, Context, Length): KDFLabel with "MLS 1.0 " + Label (§8).
  Secret expand_with_label(ByteView secret, std::string_view label, ByteView context,
                           std::size_t length) const;
  // DeriveSecret(Secret, Label) = ExpandWithLabel(Secret, Label, "", Nh)
  Secret derive_secret(ByteView secret, std::string_view label) const;
  // DeriveTreeSecret(Secret, Label, Generation, Length) (§9.1)
  Secret derive_tree_secret(ByteView secret, std::string_view label, std::uint32_t generation,
                            std::size_t length) const;
  // RefHash(label, value) = Hash(RefHashInput) (§5.2)
  Bytes ref_hash(std::string_view label, ByteView value) const;

  // --- AEAD ---
  Bytes seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) const;
  // open fails with Errc::decryption_failed on a bad tag.
  Result<Bytes> open(ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext) const;

  // --- signatures (§5.1.2) ---
  Result<SigningKey> signing_key(ByteView private_key) const;
  KeyPair generate_signature_key_pair() const;
  // verify / verify_with_label return false for a bad signature or an unparseable key.
  bool verify(ByteView public_key, ByteView message, ByteView signature) const;
  bool verify_with_label(ByteView public_key, std::string_view label, ByteView content,
                         ByteView signature) const;
  Result<Bytes> sign_with_label(ByteView private_key, std::string_view label,
                                ByteView content) const;

  // --- HPKE base mode (RFC 9180 §5.1.1) and the MLS wrappers (§5.1.3) ---
  // derive_hpke_key_pair is DeriveKeyPair(ikm) of the suite's KEM (RFC 9180 §7.1.3).
  Result<KeyPair> derive_hpke_key_pair(ByteView ikm) const;
  KeyPair generate_hpke_key_pair(Rng& rng = system_rng()) const;
  // hpke_public_key recomputes the public key of a serialized HPKE private key.
  Result<Bytes> hpke_public_key(ByteView private_key) const;
  Result<HpkeCiphertext> hpke_seal(ByteView public_key, ByteView info, ByteView aad,
                                   ByteView plaintext, Rng& rng = system_rng()) const;
  Result<Bytes> hpke_open(ByteView private_key, ByteView info, ByteView aad,
                          const HpkeCiphertext& ct) const;
  // hpke_export_sender is SetupBaseS(public_key, info) followed by the context's
  // Export(exporter_context, length) (RFC 9180 §5.1, §5.3): it returns the KEM output `enc` and
  // the exported secret. hpke_export_receiver is SetupBaseR(enc, private_key, info) and the same
  // Export. MLS uses them for ExternalInit (RFC 9420 §8.3). Errors: bad keys; decapsulation
  // failure gives Errc::decryption_failed; `length` above 255 * Nh gives Errc::invalid_value.
  Result<std::pair<Bytes, Secret>> hpke_export_sender(ByteView public_key, ByteView info,
                                                      ByteView exporter_context, std::size_t length,
                                                      Rng& rng = system_rng()) const;
  Result<Secret> hpke_export_receiver(ByteView private_key, ByteView enc, ByteView info,
                                      ByteView exporter_context, std::size_t length) const;
  // EncryptWithLabel / DecryptWithLabel (§5.1.3).
  Result<HpkeCiphertext> encrypt_with_label(ByteView public_key, std::string_view label,
                                            ByteView context, ByteView plaintext,
                                            Rng& rng = system_rng()) const;
  Result<Bytes> decrypt_with_label(ByteView private_key, std::string_view label, ByteView context,
                                   const HpkeCiphertext& ct) const;

  struct Impl;  // OpenSSL algorithm handles; defined in the .cpp files only
  const Impl& impl() const { return *impl_; }

 private:
  CipherSuite(CipherSuiteId id, const Impl* impl) : id_(id), impl_(impl) {}
  CipherSuiteId id_;
  const Impl* impl_;
};

}  // namespace conclave::mls
