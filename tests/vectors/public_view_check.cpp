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
#include "tests/vectors/passive_client_case.h"

namespace conclave::vectors {

namespace {

// The decrypted GroupInfo of the scenario's Welcome (what a joiner hands the service, or what
// the committer publishes).
mls::Result<mls::GroupInfo> welcome_group_info(const PassiveClientCase& c) {
  const mls::CipherSuite& cs = *c.suite;
  auto gs =
      mls::open_group_secrets(cs, c.welcome, mls::key_package_ref(cs, c.key_package), c.init_priv);
  if (!gs) return mls::fail(gs.error());
  std::vector<mls::ByteView> values;
  for (const auto& id : gs->psks) {
    const auto* e = std::get_if<mls::ExternalPskId>(&id.id);
    const mls::Bytes* value = e != nullptr ? c.psk(e->psk_id) : nullptr;
    if (value == nullptr) return mls::fail(mls::Errc::unknown_psk);
    values.emplace_back(*value);
  }
  auto psk = mls::derive_psk_secret(cs, gs->psks, values);
  if (!psk) return mls::fail(psk.error());
  const mls::JoinerSecret joiner(gs->joiner_secret);
  const auto inter = mls::derive_intermediate_secret(cs, joiner, *psk);
  return mls::open_group_info(cs, mls::derive_welcome_secret(cs, inter),
                              c.welcome.encrypted_group_info);
}

}  // namespace

void check_public_view(const nlohmann::json& file, Report& report) {
  std::size_t index = 0;
  for (const auto& tc : file) {
    auto c = load_passive_client_case(tc, index++, report);
    if (!c) continue;
    const std::string& where = c->where;
    const auto gi = welcome_group_info(*c);
    if (!gi) {
      report.fail(where + ": GroupInfo: " + gi.error().message());
      continue;
    }
    auto view = mls::PublicGroup::from_group_info(*c->suite, *gi, c->tree);
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
        const auto msg = epoch_proposal(p);
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
