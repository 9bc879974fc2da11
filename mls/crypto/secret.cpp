#include "mls/crypto/secret.h"

#include <openssl/crypto.h>

namespace conclave::mls {

void secure_wipe(void* p, std::size_t n) noexcept { OPENSSL_cleanse(p, n); }

}  // namespace conclave::mls
