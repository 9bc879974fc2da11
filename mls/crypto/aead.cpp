// AEAD (RFC 9420 §5.1): AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305, ciphertext || 16-byte tag.
#include <algorithm>
#include <array>
#include <climits>
#include <stdexcept>

#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/detail/suite_impl.h"

namespace conclave::mls {
namespace {

constexpr std::size_t kTagSize = 16;  // all three AEADs of RFC 9420 §17.1

ossl::UniquePtr<EVP_CIPHER_CTX> new_cipher_ctx() {
  ossl::UniquePtr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) ossl::fatal("EVP_CIPHER_CTX_new failed");
  return ctx;
}

bool fits_int(std::size_t n) { return n <= static_cast<std::size_t>(INT_MAX) - kTagSize; }

}  // namespace

Bytes CipherSuite::seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) const {
  // Sizes are fixed by the suite; a mismatch is a bug in the caller, not bad input.
  if (key.size() != impl_->nk || nonce.size() != impl_->nn || !fits_int(plaintext.size()) ||
      !fits_int(aad.size())) {
    throw std::invalid_argument("AEAD seal: bad key, nonce or input size");
  }
  auto ctx = new_cipher_ctx();
  Bytes out(plaintext.size() + kTagSize);
  int len = 0;
  if (EVP_EncryptInit_ex2(ctx.get(), impl_->aead.get(), key.data(), nonce.data(), nullptr) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                         static_cast<int>(aad.size())) != 1) ||
      (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(),
                                               static_cast<int>(plaintext.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + plaintext.size(), &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagSize),
                          out.data() + plaintext.size()) != 1) {
    ossl::fatal("AEAD seal failed");
  }
  return out;
}

Result<Bytes> CipherSuite::open(ByteView key, ByteView nonce, ByteView aad,
                                ByteView ciphertext) const {
  if (key.size() != impl_->nk || nonce.size() != impl_->nn) return fail(Errc::invalid_key);
  if (ciphertext.size() < kTagSize || !fits_int(ciphertext.size()) || !fits_int(aad.size())) {
    return fail(Errc::decryption_failed);
  }
  const std::size_t body = ciphertext.size() - kTagSize;
  auto ctx = new_cipher_ctx();
  Bytes out(body);
  int len = 0;
  // The tag is copied out because EVP_CTRL_AEAD_SET_TAG takes a non-const pointer.
  std::array<std::uint8_t, kTagSize> tag{};
  std::copy_n(ciphertext.begin() + static_cast<std::ptrdiff_t>(body), kTagSize, tag.begin());
  if (EVP_DecryptInit_ex2(ctx.get(), impl_->aead.get(), key.data(), nonce.data(), nullptr) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                         static_cast<int>(aad.size())) != 1) ||
      (body != 0 && EVP_DecryptUpdate(ctx.get(), out.data(), &len, ciphertext.data(),
                                      static_cast<int>(body)) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagSize),
                          tag.data()) != 1) {
    return fail(ossl::fail_with(Errc::crypto_failure));
  }
  // The final step compares the tag in constant time inside OpenSSL.
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + body, &len) != 1) {
    secure_wipe(out.data(), out.size());  // never hand back unauthenticated plaintext
    return fail(ossl::fail_with(Errc::decryption_failed));
  }
  return out;
}

}  // namespace conclave::mls
