#include "component/rooms/occupant_id.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "base/base64.h"

namespace conclave::component {

std::string occupant_id(std::string_view salt, std::string_view bare_jid) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  // One-shot HMAC() is not deprecated in OpenSSL 3.0 (only the HMAC_CTX API is).
  if (HMAC(EVP_sha256(), salt.data(), static_cast<int>(salt.size()),
           reinterpret_cast<const unsigned char*>(bare_jid.data()), bare_jid.size(), mac.data(),
           &len) == nullptr) {
    std::abort();  // crash on "should never happen" (docs/style.md, Envoy)
  }
  return base64url_encode_unpadded(std::span<const std::uint8_t>(mac.data(), len));
}

std::string random_token(std::size_t bytes) {
  std::vector<std::uint8_t> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) std::abort();
  return base64url_encode_unpadded(buf);
}

}  // namespace conclave::component
