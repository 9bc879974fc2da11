// DHKEM over X25519, X448, P-256, P-384 and P-521 (RFC 9180 §4.1, §7.1).
#include <openssl/crypto.h>

#include "mls/crypto/detail/hpke.h"
#include "mls/crypto/detail/pkey.h"

namespace conclave::mls::crypto_detail {
namespace {

// DH(skX, pkY): the X25519/X448 output or the ECDH x-coordinate (§7.1).
Result<Secret> dh(const EVP_PKEY* private_key, EVP_PKEY* peer) {
  ossl::UniquePtr<EVP_PKEY_CTX> ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(private_key), nullptr));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return fail(ossl::fail_with(Errc::invalid_key));
  }
  Secret out(len);
  // Fails for an all-zero X25519/X448 output, which §7.1.4 requires rejecting.
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    return fail(ossl::fail_with(Errc::invalid_key));
  }
  return out;
}

// ExtractAndExpand(dh, kem_context) (§4.1).
Secret extract_and_expand(const CipherSuite::Impl& s, ByteView dh_out, ByteView enc,
                          ByteView recipient_public) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> eae_prk{};
  labeled_extract(s, s.kem_suite_id, {}, "eae_prk", dh_out, eae_prk.data());
  Bytes kem_context;
  kem_context.reserve(enc.size() + recipient_public.size());
  kem_context.insert(kem_context.end(), enc.begin(), enc.end());
  kem_context.insert(kem_context.end(), recipient_public.begin(), recipient_public.end());
  Secret shared(s.n_secret);
  labeled_expand(s, s.kem_suite_id, ByteView(eae_prk.data(), s.nh), "shared_secret", kem_context,
                 {shared.data(), shared.size()});
  OPENSSL_cleanse(eae_prk.data(), eae_prk.size());
  return shared;
}

bool scalar_in_range(const CipherSuite::Impl& s, ByteView candidate) {
  ossl::UniquePtr<BIGNUM> d(
      BN_bin2bn(candidate.data(), static_cast<int>(candidate.size()), nullptr));
  if (!d) ossl::fatal("BN_bin2bn");
  return !BN_is_zero(d.get()) && BN_cmp(d.get(), EC_GROUP_get0_order(s.kem_group.get())) < 0;
}

}  // namespace

Result<Secret> derive_kem_private(const CipherSuite::Impl& s, ByteView ikm) {
  // §7.1.3: dkp_prk = LabeledExtract("", "dkp_prk", ikm)
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> prk_buf{};
  labeled_extract(s, s.kem_suite_id, {}, "dkp_prk", ikm, prk_buf.data());
  const ByteView dkp_prk(prk_buf.data(), s.nh);
  Secret sk(s.n_sk);
  Result<Secret> result = fail(Errc::crypto_failure);
  if (s.kem != KemCurve::nist) {
    // X25519/X448: sk = LabeledExpand(dkp_prk, "sk", "", Nsk); clamping happens in DH.
    labeled_expand(s, s.kem_suite_id, dkp_prk, "sk", {}, {sk.data(), sk.size()});
    result = std::move(sk);
  } else {
    // NIST curves: rejection sampling over candidates, top byte masked (0x01 for P-521).
    for (unsigned counter = 0; counter < 256; ++counter) {
      const std::uint8_t c = static_cast<std::uint8_t>(counter);
      labeled_expand(s, s.kem_suite_id, dkp_prk, "candidate", ByteView(&c, 1),
                     {sk.data(), sk.size()});
      sk.data()[0] &= s.sk_bitmask;
      if (scalar_in_range(s, sk.view())) {
        result = std::move(sk);
        break;
      }
    }
  }
  OPENSSL_cleanse(prk_buf.data(), prk_buf.size());
  return result;
}

Result<KemPrivateKey> load_kem_private(const CipherSuite::Impl& s, ByteView private_key) {
  if (private_key.size() != s.n_sk) return fail(Errc::invalid_key);
  KemPrivateKey out;
  if (s.kem == KemCurve::nist) {
    auto key =
        ec_private_key(s.kem_group.get(), s.kem_group_name, private_key, s.n_sk, out.public_key);
    if (!key) return fail(key.error());
    out.pkey = std::move(*key);
  } else {
    auto key = raw_private_key(s.kem_key_type, private_key);
    if (!key) return fail(key.error());
    out.pkey = std::move(*key);
    out.public_key = raw_public_of(out.pkey.get());
  }
  return out;
}

Result<ossl::UniquePtr<EVP_PKEY>> load_kem_public(const CipherSuite::Impl& s, ByteView public_key) {
  if (public_key.size() != s.n_pk) return fail(Errc::invalid_key);
  if (s.kem == KemCurve::nist)
    return ec_public_key(s.kem_group.get(), s.kem_group_name, public_key);
  return raw_public_key(s.kem_key_type, public_key);
}

Result<Encapsulation> encap(const CipherSuite::Impl& s, ByteView public_key, Rng& rng) {
  auto recipient = load_kem_public(s, public_key);
  if (!recipient) return fail(recipient.error());
  Secret ikm(s.n_sk);
  rng.fill({ikm.data(), ikm.size()});
  auto sk = derive_kem_private(s, ikm.view());
  if (!sk) return fail(sk.error());
  auto ephemeral = load_kem_private(s, sk->view());
  if (!ephemeral) return fail(ephemeral.error());
  auto dh_out = dh(ephemeral->pkey.get(), recipient->get());
  if (!dh_out) return fail(dh_out.error());
  Secret shared = extract_and_expand(s, dh_out->view(), ephemeral->public_key, public_key);
  return Encapsulation{std::move(shared), std::move(ephemeral->public_key)};
}

Result<Secret> decap(const CipherSuite::Impl& s, ByteView enc, const KemPrivateKey& recipient) {
  auto ephemeral = load_kem_public(s, enc);
  if (!ephemeral) return fail(ephemeral.error());
  auto dh_out = dh(recipient.pkey.get(), ephemeral->get());
  if (!dh_out) return fail(dh_out.error());
  return extract_and_expand(s, dh_out->view(), enc, recipient.public_key);
}

}  // namespace conclave::mls::crypto_detail
