// Hash, HMAC and HKDF (RFC 5869) over cached OpenSSL handles, and the labeled derivations of
// RFC 9420 §5.2, §8, §9.1 and RFC 9180 §4.
#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/detail/labels.h"
#include "mls/crypto/detail/suite_impl.h"

namespace conclave::mls {
namespace {

using detail::kMlsLabelPrefix;                        // RFC 9420 §8
constexpr std::string_view kHpkeVersion = "HPKE-v1";  // RFC 9180 §4

}  // namespace

namespace crypto_detail {
namespace {

ossl::UniquePtr<EVP_MAC_CTX> keyed_hmac(const CipherSuite::Impl& s, ByteView key) {
  ossl::UniquePtr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_dup(s.hmac_template.get()));
  // An empty key must still be passed as a non-null pointer: a null key means "reuse the key
  // already set", and this fresh context has none. HMAC pads either to the same block.
  static constexpr std::uint8_t kNoKey = 0;
  const std::uint8_t* k = key.empty() ? &kNoKey : key.data();
  if (!ctx || EVP_MAC_init(ctx.get(), k, key.size(), nullptr) != 1) ossl::fatal("HMAC init");
  return ctx;
}

void update(EVP_MAC_CTX* ctx, std::span<const ByteView> parts) {
  for (const ByteView p : parts) {
    if (!p.empty() && EVP_MAC_update(ctx, p.data(), p.size()) != 1) ossl::fatal("HMAC update");
  }
}

}  // namespace

void hmac(const CipherSuite::Impl& s, ByteView key, std::span<const ByteView> parts,
          std::uint8_t* out) {
  auto ctx = keyed_hmac(s, key);
  update(ctx.get(), parts);
  std::size_t n = 0;
  if (EVP_MAC_final(ctx.get(), out, &n, s.nh) != 1 || n != s.nh) ossl::fatal("HMAC final");
}

void hkdf_extract(const CipherSuite::Impl& s, ByteView salt, std::span<const ByteView> ikm,
                  std::uint8_t* out) {
  // RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM); an absent salt is HashLen zeros, which HMAC
  // treats exactly like the empty key.
  hmac(s, salt, ikm, out);
}

void hkdf_expand(const CipherSuite::Impl& s, ByteView prk, std::span<const ByteView> info,
                 std::span<std::uint8_t> out) {
  // RFC 5869 §2.3: T(i) = HMAC-Hash(PRK, T(i-1) | info | i), at most 255 blocks.
  if (out.size() > 255 * s.nh) throw std::length_error("HKDF-Expand length above 255*Nh");
  auto ctx = keyed_hmac(s, prk);
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> t{};
  std::size_t t_len = 0;
  std::size_t done = 0;
  for (std::uint8_t i = 1; done < out.size(); ++i) {
    // Later blocks re-initialise with the key already set (null key = same key).
    if (i > 1 && EVP_MAC_init(ctx.get(), nullptr, 0, nullptr) != 1) ossl::fatal("HMAC reinit");
    if (t_len != 0 && EVP_MAC_update(ctx.get(), t.data(), t_len) != 1) ossl::fatal("HMAC");
    update(ctx.get(), info);
    if (EVP_MAC_update(ctx.get(), &i, 1) != 1 ||
        EVP_MAC_final(ctx.get(), t.data(), &t_len, t.size()) != 1) {
      ossl::fatal("HMAC final");
    }
    const std::size_t n = std::min(t_len, out.size() - done);
    std::copy_n(t.begin(), n, out.begin() + static_cast<std::ptrdiff_t>(done));
    done += n;
  }
  OPENSSL_cleanse(t.data(), t.size());
}

std::size_t write_varint_header(std::size_t n, std::uint8_t* out) {
  // RFC 9420 §2.1.2: 1, 2 or 4 bytes with the length of the header in the top two bits.
  if (n < 0x40) {
    out[0] = static_cast<std::uint8_t>(n);
    return 1;
  }
  if (n < 0x4000) {
    out[0] = static_cast<std::uint8_t>(0x40 | (n >> 8));
    out[1] = static_cast<std::uint8_t>(n);
    return 2;
  }
  if (n < 0x40000000) {
    out[0] = static_cast<std::uint8_t>(0x80 | (n >> 24));
    out[1] = static_cast<std::uint8_t>(n >> 16);
    out[2] = static_cast<std::uint8_t>(n >> 8);
    out[3] = static_cast<std::uint8_t>(n);
    return 4;
  }
  throw std::length_error("vector longer than 2^30 bytes");
}

void labeled_extract(const CipherSuite::Impl& s, ByteView suite_id, ByteView salt,
                     std::string_view label, ByteView ikm, std::uint8_t* out) {
  // labeled_ikm = "HPKE-v1" || suite_id || label || ikm
  const std::array<ByteView, 4> parts{as_bytes(kHpkeVersion), suite_id, as_bytes(label), ikm};
  hkdf_extract(s, salt, parts, out);
}

void labeled_expand(const CipherSuite::Impl& s, ByteView suite_id, ByteView prk,
                    std::string_view label, ByteView info, std::span<std::uint8_t> out) {
  // labeled_info = I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info
  const std::array<std::uint8_t, 2> length{static_cast<std::uint8_t>(out.size() >> 8),
                                           static_cast<std::uint8_t>(out.size())};
  const std::array<ByteView, 5> parts{length, as_bytes(kHpkeVersion), suite_id, as_bytes(label),
                                      info};
  hkdf_expand(s, prk, parts, out);
}

}  // namespace crypto_detail

Bytes CipherSuite::hash(ByteView data) const {
  Bytes out(impl_->nh);
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &n, impl_->md.get(), nullptr) != 1) {
    ossl::fatal("EVP_Digest failed");
  }
  return out;
}

Bytes CipherSuite::mac(ByteView key, ByteView data) const {
  Bytes out(impl_->nh);
  crypto_detail::hmac(*impl_, key, std::span<const ByteView>(&data, 1), out.data());
  return out;
}

Secret CipherSuite::extract(ByteView salt, ByteView ikm) const {
  Secret out(impl_->nh);
  crypto_detail::hkdf_extract(*impl_, salt, std::span<const ByteView>(&ikm, 1), out.data());
  return out;
}

Secret CipherSuite::expand(ByteView prk, ByteView info, std::size_t length) const {
  Secret out(length);
  crypto_detail::hkdf_expand(*impl_, prk, std::span<const ByteView>(&info, 1),
                             {out.data(), length});
  return out;
}

Secret CipherSuite::expand_with_label(ByteView secret, std::string_view label, ByteView context,
                                      std::size_t length) const {
  // RFC 9420 §8: struct { uint16 length; opaque label<V> = "MLS 1.0 " + Label;
  //                       opaque context<V>; } KDFLabel;
  // The struct is fed to HMAC in pieces so neither label nor context is copied.
  if (length > 0xffff) throw std::length_error("ExpandWithLabel length above 2^16-1");
  std::array<std::uint8_t, 6> head{};
  head[0] = static_cast<std::uint8_t>(length >> 8);
  head[1] = static_cast<std::uint8_t>(length);
  const std::size_t head_len =
      2 + crypto_detail::write_varint_header(kMlsLabelPrefix.size() + label.size(), &head[2]);
  std::array<std::uint8_t, 4> context_head{};
  const std::size_t context_head_len =
      crypto_detail::write_varint_header(context.size(), context_head.data());
  const std::array<ByteView, 5> info{ByteView(head.data(), head_len), as_bytes(kMlsLabelPrefix),
                                     as_bytes(label),
                                     ByteView(context_head.data(), context_head_len), context};
  Secret out(length);
  crypto_detail::hkdf_expand(*impl_, secret, info, {out.data(), length});
  return out;
}

Secret CipherSuite::derive_secret(ByteView secret, std::string_view label) const {
  return expand_with_label(secret, label, {}, impl_->nh);  // RFC 9420 §8
}

Secret CipherSuite::derive_tree_secret(ByteView secret, std::string_view label,
                                       std::uint32_t generation, std::size_t length) const {
  // RFC 9420 §9.1: the context is the generation as a big-endian uint32.
  const std::array<std::uint8_t, 4> context{
      static_cast<std::uint8_t>(generation >> 24), static_cast<std::uint8_t>(generation >> 16),
      static_cast<std::uint8_t>(generation >> 8), static_cast<std::uint8_t>(generation)};
  return expand_with_label(secret, label, context, length);
}

Bytes CipherSuite::ref_hash(std::string_view label, ByteView value) const {
  // RFC 9420 §5.2: struct { opaque label<V>; opaque value<V>; } RefHashInput;
  std::array<std::uint8_t, 4> label_head{};
  std::array<std::uint8_t, 4> value_head{};
  const std::size_t lh = crypto_detail::write_varint_header(label.size(), label_head.data());
  const std::size_t vh = crypto_detail::write_varint_header(value.size(), value_head.data());
  ossl::UniquePtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  Bytes out(impl_->nh);
  unsigned int n = 0;
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), impl_->md.get(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), label_head.data(), lh) != 1 ||
      EVP_DigestUpdate(ctx.get(), label.data(), label.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), value_head.data(), vh) != 1 ||
      EVP_DigestUpdate(ctx.get(), value.data(), value.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &n) != 1) {
    ossl::fatal("RefHash digest failed");
  }
  return out;
}

}  // namespace conclave::mls
