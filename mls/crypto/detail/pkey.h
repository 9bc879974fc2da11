#pragma once
// Private to mls/crypto: EVP_PKEY construction from the raw encodings MLS uses (RFC 9420
// §5.1.1: EdDSA and X25519/X448 native bytes; ECDSA and DHKEM(P-*) big-endian scalars and
// uncompressed points, RFC 9180 §7.1.1).
#include "mls/codec/bytes.h"
#include "mls/codec/result.h"
#include "mls/crypto/detail/openssl_ptr.h"

namespace conclave::mls::crypto_detail {

// raw_private_key / raw_public_key load a key of an EdDSA or X25519/X448 `type` ("ED25519",
// "X448", ...); Errc::invalid_key when OpenSSL refuses the bytes (wrong length).
Result<ossl::UniquePtr<EVP_PKEY>> raw_private_key(const char* type, ByteView bytes);
Result<ossl::UniquePtr<EVP_PKEY>> raw_public_key(const char* type, ByteView bytes);
// raw_public_of returns the native public key bytes of an EdDSA/X25519/X448 key.
Bytes raw_public_of(const EVP_PKEY* key);

// ec_private_key loads big-endian scalar `scalar` (exactly `size` bytes) on `group` named
// `group_name`, computes its public point and writes the uncompressed encoding to `public_out`.
// Errc::invalid_key unless 0 < scalar < order.
Result<ossl::UniquePtr<EVP_PKEY>> ec_private_key(const EC_GROUP* group, const char* group_name,
                                                 ByteView scalar, std::size_t size,
                                                 Bytes& public_out);
// ec_public_key loads an uncompressed point; Errc::invalid_key when it is not on the curve.
Result<ossl::UniquePtr<EVP_PKEY>> ec_public_key(const EC_GROUP* group, const char* group_name,
                                                ByteView point);

}  // namespace conclave::mls::crypto_detail
