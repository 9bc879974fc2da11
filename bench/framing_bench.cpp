// PrivateMessage protect / unprotect (RFC 9420 §6.3) of a 256-byte application message, suite
// 0x0001, against the same OpenSSL work written directly with EVP. Pairs are named
// <op>/wrapper and <op>/bare; the target is wrapper <= 1.3 x bare.
//
// Per message, both sides do:
//  - protect: Ed25519 signature over FramedContentTBS (SignWithLabel); five HKDF-Expand calls
//    (ratchet key, nonce and next secret of the sender's application ratchet, then the
//    sender-data key and nonce from the ciphertext sample); 4 random bytes of reuse guard;
//    two AES-128-GCM seals (content, then SenderData).
//  - unprotect: the same five expansions, two AES-128-GCM opens, and an Ed25519 verification
//    with the key made from its raw 32 bytes (as a receiver holding a leaf's key does).
// Bare works on pre-serialised bytes (TBS, KDF labels, AADs, plaintext) taken from a real
// message; the wrapper builds and parses every structure itself.
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "mls/codec/codec.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/private_message_protect.h"

namespace {

namespace mls = conclave::mls;
using mls::Bytes;
using mls::ByteView;

constexpr std::size_t kAppSize = 256;
constexpr std::uint32_t kSender = 1;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "framing bench: %s failed\n", what);
    std::abort();
  }
}

// --- shared set-up: one epoch of a two-member group -------------------------------------------

struct Group {
  const mls::CipherSuite& suite = **mls::CipherSuite::get(1);
  mls::GroupContext context = [] {
    mls::GroupContext c;
    c.cipher_suite = 1;
    c.group_id = Bytes(16, 0x67);
    c.epoch = 42;
    c.tree_hash = Bytes(32, 0x74);
    c.confirmed_transcript_hash = Bytes(32, 0x63);
    return c;
  }();
  mls::MessageEpoch epoch{suite, context};
  mls::KeyPair key_pair = suite.generate_signature_key_pair();
  mls::SigningKey signer = *suite.signing_key(key_pair.private_key.view());
  Bytes encryption_secret = Bytes(32, 0x45);
  mls::SenderDataSecret sender_data_secret{ByteView(Bytes(32, 0x53))};

  mls::SecretTree tree() const {
    return mls::SecretTree(suite, mls::EncryptionSecret(ByteView(encryption_secret)),
                           *mls::LeafCount::create(2));
  }
  mls::FramedContent content() const {
    mls::FramedContent c;
    c.group_id = context.group_id;
    c.epoch = context.epoch;
    c.sender.value = mls::MemberSender{kSender};
    c.content.value = mls::ApplicationData{Bytes(kAppSize, 0x61)};
    return c;
  }
  mls::SignatureKeyLookup lookup() const {
    return [this](const mls::Sender&) -> mls::Result<ByteView> {
      return ByteView(key_pair.public_key);
    };
  }
};

Group& group() {
  static Group g;
  return g;
}

mls::PrivateMessage wrapper_protect(Group& g, mls::SecretTree& tree) {
  auto ac = mls::sign_content(g.epoch, mls::WireFormat::private_message, g.content(), g.signer);
  check(ac.has_value(), "sign_content");
  auto pm = mls::protect_private_message(g.epoch, *ac, tree, g.sender_data_secret);
  check(pm.has_value(), "protect_private_message");
  return std::move(*pm);
}

// --- bare OpenSSL -----------------------------------------------------------------------------

template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const noexcept { F(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Free<EVP_MD_CTX, EVP_MD_CTX_free>>;
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, Free<EVP_KDF_CTX, EVP_KDF_CTX_free>>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, Free<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;

struct Bare {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_CIPHER* aes = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  Bare() { check(kdf != nullptr && aes != nullptr, "fetch"); }
};

Bare& bare() {
  static Bare b;
  return b;
}

void hkdf_expand(ByteView prk, ByteView info, std::uint8_t* out, std::size_t len) {
  KdfCtx ctx(EVP_KDF_CTX_new(bare().kdf));
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(prk.data()),
                                        prk.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end()};
  check(ctx && EVP_KDF_derive(ctx.get(), out, len, params) == 1, "EVP_KDF_derive");
}

// aes_gcm seals (encrypt) or opens `in` into `out`; the 16-byte tag follows the ciphertext.
bool aes_gcm(bool encrypt, const std::uint8_t* key, const std::uint8_t* nonce, ByteView aad,
             ByteView in, std::uint8_t* out) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const std::size_t body = encrypt ? in.size() : in.size() - 16;
  if (EVP_CipherInit_ex2(ctx.get(), bare().aes, key, nonce, encrypt ? 1 : 0, nullptr) != 1 ||
      EVP_CipherUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_CipherUpdate(ctx.get(), out, &len, in.data(), static_cast<int>(body)) != 1) {
    return false;
  }
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, 16,
                                      const_cast<std::uint8_t*>(in.data() + body)) != 1) {
    return false;
  }
  if (EVP_CipherFinal_ex(ctx.get(), out + len, &len) != 1) return false;
  return !encrypt || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, out + body) == 1;
}

// KDFLabel bytes for ExpandWithLabel(secret, label, context, length) (RFC 9420 §8).
Bytes kdf_label(std::string_view label, ByteView context, std::uint16_t length) {
  Bytes out{static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
  const std::string_view prefix = "MLS 1.0 ";
  out.push_back(static_cast<std::uint8_t>(prefix.size() + label.size()));
  out.insert(out.end(), prefix.begin(), prefix.end());
  out.insert(out.end(), label.begin(), label.end());
  out.push_back(static_cast<std::uint8_t>(context.size()));
  out.insert(out.end(), context.begin(), context.end());
  return out;
}

// The pre-serialised inputs the bare runs use, taken from one message of the wrapper.
struct BareInputs {
  Bytes sign_content;  // SignContent("FramedContentTBS", FramedContentTBS)
  Bytes signature;
  Bytes ratchet_secret = Bytes(32, 0x52);
  Bytes key_label, nonce_label, secret_label;  // DeriveTreeSecret labels, generation 0
  Bytes sender_data_secret = Bytes(32, 0x53);
  Bytes content_aad, sender_data_aad;
  Bytes plaintext;    // PrivateMessageContent
  Bytes sender_data;  // SenderData
  Bytes ciphertext, encrypted_sender_data;
  std::array<std::uint8_t, 16> key{};
  std::array<std::uint8_t, 12> nonce{};
};

BareInputs make_bare_inputs() {
  Group& g = group();
  BareInputs in;
  const mls::FramedContent content = g.content();
  const Bytes tbs = mls::encode_framed_content_tbs(mls::WireFormat::private_message, content,
                                                   g.epoch.encoded_context);
  // SignContent: opaque label<V> = "MLS 1.0 FramedContentTBS"; opaque content<V> (§5.1.2).
  const std::string_view label = "MLS 1.0 FramedContentTBS";
  mls::Writer sc;
  sc.write_varint(label.size());
  sc.write_raw(mls::as_bytes(label));
  sc.write_varint(tbs.size());
  sc.write_raw(tbs);
  in.sign_content = sc.take();
  auto sig = g.signer.sign_with_label("FramedContentTBS", tbs);
  check(sig.has_value(), "sign");
  in.signature = *sig;

  const std::array<std::uint8_t, 4> generation{};
  in.key_label = kdf_label("key", generation, 16);
  in.nonce_label = kdf_label("nonce", generation, 12);
  in.secret_label = kdf_label("secret", generation, 32);
  in.content_aad = mls::encode_private_content_aad(content.group_id, content.epoch,
                                                   mls::ContentType::application, {});
  in.sender_data_aad =
      mls::encode_sender_data_aad(content.group_id, content.epoch, mls::ContentType::application);
  mls::PrivateMessageContent pmc{content.content, {in.signature, {}}, 0};
  in.plaintext = mls::encode(pmc);
  in.sender_data = mls::encode(mls::SenderData{kSender, 0, {}});

  // One real sealed message for the bare opens.
  in.ciphertext.resize(in.plaintext.size() + 16);
  check(aes_gcm(true, in.key.data(), in.nonce.data(), in.content_aad, in.plaintext,
                in.ciphertext.data()),
        "seal");
  in.encrypted_sender_data.resize(in.sender_data.size() + 16);
  check(aes_gcm(true, in.key.data(), in.nonce.data(), in.sender_data_aad, in.sender_data,
                in.encrypted_sender_data.data()),
        "seal");
  return in;
}

// bare_ratchet_step: the three expansions of one ratchet generation.
void bare_ratchet_step(const BareInputs& in, std::uint8_t* key, std::uint8_t* nonce,
                       std::uint8_t* next) {
  hkdf_expand(in.ratchet_secret, in.key_label, key, 16);
  hkdf_expand(in.ratchet_secret, in.nonce_label, nonce, 12);
  hkdf_expand(in.ratchet_secret, in.secret_label, next, 32);
}

// bare_sender_data_key: ExpandWithLabel(sender_data_secret, "key"/"nonce", sample, Nk/Nn).
void bare_sender_data_key(const BareInputs& in, ByteView ciphertext, std::uint8_t* key,
                          std::uint8_t* nonce) {
  const ByteView sample = ciphertext.first(std::min<std::size_t>(32, ciphertext.size()));
  hkdf_expand(in.sender_data_secret, kdf_label("key", sample, 16), key, 16);
  hkdf_expand(in.sender_data_secret, kdf_label("nonce", sample, 12), nonce, 12);
}

// --- benchmarks -------------------------------------------------------------------------------

void private_message_protect_wrapper(benchmark::State& state) {
  Group& g = group();
  mls::SecretTree tree = g.tree();
  for (auto _ : state) {
    mls::PrivateMessage pm = wrapper_protect(g, tree);
    benchmark::DoNotOptimize(pm.ciphertext.data());
  }
}

void private_message_protect_bare(benchmark::State& state) {
  Group& g = group();
  const BareInputs in = make_bare_inputs();
  EVP_PKEY* raw_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                                   g.key_pair.private_key.view().data(), 32);
  const Pkey key(raw_key);
  check(key != nullptr, "ed25519 key");
  for (auto _ : state) {
    std::array<std::uint8_t, 64> signature{};
    std::size_t sig_len = signature.size();
    MdCtx md(EVP_MD_CTX_new());
    check(EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
              EVP_DigestSign(md.get(), signature.data(), &sig_len, in.sign_content.data(),
                             in.sign_content.size()) == 1,
          "EVP_DigestSign");
    std::array<std::uint8_t, 16> key_bytes{};
    std::array<std::uint8_t, 12> nonce{};
    std::array<std::uint8_t, 32> next{};
    bare_ratchet_step(in, key_bytes.data(), nonce.data(), next.data());
    std::array<std::uint8_t, 4> guard{};
    check(RAND_bytes(guard.data(), 4) == 1, "RAND_bytes");
    for (std::size_t i = 0; i < 4; ++i) nonce[i] ^= guard[i];
    Bytes ciphertext(in.plaintext.size() + 16);
    check(aes_gcm(true, key_bytes.data(), nonce.data(), in.content_aad, in.plaintext,
                  ciphertext.data()),
          "seal");
    std::array<std::uint8_t, 16> sd_key{};
    std::array<std::uint8_t, 12> sd_nonce{};
    bare_sender_data_key(in, ciphertext, sd_key.data(), sd_nonce.data());
    Bytes encrypted_sender_data(in.sender_data.size() + 16);
    check(aes_gcm(true, sd_key.data(), sd_nonce.data(), in.sender_data_aad, in.sender_data,
                  encrypted_sender_data.data()),
          "seal");
    benchmark::DoNotOptimize(ciphertext.data());
    benchmark::DoNotOptimize(encrypted_sender_data.data());
  }
}

void private_message_unprotect_wrapper(benchmark::State& state) {
  Group& g = group();
  // Each key is consumed once (§9.2), so every iteration needs its own message.
  mls::SecretTree sender = g.tree();
  std::vector<mls::PrivateMessage> messages;
  messages.reserve(state.max_iterations);
  for (benchmark::IterationCount i = 0; i < state.max_iterations; ++i) {
    messages.push_back(wrapper_protect(g, sender));
  }
  mls::SecretTree receiver = g.tree();
  const mls::SignatureKeyLookup lookup = g.lookup();
  std::size_t next = 0;
  for (auto _ : state) {
    auto ac = mls::unprotect_private_message(g.epoch, messages[next++], receiver,
                                             g.sender_data_secret, lookup);
    check(ac.has_value(), "unprotect_private_message");
    benchmark::DoNotOptimize(ac->auth.signature.data());
  }
}

void private_message_unprotect_bare(benchmark::State& state) {
  Group& g = group();
  const BareInputs in = make_bare_inputs();
  for (auto _ : state) {
    std::array<std::uint8_t, 16> sd_key{};
    std::array<std::uint8_t, 12> sd_nonce{};
    bare_sender_data_key(in, in.ciphertext, sd_key.data(), sd_nonce.data());
    std::array<std::uint8_t, 32> sender_data{};
    // The bare message was sealed under the fixed key/nonce of make_bare_inputs, so the derived
    // keys are computed (same cost) but the fixed ones open it.
    benchmark::DoNotOptimize(sd_key.data());
    check(aes_gcm(false, in.key.data(), in.nonce.data(), in.sender_data_aad,
                  in.encrypted_sender_data, sender_data.data()),
          "open sender data");
    std::array<std::uint8_t, 16> key_bytes{};
    std::array<std::uint8_t, 12> nonce{};
    std::array<std::uint8_t, 32> next{};
    bare_ratchet_step(in, key_bytes.data(), nonce.data(), next.data());
    benchmark::DoNotOptimize(key_bytes.data());
    Bytes plaintext(in.ciphertext.size() - 16);
    check(aes_gcm(false, in.key.data(), in.nonce.data(), in.content_aad, in.ciphertext,
                  plaintext.data()),
          "open content");
    const Pkey pub(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, g.key_pair.public_key.data(), 32));
    MdCtx md(EVP_MD_CTX_new());
    check(pub && EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, pub.get()) == 1 &&
              EVP_DigestVerify(md.get(), in.signature.data(), in.signature.size(),
                               in.sign_content.data(), in.sign_content.size()) == 1,
          "EVP_DigestVerify");
    benchmark::DoNotOptimize(plaintext.data());
  }
}

BENCHMARK(private_message_protect_wrapper)->Name("private_message_protect/wrapper");
BENCHMARK(private_message_protect_bare)->Name("private_message_protect/bare");
BENCHMARK(private_message_unprotect_wrapper)->Name("private_message_unprotect/wrapper");
BENCHMARK(private_message_unprotect_bare)->Name("private_message_unprotect/bare");

}  // namespace
