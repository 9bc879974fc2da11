#include "xmpp/handshake.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>

namespace conclave::xmpp {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

// Fetched once: explicit fetches are costly in OpenSSL 3 and the algorithm never changes.
const EVP_MD* sha1() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return md;
}

}  // namespace

Result<std::string> handshake_digest(std::string_view stream_id, std::string_view secret) {
  const EVP_MD* md = sha1();
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (md == nullptr || !ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), stream_id.data(), stream_id.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), secret.data(), secret.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) {
    ERR_clear_error();
    return fail(Errc::crypto_failure);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 0x0F];
  }
  return hex;
}

}  // namespace conclave::xmpp
