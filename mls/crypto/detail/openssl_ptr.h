#pragma once
// Private to mls/crypto: owning pointers for OpenSSL handles (docs/style.md P7) and the error
// queue helper. Never include this from a public header.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>

#include <memory>
#include <stdexcept>

#include "mls/codec/errors.h"

namespace conclave::mls::ossl {

template <class T>
struct Free;

#define CONCLAVE_OSSL_FREE(T, fn)                   \
  template <>                                       \
  struct Free<T> {                                  \
    void operator()(T* p) const noexcept { fn(p); } \
  }

CONCLAVE_OSSL_FREE(EVP_PKEY, EVP_PKEY_free);
CONCLAVE_OSSL_FREE(EVP_PKEY_CTX, EVP_PKEY_CTX_free);
CONCLAVE_OSSL_FREE(EVP_MD_CTX, EVP_MD_CTX_free);
CONCLAVE_OSSL_FREE(EVP_MD, EVP_MD_free);
CONCLAVE_OSSL_FREE(EVP_MAC, EVP_MAC_free);
CONCLAVE_OSSL_FREE(EVP_MAC_CTX, EVP_MAC_CTX_free);
CONCLAVE_OSSL_FREE(EVP_KDF, EVP_KDF_free);
CONCLAVE_OSSL_FREE(EVP_KDF_CTX, EVP_KDF_CTX_free);
CONCLAVE_OSSL_FREE(EVP_CIPHER, EVP_CIPHER_free);
CONCLAVE_OSSL_FREE(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free);
CONCLAVE_OSSL_FREE(BIGNUM, BN_clear_free);
CONCLAVE_OSSL_FREE(BN_CTX, BN_CTX_free);
CONCLAVE_OSSL_FREE(EC_GROUP, EC_GROUP_free);
CONCLAVE_OSSL_FREE(EC_POINT, EC_POINT_free);
CONCLAVE_OSSL_FREE(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free);
CONCLAVE_OSSL_FREE(OSSL_PARAM, OSSL_PARAM_free);

#undef CONCLAVE_OSSL_FREE

// UniquePtr<T> owns one OpenSSL object; sizeof(UniquePtr<T>) == sizeof(T*).
template <class T>
using UniquePtr = std::unique_ptr<T, Free<T>>;

// fail_with clears the OpenSSL error queue (stale entries would surface in a later, unrelated
// failure) and returns `e`, for `return fail(ossl::fail_with(Errc::...))`.
inline Errc fail_with(Errc e) noexcept {
  ERR_clear_error();
  return e;
}

// fatal handles an OpenSSL failure that valid input cannot cause (allocation failure, a bug):
// clears the queue and throws, to be caught once at the top of the request handler.
[[noreturn]] inline void fatal(const char* what) {
  ERR_clear_error();
  throw std::runtime_error(what);
}

}  // namespace conclave::mls::ossl
