#include "mls/crypto/secret.h"

#include <openssl/crypto.h>

namespace conclave::mls {

void secure_wipe(void* p, std::size_t n) noexcept { OPENSSL_cleanse(p, n); }

bool ct_equal(ByteView a, ByteView b) noexcept {
  // Lengths of tags and MACs are public; only the contents must not leak through timing.
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace conclave::mls
