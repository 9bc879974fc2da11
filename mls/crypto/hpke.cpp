// HPKE base mode, single shot (RFC 9180 §5.1, §6.1), and EncryptWithLabel/DecryptWithLabel
// (RFC 9420 §5.1.3).
#include "mls/crypto/detail/hpke.h"

#include <openssl/crypto.h>

#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/detail/labels.h"

namespace conclave::mls {
namespace crypto_detail {

HpkeKeys key_schedule_base(const CipherSuite::Impl& s, ByteView shared_secret, ByteView info) {
  // key_schedule_context = mode || psk_id_hash || info_hash, mode_base = 0 (§5.1).
  std::array<std::uint8_t, 1 + 2 * EVP_MAX_MD_SIZE> context{};
  context[0] = 0x00;
  std::copy_n(s.psk_id_hash.begin(), s.nh, context.begin() + 1);
  labeled_extract(s, s.hpke_suite_id, {}, "info_hash", info, context.data() + 1 + s.nh);
  const ByteView ksc(context.data(), 1 + 2 * s.nh);
  // secret = LabeledExtract(shared_secret, "secret", psk = "")
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> secret{};
  labeled_extract(s, s.hpke_suite_id, shared_secret, "secret", {}, secret.data());
  const ByteView secret_view(secret.data(), s.nh);
  HpkeKeys keys{Secret(s.nk), Secret(s.nn)};
  labeled_expand(s, s.hpke_suite_id, secret_view, "key", ksc, {keys.key.data(), s.nk});
  labeled_expand(s, s.hpke_suite_id, secret_view, "base_nonce", ksc,
                 {keys.base_nonce.data(), s.nn});
  OPENSSL_cleanse(secret.data(), secret.size());
  return keys;
}

}  // namespace crypto_detail

namespace {

// hpke_export: Export(exporter_context, L) of a base-mode context (RFC 9180 §5.1, §5.3):
//   exporter_secret = LabeledExpand(secret, "exp", key_schedule_context, Nh)
//   exported        = LabeledExpand(exporter_secret, "sec", exporter_context, L)
Result<Secret> hpke_export(const CipherSuite::Impl& s, ByteView shared_secret, ByteView info,
                           ByteView exporter_context, std::size_t length) {
  if (length > 255 * s.nh) return fail(Errc::invalid_value);
  std::array<std::uint8_t, 1 + 2 * EVP_MAX_MD_SIZE> context{};
  context[0] = 0x00;  // mode_base
  std::copy_n(s.psk_id_hash.begin(), s.nh, context.begin() + 1);
  crypto_detail::labeled_extract(s, s.hpke_suite_id, {}, "info_hash", info,
                                 context.data() + 1 + s.nh);
  const ByteView ksc(context.data(), 1 + 2 * s.nh);
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> secret{};
  crypto_detail::labeled_extract(s, s.hpke_suite_id, shared_secret, "secret", {}, secret.data());
  Secret exporter_secret(s.nh);
  crypto_detail::labeled_expand(s, s.hpke_suite_id, ByteView(secret.data(), s.nh), "exp", ksc,
                                {exporter_secret.data(), s.nh});
  OPENSSL_cleanse(secret.data(), secret.size());
  Secret out(length);
  crypto_detail::labeled_expand(s, s.hpke_suite_id, exporter_secret.view(), "sec", exporter_context,
                                {out.data(), length});
  return out;
}

using detail::kMlsLabelPrefix;  // RFC 9420 §5.1.3

// struct { opaque label<V> = "MLS 1.0 " + Label; opaque context<V>; } EncryptContext;
Bytes encrypt_context(std::string_view label, ByteView context) {
  std::array<std::uint8_t, 4> lh{};
  std::array<std::uint8_t, 4> ch{};
  const std::size_t ln =
      crypto_detail::write_varint_header(kMlsLabelPrefix.size() + label.size(), lh.data());
  const std::size_t cn = crypto_detail::write_varint_header(context.size(), ch.data());
  Bytes out;
  out.reserve(ln + kMlsLabelPrefix.size() + label.size() + cn + context.size());
  out.insert(out.end(), lh.begin(), lh.begin() + static_cast<std::ptrdiff_t>(ln));
  out.insert(out.end(), kMlsLabelPrefix.begin(), kMlsLabelPrefix.end());
  out.insert(out.end(), label.begin(), label.end());
  out.insert(out.end(), ch.begin(), ch.begin() + static_cast<std::ptrdiff_t>(cn));
  out.insert(out.end(), context.begin(), context.end());
  return out;
}

}  // namespace

Result<KeyPair> CipherSuite::derive_hpke_key_pair(ByteView ikm) const {
  auto sk = crypto_detail::derive_kem_private(*impl_, ikm);
  if (!sk) return fail(sk.error());
  auto key = crypto_detail::load_kem_private(*impl_, sk->view());
  if (!key) return fail(key.error());
  return KeyPair{std::move(*sk), std::move(key->public_key)};
}

KeyPair CipherSuite::generate_hpke_key_pair(Rng& rng) const {
  // GenerateKeyPair as DeriveKeyPair(random(Nsk)) (RFC 9180 §7.1.3); a failure needs 256
  // rejected NIST candidates in a row, so drawing again is the whole remedy.
  Secret ikm(impl_->n_sk);
  for (;;) {
    rng.fill({ikm.data(), ikm.size()});
    auto pair = derive_hpke_key_pair(ikm.view());
    if (pair) return std::move(*pair);
  }
}

Result<Bytes> CipherSuite::hpke_public_key(ByteView private_key) const {
  auto key = crypto_detail::load_kem_private(*impl_, private_key);
  if (!key) return fail(key.error());
  return std::move(key->public_key);
}

Result<HpkeCiphertext> CipherSuite::hpke_seal(ByteView public_key, ByteView info, ByteView aad,
                                              ByteView plaintext, Rng& rng) const {
  // SealBase (§6.1): SetupBaseS, then the context's Seal at sequence number 0.
  auto encapsulated = crypto_detail::encap(*impl_, public_key, rng);
  if (!encapsulated) return fail(encapsulated.error());
  const auto keys =
      crypto_detail::key_schedule_base(*impl_, encapsulated->shared_secret.view(), info);
  Bytes ct = seal(keys.key.view(), keys.base_nonce.view(), aad, plaintext);
  return HpkeCiphertext{std::move(encapsulated->enc), std::move(ct)};
}

Result<Bytes> CipherSuite::hpke_open(ByteView private_key, ByteView info, ByteView aad,
                                     const HpkeCiphertext& ct) const {
  auto key = crypto_detail::load_kem_private(*impl_, private_key);
  if (!key) return fail(key.error());
  auto shared = crypto_detail::decap(*impl_, ct.kem_output, *key);
  if (!shared) return fail(Errc::decryption_failed);
  const auto keys = crypto_detail::key_schedule_base(*impl_, shared->view(), info);
  return open(keys.key.view(), keys.base_nonce.view(), aad, ct.ciphertext);
}

Result<std::pair<Bytes, Secret>> CipherSuite::hpke_export_sender(ByteView public_key, ByteView info,
                                                                 ByteView exporter_context,
                                                                 std::size_t length,
                                                                 Rng& rng) const {
  auto encapsulated = crypto_detail::encap(*impl_, public_key, rng);
  if (!encapsulated) return fail(encapsulated.error());
  auto exported =
      hpke_export(*impl_, encapsulated->shared_secret.view(), info, exporter_context, length);
  if (!exported) return fail(exported.error());
  return std::pair<Bytes, Secret>{std::move(encapsulated->enc), std::move(*exported)};
}

Result<Secret> CipherSuite::hpke_export_receiver(ByteView private_key, ByteView enc, ByteView info,
                                                 ByteView exporter_context,
                                                 std::size_t length) const {
  auto key = crypto_detail::load_kem_private(*impl_, private_key);
  if (!key) return fail(key.error());
  auto shared = crypto_detail::decap(*impl_, enc, *key);
  if (!shared) return fail(Errc::decryption_failed);
  return hpke_export(*impl_, shared->view(), info, exporter_context, length);
}

Result<HpkeCiphertext> CipherSuite::encrypt_with_label(ByteView public_key, std::string_view label,
                                                       ByteView context, ByteView plaintext,
                                                       Rng& rng) const {
  return hpke_seal(public_key, encrypt_context(label, context), {}, plaintext, rng);
}

Result<Bytes> CipherSuite::decrypt_with_label(ByteView private_key, std::string_view label,
                                              ByteView context, const HpkeCiphertext& ct) const {
  return hpke_open(private_key, encrypt_context(label, context), {}, ct);
}

}  // namespace conclave::mls
