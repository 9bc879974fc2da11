#pragma once
// Fingerprints users compare out of band to verify each other (and their room's epoch).
#include <string>

#include "mls/codec/bytes.h"
#include "mls/crypto/cipher_suite.h"

namespace conclave::client {

// fingerprint returns SHA-256 (the suite's hash) of a signature public key as upper-case hex in
// groups of four separated by spaces: "3A7F 09C2 …" (16 groups for SHA-256).
std::string fingerprint(const mls::CipherSuite& suite, mls::ByteView signature_key);
// grouped_hex formats `data` the same way, without hashing (the epoch authenticator).
std::string grouped_hex(mls::ByteView data);

}  // namespace conclave::client
