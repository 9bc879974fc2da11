// welcome.json (RFC 9420 §12.4.3.1): decrypt the GroupSecrets addressed to the key package,
// decrypt the GroupInfo with the welcome secret, verify its signature and confirmation tag.
#include <string>

#include "mls/codec/codec.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/mls_message.h"
#include "mls/group/welcome_crypto.h"
#include "mls/schedule/key_schedule.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_welcome(const nlohmann::json& file, Report& report) {
  for (const auto& tc : file) {
    const auto suite_id = tc.at("cipher_suite").get<std::uint16_t>();
    const std::string where = "suite " + std::to_string(suite_id);
    const mls::CipherSuite* suite = case_suite(tc, where, report);
    if (suite == nullptr) continue;
    const mls::CipherSuite& cs = *suite;
    const auto kp_msg = mls::decode<mls::MlsMessage>(hex_field(tc, "key_package"));
    const auto w_msg = mls::decode<mls::MlsMessage>(hex_field(tc, "welcome"));
    if (!kp_msg || !w_msg || kp_msg->wire_format() != mls::WireFormat::key_package ||
        w_msg->wire_format() != mls::WireFormat::welcome) {
      report.fail(where + ": key_package / welcome do not decode");
      continue;
    }
    const auto& kp = std::get<mls::KeyPackage>(kp_msg->message);
    const auto& welcome = std::get<mls::Welcome>(w_msg->message);
    const auto secrets = mls::open_group_secrets(cs, welcome, mls::key_package_ref(cs, kp),
                                                 hex_field(tc, "init_priv"));
    report.expect(secrets.has_value(), where + " decrypt GroupSecrets");
    if (!secrets) continue;
    const mls::JoinerSecret joiner(secrets->joiner_secret);
    const auto inter = mls::derive_intermediate_secret(cs, joiner, mls::zero_psk_secret(cs));
    const auto ws = mls::derive_welcome_secret(cs, inter);
    const auto gi = mls::open_group_info(cs, ws, welcome.encrypted_group_info);
    report.expect(gi.has_value(), where + " decrypt GroupInfo");
    if (!gi) continue;
    report.expect(mls::verify_group_info(cs, *gi, hex_field(tc, "signer_pub")),
                  where + " GroupInfo signature");
    const auto epoch = mls::join_key_schedule(cs, joiner, mls::zero_psk_secret(cs),
                                              mls::encode(gi->group_context));
    const auto tag = mls::confirmation_tag(cs, epoch.confirmation_key.view(),
                                           gi->group_context.confirmed_transcript_hash);
    report.expect(mls::ct_equal(tag, gi->confirmation_tag), where + " confirmation_tag");
  }
}

}  // namespace conclave::vectors
