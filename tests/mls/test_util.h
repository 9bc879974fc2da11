#pragma once
// Helpers the mls/ unit tests share (one definition, so a test binary built as one unity
// translation unit has no duplicates).
#include <string_view>
#include <system_error>

#include "mls/codec/hex.h"
#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"

namespace conclave::mls::test {

// err returns the error of `r`, or an empty code when it holds a value (never UB like
// calling error() on a value).
template <class T>
std::error_code err(const Result<T>& r) {
  return r ? std::error_code{} : r.error();
}

// hex: bytes from a hex string the test knows is valid.
inline Bytes hex(std::string_view s) { return *from_hex(s); }

// suite: cipher suite 1 (MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519), always built in.
inline const CipherSuite& suite() {
  return *CipherSuite::get(CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519).value();
}

}  // namespace conclave::mls::test
