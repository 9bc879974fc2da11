// mls/crypto wrappers against the same operation written directly on OpenSSL 3.0 EVP, suite
// 0x0001 (X25519, HKDF-SHA256, AES-128-GCM, Ed25519). Pairs are named <op>/wrapper and
// <op>/bare; the target is wrapper <= 1.3 x bare.
//
// What each side includes:
//  - expand_with_label: wrapper serializes KDFLabel and expands; bare expands pre-serialized
//    KDFLabel bytes with EVP_KDF "HKDF" (EXPAND_ONLY, pre-fetched EVP_KDF).
//  - sign_with_label: wrapper = SigningKey::sign_with_label (builds SignContent, then signs
//    with its parsed key); bare = EVP_DigestSign over pre-built SignContent with a ready EVP_PKEY.
//  - verify_with_label: both construct the Ed25519 key from its raw 32 bytes on every call;
//    bare verifies pre-built SignContent.
//  - hpke_seal / hpke_open: RFC 9180 SealBase/OpenBase single shot. Bare runs the RFC sequence
//    with EVP calls (X25519 keygen via EVP_PKEY_keygen, derive, HKDF via EVP_KDF, AES-128-GCM),
//    recomputing psk_id_hash each time as the RFC writes it; open constructs the recipient key
//    from raw bytes on both sides. The wrapper draws its ephemeral as DeriveKeyPair(random).
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "mls/crypto/cipher_suite.h"

namespace {

using conclave::mls::Bytes;
using conclave::mls::ByteView;
using conclave::mls::CipherSuite;

const CipherSuite& suite1() { return **CipherSuite::get(1); }

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, Deleter<EVP_KDF_CTX, EVP_KDF_CTX_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "bench setup failed: %s\n", what);
    std::abort();
  }
}

void append(Bytes& out, ByteView v) { out.insert(out.end(), v.begin(), v.end()); }
void append(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

// Minimal-length varint for the short vectors used here (< 64 bytes, RFC 9420 §2.1.2).
void append_vector(Bytes& out, ByteView v) {
  out.push_back(static_cast<std::uint8_t>(v.size()));
  append(out, v);
}

// --- bare HKDF with EVP_KDF ---

EVP_KDF* hkdf() {
  static EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return kdf;
}

void bare_hkdf(int mode, ByteView key, ByteView salt_or_info, std::uint8_t* out, std::size_t len) {
  KdfCtxPtr ctx(EVP_KDF_CTX_new(hkdf()));
  const bool extract = mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(key.data()),
                                        key.size()),
      OSSL_PARAM_construct_octet_string(extract ? OSSL_KDF_PARAM_SALT : OSSL_KDF_PARAM_INFO,
                                        const_cast<std::uint8_t*>(salt_or_info.data()),
                                        salt_or_info.size()),
      OSSL_PARAM_construct_end()};
  require(ctx && EVP_KDF_derive(ctx.get(), out, len, params) == 1, "EVP_KDF_derive");
}

// RFC 9180 §4 LabeledExtract / LabeledExpand, built the plain way (concatenate, then HKDF).
constexpr std::array<std::uint8_t, 5> kKemSuiteId{'K', 'E', 'M', 0x00, 0x20};
constexpr std::array<std::uint8_t, 10> kHpkeSuiteId{'H',  'P',  'K',  'E',  0x00,
                                                    0x20, 0x00, 0x01, 0x00, 0x01};

void bare_labeled_extract(ByteView suite_id, ByteView salt, std::string_view label, ByteView ikm,
                          std::uint8_t* out) {
  Bytes labeled;
  labeled.reserve(64 + ikm.size());
  append(labeled, std::string_view("HPKE-v1"));
  append(labeled, suite_id);
  append(labeled, label);
  append(labeled, ikm);
  // An empty salt is HashLen zeros (RFC 5869 §2.2), passed explicitly.
  static const std::array<std::uint8_t, 32> kZeros{};
  bare_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, labeled, salt.empty() ? ByteView(kZeros) : salt, out,
            32);
}

void bare_labeled_expand(ByteView suite_id, ByteView prk, std::string_view label, ByteView info,
                         std::uint8_t* out, std::size_t len) {
  Bytes labeled;
  labeled.reserve(64 + info.size());
  labeled.push_back(static_cast<std::uint8_t>(len >> 8));
  labeled.push_back(static_cast<std::uint8_t>(len));
  append(labeled, std::string_view("HPKE-v1"));
  append(labeled, suite_id);
  append(labeled, label);
  append(labeled, info);
  bare_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, labeled, out, len);
}

// --- ExpandWithLabel ---

struct ExpandInputs {
  Bytes secret = Bytes(32, 0x42);
  Bytes context = Bytes(32, 0x17);
  Bytes kdf_label;  // KDFLabel for ("key", context, 16), serialized once for the bare side
  ExpandInputs() {
    kdf_label.reserve(64);
    kdf_label.push_back(0x00);
    kdf_label.push_back(0x10);  // length 16
    append_vector(kdf_label, conclave::mls::as_bytes("MLS 1.0 key"));
    append_vector(kdf_label, context);
  }
};

void BM_ExpandWithLabelWrapper(benchmark::State& state) {
  const ExpandInputs in;
  for (auto _ : state) {
    auto out = suite1().expand_with_label(in.secret, "key", in.context, 16);
    benchmark::DoNotOptimize(out.view().data());
  }
}
BENCHMARK(BM_ExpandWithLabelWrapper)->Name("expand_with_label/wrapper");

void BM_ExpandWithLabelBare(benchmark::State& state) {
  const ExpandInputs in;
  // Cross-check once that both sides compute the same bytes.
  std::array<std::uint8_t, 16> out{};
  bare_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, in.secret, in.kdf_label, out.data(), out.size());
  require(
      ByteView(out).size() == 16 &&
          std::equal(out.begin(), out.end(),
                     suite1().expand_with_label(in.secret, "key", in.context, 16).view().begin()),
      "expand_with_label mismatch");
  for (auto _ : state) {
    bare_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, in.secret, in.kdf_label, out.data(), out.size());
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_ExpandWithLabelBare)->Name("expand_with_label/bare");

// --- SignWithLabel / VerifyWithLabel (Ed25519) ---

struct SignInputs {
  conclave::mls::KeyPair key_pair = suite1().generate_signature_key_pair();
  Bytes content = Bytes(256, 0x5c);
  Bytes sign_content;  // SignContent for ("LeafNodeTBS", content), serialized once
  SignInputs() {
    sign_content.reserve(512);
    append_vector(sign_content, conclave::mls::as_bytes("MLS 1.0 LeafNodeTBS"));
    // 256 bytes need the 2-byte varint header.
    sign_content.push_back(0x41);
    sign_content.push_back(0x00);
    append(sign_content, content);
  }
};

Bytes bare_sign(EVP_PKEY* key, ByteView message) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  require(
      ctx &&
          EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key, nullptr) == 1 &&
          EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) == 1,
      "DigestSign init");
  Bytes sig(len);
  require(EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) == 1,
          "DigestSign");
  return sig;
}

bool bare_verify(ByteView public_key, ByteView message, ByteView sig) {
  PkeyPtr key(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, public_key.data(),
                                             public_key.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  return key && ctx &&
         EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.get(),
                                 nullptr) == 1 &&
         EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message.data(), message.size()) == 1;
}

void BM_SignWithLabelWrapper(benchmark::State& state) {
  const SignInputs in;
  const auto key = suite1().signing_key(in.key_pair.private_key.view());
  require(key.has_value(), "signing_key");
  for (auto _ : state) {
    auto sig = key->sign_with_label("LeafNodeTBS", in.content);
    benchmark::DoNotOptimize(sig->data());
  }
}
BENCHMARK(BM_SignWithLabelWrapper)->Name("sign_with_label/wrapper");

void BM_SignWithLabelBare(benchmark::State& state) {
  const SignInputs in;
  const ByteView priv = in.key_pair.private_key.view();
  PkeyPtr key(
      EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, priv.data(), priv.size()));
  require(key != nullptr, "raw private key");
  // Ed25519 is deterministic: both sides must produce the same signature.
  require(bare_sign(key.get(), in.sign_content) ==
              *suite1().sign_with_label(priv, "LeafNodeTBS", in.content),
          "sign_with_label mismatch");
  for (auto _ : state) {
    auto sig = bare_sign(key.get(), in.sign_content);
    benchmark::DoNotOptimize(sig.data());
  }
}
BENCHMARK(BM_SignWithLabelBare)->Name("sign_with_label/bare");

void BM_VerifyWithLabelWrapper(benchmark::State& state) {
  const SignInputs in;
  const Bytes sig =
      *suite1().sign_with_label(in.key_pair.private_key.view(), "LeafNodeTBS", in.content);
  for (auto _ : state) {
    const bool ok =
        suite1().verify_with_label(in.key_pair.public_key, "LeafNodeTBS", in.content, sig);
    require(ok, "verify");
  }
}
BENCHMARK(BM_VerifyWithLabelWrapper)->Name("verify_with_label/wrapper");

void BM_VerifyWithLabelBare(benchmark::State& state) {
  const SignInputs in;
  const Bytes sig =
      *suite1().sign_with_label(in.key_pair.private_key.view(), "LeafNodeTBS", in.content);
  for (auto _ : state) {
    const bool ok = bare_verify(in.key_pair.public_key, in.sign_content, sig);
    require(ok, "bare verify");
  }
}
BENCHMARK(BM_VerifyWithLabelBare)->Name("verify_with_label/bare");

// --- HPKE SealBase / OpenBase (RFC 9180 §6.1) ---

Bytes raw_public(EVP_PKEY* key) {
  std::size_t n = 32;
  Bytes out(n);
  require(EVP_PKEY_get_raw_public_key(key, out.data(), &n) == 1 && n == 32, "raw public");
  return out;
}

std::array<std::uint8_t, 32> bare_dh(EVP_PKEY* own, EVP_PKEY* peer) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
  std::array<std::uint8_t, 32> out{};
  std::size_t len = out.size();
  require(ctx && EVP_PKEY_derive_init(ctx.get()) == 1 &&
              EVP_PKEY_derive_set_peer(ctx.get(), peer) == 1 &&
              EVP_PKEY_derive(ctx.get(), out.data(), &len) == 1,
          "X25519 derive");
  return out;
}

struct BareKeys {
  std::array<std::uint8_t, 16> key{};
  std::array<std::uint8_t, 12> nonce{};
};

// ExtractAndExpand (§4.1) followed by KeySchedule(mode_base) (§5.1).
BareKeys bare_schedule(ByteView dh, ByteView enc, ByteView pk_rm, ByteView info) {
  std::array<std::uint8_t, 32> eae_prk{};
  bare_labeled_extract(kKemSuiteId, {}, "eae_prk", dh, eae_prk.data());
  Bytes kem_context(enc.begin(), enc.end());
  append(kem_context, pk_rm);
  std::array<std::uint8_t, 32> shared{};
  bare_labeled_expand(kKemSuiteId, eae_prk, "shared_secret", kem_context, shared.data(), 32);

  std::array<std::uint8_t, 65> context{};
  bare_labeled_extract(kHpkeSuiteId, {}, "psk_id_hash", {}, context.data() + 1);
  bare_labeled_extract(kHpkeSuiteId, {}, "info_hash", info, context.data() + 33);
  std::array<std::uint8_t, 32> secret{};
  bare_labeled_extract(kHpkeSuiteId, shared, "secret", {}, secret.data());
  BareKeys keys;
  bare_labeled_expand(kHpkeSuiteId, secret, "key", context, keys.key.data(), 16);
  bare_labeled_expand(kHpkeSuiteId, secret, "base_nonce", context, keys.nonce.data(), 12);
  return keys;
}

conclave::mls::HpkeCiphertext bare_seal(ByteView pk_rm, ByteView info, ByteView aad, ByteView pt) {
  PkeyCtxPtr gen(EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr));
  EVP_PKEY* raw = nullptr;
  require(gen && EVP_PKEY_keygen_init(gen.get()) == 1 && EVP_PKEY_keygen(gen.get(), &raw) == 1,
          "keygen");
  PkeyPtr ephemeral(raw);
  PkeyPtr recipient(
      EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, pk_rm.data(), pk_rm.size()));
  require(recipient != nullptr, "recipient key");
  const auto dh = bare_dh(ephemeral.get(), recipient.get());
  Bytes enc = raw_public(ephemeral.get());
  const BareKeys keys = bare_schedule(dh, enc, pk_rm, info);

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes ct(pt.size() + 16);
  int len = 0;
  require(ctx &&
              EVP_EncryptInit_ex2(ctx.get(), EVP_aes_128_gcm(), keys.key.data(), keys.nonce.data(),
                                  nullptr) == 1 &&
              EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                static_cast<int>(aad.size())) == 1 &&
              EVP_EncryptUpdate(ctx.get(), ct.data(), &len, pt.data(),
                                static_cast<int>(pt.size())) == 1 &&
              EVP_EncryptFinal_ex(ctx.get(), ct.data() + pt.size(), &len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, ct.data() + pt.size()) == 1,
          "AES-GCM seal");
  return {std::move(enc), std::move(ct)};
}

bool bare_open(ByteView sk_rm, ByteView info, ByteView aad, const conclave::mls::HpkeCiphertext& in,
               Bytes& pt) {
  PkeyPtr recipient(
      EVP_PKEY_new_raw_private_key_ex(nullptr, "X25519", nullptr, sk_rm.data(), sk_rm.size()));
  PkeyPtr ephemeral(EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, in.kem_output.data(),
                                                   in.kem_output.size()));
  if (!recipient || !ephemeral || in.ciphertext.size() < 16) return false;
  const auto dh = bare_dh(recipient.get(), ephemeral.get());
  const Bytes pk_rm = raw_public(recipient.get());
  const BareKeys keys = bare_schedule(dh, in.kem_output, pk_rm, info);

  const std::size_t body = in.ciphertext.size() - 16;
  std::array<std::uint8_t, 16> tag{};
  std::copy_n(in.ciphertext.begin() + static_cast<std::ptrdiff_t>(body), 16, tag.begin());
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  pt.resize(body);
  int len = 0;
  return ctx &&
         EVP_DecryptInit_ex2(ctx.get(), EVP_aes_128_gcm(), keys.key.data(), keys.nonce.data(),
                             nullptr) == 1 &&
         EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) ==
             1 &&
         EVP_DecryptUpdate(ctx.get(), pt.data(), &len, in.ciphertext.data(),
                           static_cast<int>(body)) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, 16, tag.data()) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), pt.data() + body, &len) == 1;
}

struct HpkeInputs {
  conclave::mls::KeyPair recipient = suite1().generate_hpke_key_pair();
  Bytes info = Bytes(32, 0x01);
  Bytes aad = Bytes(16, 0x02);
  Bytes plaintext = Bytes(64, 0x03);
};

void BM_HpkeSealWrapper(benchmark::State& state) {
  const HpkeInputs in;
  for (auto _ : state) {
    auto ct = suite1().hpke_seal(in.recipient.public_key, in.info, in.aad, in.plaintext);
    benchmark::DoNotOptimize(ct->ciphertext.data());
  }
}
BENCHMARK(BM_HpkeSealWrapper)->Name("hpke_seal/wrapper");

void BM_HpkeSealBare(benchmark::State& state) {
  const HpkeInputs in;
  // Cross-check: what the bare sequence seals, the wrapper opens.
  const auto check = bare_seal(in.recipient.public_key, in.info, in.aad, in.plaintext);
  const auto opened = suite1().hpke_open(in.recipient.private_key.view(), in.info, in.aad, check);
  require(opened && *opened == in.plaintext, "bare seal / wrapper open mismatch");
  for (auto _ : state) {
    auto ct = bare_seal(in.recipient.public_key, in.info, in.aad, in.plaintext);
    benchmark::DoNotOptimize(ct.ciphertext.data());
  }
}
BENCHMARK(BM_HpkeSealBare)->Name("hpke_seal/bare");

void BM_HpkeOpenWrapper(benchmark::State& state) {
  const HpkeInputs in;
  const auto ct = *suite1().hpke_seal(in.recipient.public_key, in.info, in.aad, in.plaintext);
  for (auto _ : state) {
    auto pt = suite1().hpke_open(in.recipient.private_key.view(), in.info, in.aad, ct);
    benchmark::DoNotOptimize(pt->data());
  }
}
BENCHMARK(BM_HpkeOpenWrapper)->Name("hpke_open/wrapper");

void BM_HpkeOpenBare(benchmark::State& state) {
  const HpkeInputs in;
  const auto ct = *suite1().hpke_seal(in.recipient.public_key, in.info, in.aad, in.plaintext);
  Bytes pt;
  require(bare_open(in.recipient.private_key.view(), in.info, in.aad, ct, pt) && pt == in.plaintext,
          "wrapper seal / bare open mismatch");
  for (auto _ : state) {
    const bool ok = bare_open(in.recipient.private_key.view(), in.info, in.aad, ct, pt);
    require(ok, "bare open");
    benchmark::DoNotOptimize(pt.data());
  }
}
BENCHMARK(BM_HpkeOpenBare)->Name("hpke_open/bare");

}  // namespace
