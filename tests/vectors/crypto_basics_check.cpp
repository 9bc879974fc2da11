// crypto-basics.json (RFC 9420 test vectors): every field of every case, per cipher suite.
#include <string>

#include "mls/crypto/cipher_suite.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {
namespace {

using mls::Bytes;
using mls::CipherSuite;

std::string str_field(const nlohmann::json& obj, const char* name) {
  return obj.at(name).get<std::string>();
}

bool same(const mls::Secret& s, const Bytes& b) { return mls::ct_equal(s.view(), b); }

void check_case(const CipherSuite& cs, const nlohmann::json& tc, Report& report) {
  const std::string at = "suite " + std::to_string(static_cast<int>(cs.id())) + ": ";

  const auto& rh = tc.at("ref_hash");
  report.expect(cs.ref_hash(str_field(rh, "label"), hex_field(rh, "value")) == hex_field(rh, "out"),
                at + "ref_hash");

  const auto& ewl = tc.at("expand_with_label");
  report.expect(
      same(cs.expand_with_label(hex_field(ewl, "secret"), str_field(ewl, "label"),
                                hex_field(ewl, "context"), ewl.at("length").get<std::size_t>()),
           hex_field(ewl, "out")),
      at + "expand_with_label");

  const auto& ds = tc.at("derive_secret");
  report.expect(
      same(cs.derive_secret(hex_field(ds, "secret"), str_field(ds, "label")), hex_field(ds, "out")),
      at + "derive_secret");

  const auto& dts = tc.at("derive_tree_secret");
  report.expect(same(cs.derive_tree_secret(hex_field(dts, "secret"), str_field(dts, "label"),
                                           dts.at("generation").get<std::uint32_t>(),
                                           dts.at("length").get<std::size_t>()),
                     hex_field(dts, "out")),
                at + "derive_tree_secret");

  const auto& swl = tc.at("sign_with_label");
  const Bytes sig_pub = hex_field(swl, "pub");
  const Bytes content = hex_field(swl, "content");
  const std::string sig_label = str_field(swl, "label");
  report.expect(cs.verify_with_label(sig_pub, sig_label, content, hex_field(swl, "signature")),
                at + "verify_with_label(given signature)");
  const auto fresh = cs.sign_with_label(hex_field(swl, "priv"), sig_label, content);
  report.expect(fresh && cs.verify_with_label(sig_pub, sig_label, content, *fresh),
                at + "verify_with_label(fresh signature)");
  const auto key = cs.signing_key(hex_field(swl, "priv"));
  report.expect(key && key->public_key() == sig_pub, at + "signing_key public key");

  const auto& ewl2 = tc.at("encrypt_with_label");
  const Bytes priv = hex_field(ewl2, "priv");
  const Bytes pub = hex_field(ewl2, "pub");
  const std::string enc_label = str_field(ewl2, "label");
  const Bytes context = hex_field(ewl2, "context");
  const Bytes plaintext = hex_field(ewl2, "plaintext");
  const mls::HpkeCiphertext given{hex_field(ewl2, "kem_output"), hex_field(ewl2, "ciphertext")};
  const auto opened = cs.decrypt_with_label(priv, enc_label, context, given);
  report.expect(opened && *opened == plaintext, at + "decrypt_with_label(given ciphertext)");
  const auto sealed = cs.encrypt_with_label(pub, enc_label, context, plaintext);
  const auto reopened =
      sealed ? cs.decrypt_with_label(priv, enc_label, context, *sealed) : mls::Result<Bytes>{};
  report.expect(sealed && reopened && *reopened == plaintext, at + "encrypt_with_label round trip");
  const auto recomputed = cs.hpke_public_key(priv);
  report.expect(recomputed && *recomputed == pub, at + "hpke_public_key");
}

}  // namespace

void check_crypto_basics(const nlohmann::json& file, Report& report) {
  for (const auto& tc : file) {
    const mls::CipherSuite* cs = case_suite(tc, "", report);
    if (cs == nullptr) continue;
    check_case(*cs, tc, report);
  }
}

}  // namespace conclave::vectors
