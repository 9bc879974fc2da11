#pragma once
// Private to mls/crypto: the DHKEM (RFC 9180 §4.1) and base-mode key schedule (§5.1) pieces
// behind CipherSuite::hpke_*, exposed for the RFC 9180 Appendix A unit tests.
#include "mls/codec/bytes.h"
#include "mls/codec/result.h"
#include "mls/crypto/detail/openssl_ptr.h"
#include "mls/crypto/detail/suite_impl.h"
#include "mls/crypto/rng.h"
#include "mls/crypto/secret.h"

namespace conclave::mls::crypto_detail {

// A loaded KEM private key with its serialized public key (SerializePublicKey, §7.1.1).
struct KemPrivateKey {
  ossl::UniquePtr<EVP_PKEY> pkey;
  Bytes public_key;
};

// derive_kem_private returns the sk of DeriveKeyPair(ikm) (§7.1.3) in SerializePrivateKey
// form; Errc::crypto_failure in the (2^-256 likely) case that no NIST candidate is in range.
Result<Secret> derive_kem_private(const CipherSuite::Impl& s, ByteView ikm);
// load_kem_private / load_kem_public deserialize keys; Errc::invalid_key on bad encodings.
Result<KemPrivateKey> load_kem_private(const CipherSuite::Impl& s, ByteView private_key);
Result<ossl::UniquePtr<EVP_PKEY>> load_kem_public(const CipherSuite::Impl& s, ByteView public_key);

struct Encapsulation {
  Secret shared_secret;
  Bytes enc;
};
// encap is Encap(pkR) (§4.1); the ephemeral key is DeriveKeyPair(Nsk bytes from `rng`), the
// GenerateKeyPair that §7.1.3 allows, so a fixed `rng` reproduces Appendix A.
Result<Encapsulation> encap(const CipherSuite::Impl& s, ByteView public_key, Rng& rng);
// decap is Decap(enc, skR) (§4.1).
Result<Secret> decap(const CipherSuite::Impl& s, ByteView enc, const KemPrivateKey& recipient);

struct HpkeKeys {
  Secret key;
  Secret base_nonce;
};
// key_schedule_base is KeySchedule(mode_base, shared_secret, info, "", "") (§5.1).
HpkeKeys key_schedule_base(const CipherSuite::Impl& s, ByteView shared_secret, ByteView info);

}  // namespace conclave::mls::crypto_detail
