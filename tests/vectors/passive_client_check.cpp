// passive-client-*.json (RFC 9420 §12.4.3.1, §12.4.2): join from a Welcome with the given keys
// and PSKs, then follow every epoch's proposals and commit, comparing epoch authenticators.
#include <string>

#include "mls/codec/codec.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/mls_message.h"
#include "mls/group/group.h"
#include "tests/vectors/kinds.h"
#include "tests/vectors/passive_client_case.h"

namespace conclave::vectors {

void check_passive_client(const nlohmann::json& file, Report& report) {
  std::size_t index = 0;
  for (const auto& tc : file) {
    auto c = load_passive_client_case(tc, index++, report);
    if (!c) continue;
    const std::string& where = c->where;
    mls::KeyPackageSecrets secrets{mls::Secret(c->init_priv), mls::Secret(c->encryption_priv),
                                   mls::Secret(c->signature_priv)};
    auto group = mls::Group::join(*c->suite, c->welcome, c->key_package, std::move(secrets),
                                  c->tree, c->psks());
    if (!group) {
      report.fail(where + ": join failed: " + group.error().message());
      continue;
    }
    report.expect(same(group->epoch_authenticator(), hex_field(tc, "initial_epoch_authenticator")),
                  where + " initial_epoch_authenticator");
    std::size_t e = 0;
    for (const auto& ep : tc.at("epochs")) {
      const std::string at = where + " epoch " + std::to_string(e++);
      bool ok = true;
      for (const auto& p : ep.at("proposals")) {
        const auto msg = epoch_proposal(p);
        const auto st = msg ? group->handle_proposal(*msg) : mls::Status(mls::fail(msg.error()));
        if (!st) {
          report.fail(at + ": proposal rejected: " + st.error().message());
          ok = false;
          break;
        }
      }
      if (!ok) break;
      const auto commit = mls::decode<mls::MlsMessage>(hex_field(ep, "commit"));
      if (!commit) {
        report.fail(at + ": commit does not decode");
        break;
      }
      auto staged = group->stage_commit(*commit);
      if (!staged || staged->removes_self()) {
        report.fail(at + ": commit rejected: " +
                    (staged ? std::string("removed") : staged.error().message()));
        break;
      }
      *group = std::move(*staged).merge();
      if (!same(group->epoch_authenticator(), hex_field(ep, "epoch_authenticator"))) {
        report.fail(at + ": epoch_authenticator differs");
        break;
      }
      report.pass();
    }
  }
}

}  // namespace conclave::vectors
