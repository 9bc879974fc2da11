// key-schedule.json (RFC 9420 §8): for every epoch, the GroupContext encoding and every secret
// the schedule derives, chaining init_secret from one epoch to the next, plus the external
// public key and one MLS-Exporter output.
#include <string>

#include "mls/codec/codec.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/schedule/group_context.h"
#include "mls/schedule/key_schedule.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_key_schedule(const nlohmann::json& file, Report& report) {
  for (const auto& tc : file) {
    const auto suite_id = tc.at("cipher_suite").get<std::uint16_t>();
    const mls::CipherSuite* suite = case_suite(tc, "suite " + std::to_string(suite_id), report);
    if (suite == nullptr) continue;
    const mls::CipherSuite& cs = *suite;
    const mls::Bytes group_id = hex_field(tc, "group_id");
    mls::InitSecret init(hex_field(tc, "initial_init_secret"));

    std::uint64_t epoch = 0;
    for (const auto& ep : tc.at("epochs")) {
      const std::string where =
          "suite " + std::to_string(suite_id) + " epoch " + std::to_string(epoch);
      const mls::GroupContext gc{
          .cipher_suite = suite_id,
          .group_id = group_id,
          .epoch = epoch,
          .tree_hash = hex_field(ep, "tree_hash"),
          .confirmed_transcript_hash = hex_field(ep, "confirmed_transcript_hash"),
          .extensions = {},
      };
      const mls::Bytes gc_bytes = mls::encode(gc);
      report.expect(same(gc_bytes, hex_field(ep, "group_context")), where + " group_context");

      const mls::CommitSecret commit(hex_field(ep, "commit_secret"));
      const mls::PskSecret psk(hex_field(ep, "psk_secret"));
      auto ks = mls::run_key_schedule(cs, init, commit, psk, gc_bytes);
      const auto expect = [&](const auto& secret, const char* name) {
        report.expect(same(secret.view(), hex_field(ep, name)), where + " " + name);
      };
      expect(ks.joiner_secret, "joiner_secret");
      expect(ks.welcome_secret, "welcome_secret");
      expect(ks.secrets.init_secret, "init_secret");
      expect(ks.secrets.sender_data_secret, "sender_data_secret");
      expect(ks.secrets.encryption_secret, "encryption_secret");
      expect(ks.secrets.exporter_secret, "exporter_secret");
      expect(ks.secrets.epoch_authenticator, "epoch_authenticator");
      expect(ks.secrets.external_secret, "external_secret");
      expect(ks.secrets.confirmation_key, "confirmation_key");
      expect(ks.secrets.membership_key, "membership_key");
      expect(ks.secrets.resumption_psk, "resumption_psk");

      // A joiner holding only joiner_secret reaches the same epoch.
      const auto joined = mls::join_key_schedule(cs, ks.joiner_secret, psk, gc_bytes);
      report.expect(same(joined.encryption_secret.view(), hex_field(ep, "encryption_secret")),
                    where + " encryption_secret via joiner_secret");

      const auto external = mls::derive_external_key_pair(cs, ks.secrets.external_secret);
      report.expect(external && same(external->public_key, hex_field(ep, "external_pub")),
                    where + " external_pub");

      const auto& ex = ep.at("exporter");
      // The format lists `label` as a string; the generator's label is the hex text itself,
      // used as is (not decoded).
      const auto label = ex.at("label").get<std::string>();
      const auto exported =
          mls::mls_exporter(cs, ks.secrets.exporter_secret, label, hex_field(ex, "context"),
                            ex.at("length").get<std::size_t>());
      report.expect(exported && same(exported->view(), hex_field(ex, "secret")),
                    where + " exporter secret");

      init = std::move(ks.secrets.init_secret);
      ++epoch;
    }
  }
}

}  // namespace conclave::vectors
