#include "tests/vectors/passive_client_case.h"

#include <algorithm>

#include "mls/codec/codec.h"

namespace conclave::vectors {

namespace {

// RFC 9180 §7.1.2 serializes a P-521 private key in exactly Nsk = 66 bytes, but some vectors
// drop a leading zero byte (65 bytes); restore it.
mls::Bytes hpke_private(const mls::CipherSuite& cs, mls::Bytes key) {
  constexpr std::size_t kP521Nsk = 66;
  if (cs.id() == mls::CipherSuiteId::mls_256_dhkemp521_aes256gcm_sha512_p521 &&
      key.size() < kP521Nsk) {
    key.insert(key.begin(), kP521Nsk - key.size(), 0);
  }
  return key;
}

}  // namespace

mls::PskStore PassiveClientCase::psks() const {
  mls::PskStore store;
  for (const auto& [id, value] : external_psks) store.emplace(id, mls::Secret(value));
  return store;
}

const mls::Bytes* PassiveClientCase::psk(mls::ByteView id) const {
  for (const auto& [psk_id, value] : external_psks) {
    if (std::ranges::equal(psk_id, id)) return &value;
  }
  return nullptr;
}

std::optional<PassiveClientCase> load_passive_client_case(const nlohmann::json& tc,
                                                          std::size_t index, Report& report) {
  PassiveClientCase c;
  const auto suite_id = tc.at("cipher_suite").get<std::uint16_t>();
  c.where = "case " + std::to_string(index) + " suite " + std::to_string(suite_id);
  const mls::CipherSuite* suite = case_suite(tc, c.where, report);
  if (suite == nullptr) return std::nullopt;
  c.suite = suite;
  auto kp_msg = mls::decode<mls::MlsMessage>(hex_field(tc, "key_package"));
  auto w_msg = mls::decode<mls::MlsMessage>(hex_field(tc, "welcome"));
  if (!kp_msg || !w_msg || kp_msg->wire_format() != mls::WireFormat::key_package ||
      w_msg->wire_format() != mls::WireFormat::welcome) {
    report.fail(c.where + ": key_package / welcome do not decode");
    return std::nullopt;
  }
  c.key_package = std::get<mls::KeyPackage>(std::move(kp_msg->message));
  c.welcome = std::get<mls::Welcome>(std::move(w_msg->message));
  if (!tc.at("ratchet_tree").is_null()) {
    auto t = mls::decode<mls::RatchetTree>(hex_field(tc, "ratchet_tree"));
    if (!t) {
      report.fail(c.where + ": ratchet_tree does not decode");
      return std::nullopt;
    }
    c.tree = std::move(*t);
  }
  for (const auto& p : tc.at("external_psks")) {
    c.external_psks.emplace_back(hex_field(p, "psk_id"), hex_field(p, "psk"));
  }
  c.init_priv = hpke_private(*c.suite, hex_field(tc, "init_priv"));
  c.encryption_priv = hpke_private(*c.suite, hex_field(tc, "encryption_priv"));
  c.signature_priv = hex_field(tc, "signature_priv");
  return c;
}

mls::Result<mls::MlsMessage> epoch_proposal(const nlohmann::json& entry) {
  return mls::decode<mls::MlsMessage>(hex_field(nlohmann::json{{"x", entry}}, "x"));
}

}  // namespace conclave::vectors
