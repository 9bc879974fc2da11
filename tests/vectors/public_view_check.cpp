// public-view: the passive-client-*.json scenarios followed by the delivery service's
// PublicGroup (no secrets). The view is built from the Welcome's GroupInfo and the ratchet tree,
// then must accept every epoch's proposals and commit; each commit's signature covers the
// GroupContext, so it verifies only if the view's tree hash and transcript hashes are right.
// The member's Group runs alongside and both must agree on epoch and tree hash.
#include <string>

#include "mls/codec/codec.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/mls_message.h"
#include "mls/group/group.h"
#include "mls/group/public_group.h"
#include "mls/group/welcome_crypto.h"
#include "mls/schedule/key_schedule.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

namespace {

bool same(mls::ByteView a, mls::ByteView b) { return std::ranges::equal(a, b); }

// The decrypted GroupInfo of the scenario's Welcome (what a joiner hands the service, or what
// the committer publishes).
mls::Result<mls::GroupInfo> welcome_group_info(const mls::CipherSuite& cs, const nlohmann::json& tc,
                                               const mls::Welcome& welcome,
                                               const mls::KeyPackage& kp) {
  mls::Bytes init = hex_field(tc, "init_priv");
  if (cs.id() == mls::CipherSuiteId::mls_256_dhkemp521_aes256gcm_sha512_p521 && init.size() < 66) {
    init.insert(init.begin(), 66 - init.size(), 0);  // see passive_client_check.cpp
  }
  auto gs = mls::open_group_secrets(cs, welcome, mls::key_package_ref(cs, kp), init);
  if (!gs) return mls::fail(gs.error());
  std::vector<mls::Bytes> values;
  for (const auto& id : gs->psks) {
    const auto* e = std::get_if<mls::ExternalPskId>(&id.id);
    if (e == nullptr) return mls::fail(mls::Errc::unknown_psk);
    bool found = false;
    for (const auto& p : tc.at("external_psks")) {
      if (hex_field(p, "psk_id") == e->psk_id) {
        values.push_back(hex_field(p, "psk"));
        found = true;
      }
    }
    if (!found) return mls::fail(mls::Errc::unknown_psk);
  }
  std::vector<mls::ByteView> views(values.begin(), values.end());
  auto psk = mls::derive_psk_secret(cs, gs->psks, views);
  if (!psk) return mls::fail(psk.error());
  const mls::JoinerSecret joiner(gs->joiner_secret);
  const auto inter = mls::derive_intermediate_secret(cs, joiner, *psk);
  return mls::open_group_info(cs, mls::derive_welcome_secret(cs, inter),
                              welcome.encrypted_group_info);
}

}  // namespace

void check_public_view(const nlohmann::json& file, Report& report) {
  std::size_t index = 0;
  for (const auto& tc : file) {
    const auto suite_id = tc.at("cipher_suite").get<std::uint16_t>();
    const std::string where =
        "case " + std::to_string(index++) + " suite " + std::to_string(suite_id);
    const auto suite = mls::CipherSuite::get(suite_id);
    if (!suite) {
      report.fail(where + ": unsupported cipher suite");
      continue;
    }
    const mls::CipherSuite& cs = **suite;
    const auto kp_msg = mls::decode<mls::MlsMessage>(hex_field(tc, "key_package"));
    const auto w_msg = mls::decode<mls::MlsMessage>(hex_field(tc, "welcome"));
    if (!kp_msg || !w_msg || kp_msg->wire_format() != mls::WireFormat::key_package ||
        w_msg->wire_format() != mls::WireFormat::welcome) {
      report.fail(where + ": key_package / welcome do not decode");
      continue;
    }
    const auto& kp = std::get<mls::KeyPackage>(kp_msg->message);
    std::optional<mls::RatchetTree> tree;
    if (!tc.at("ratchet_tree").is_null()) {
      auto t = mls::decode<mls::RatchetTree>(hex_field(tc, "ratchet_tree"));
      if (!t) {
        report.fail(where + ": ratchet_tree does not decode");
        continue;
      }
      tree = std::move(*t);
    }
    const auto gi = welcome_group_info(cs, tc, std::get<mls::Welcome>(w_msg->message), kp);
    if (!gi) {
      report.fail(where + ": GroupInfo: " + gi.error().message());
      continue;
    }
    auto view = mls::PublicGroup::from_group_info(cs, *gi, tree);
    if (!view) {
      report.fail(where + ": public view: " + view.error().message());
      continue;
    }
    report.pass();
    std::size_t e = 0;
    for (const auto& ep : tc.at("epochs")) {
      const std::string at = where + " epoch " + std::to_string(e++);
      bool ok = true;
      for (const auto& p : ep.at("proposals")) {
        const auto msg = mls::decode<mls::MlsMessage>(mls::Bytes(hex_field({{"x", p}}, "x")));
        const auto st = msg ? view->handle_proposal(*msg) : mls::Status(mls::fail(msg.error()));
        if (!st) {
          report.fail(at + ": proposal rejected: " + st.error().message());
          ok = false;
          break;
        }
      }
      if (!ok) break;
      const auto commit = mls::decode<mls::MlsMessage>(hex_field(ep, "commit"));
      auto staged = commit ? view->stage_commit(*commit)
                           : mls::Result<mls::StagedPublicCommit>(mls::fail(commit.error()));
      if (!staged) {
        report.fail(at + ": commit rejected: " + staged.error().message());
        break;
      }
      const std::uint64_t expect_epoch = view->epoch() + 1;
      *view = std::move(*staged).merge();
      report.expect(
          view->epoch() == expect_epoch && same(view->tree_hash(), view->context().tree_hash),
          at + ": epoch / tree hash");
    }
  }
}

}  // namespace conclave::vectors
