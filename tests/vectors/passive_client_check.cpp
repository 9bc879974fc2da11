// passive-client-*.json (RFC 9420 §12.4.3.1, §12.4.2): join from a Welcome with the given keys
// and PSKs, then follow every epoch's proposals and commit, comparing epoch authenticators.
#include <string>

#include "mls/codec/codec.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/mls_message.h"
#include "mls/group/group.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

namespace {

bool same(mls::ByteView a, mls::ByteView b) { return std::ranges::equal(a, b); }

// hpke_private: RFC 9180 §7.1.2 serializes a P-521 private key in exactly Nsk = 66 bytes, but
// some vectors drop a leading zero byte (65 bytes); restore it.
mls::Bytes hpke_private(std::uint16_t suite, mls::Bytes key) {
  if (suite == 5 && key.size() < 66) key.insert(key.begin(), 66 - key.size(), 0);
  return key;
}

}  // namespace

void check_passive_client(const nlohmann::json& file, Report& report) {
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
    std::optional<mls::RatchetTree> tree;
    if (!tc.at("ratchet_tree").is_null()) {
      auto t = mls::decode<mls::RatchetTree>(hex_field(tc, "ratchet_tree"));
      if (!t) {
        report.fail(where + ": ratchet_tree does not decode");
        continue;
      }
      tree = std::move(*t);
    }
    mls::PskStore psks;
    for (const auto& p : tc.at("external_psks")) {
      psks.emplace(hex_field(p, "psk_id"), mls::Secret(hex_field(p, "psk")));
    }
    mls::KeyPackageSecrets secrets{
        mls::Secret(hpke_private(suite_id, hex_field(tc, "init_priv"))),
        mls::Secret(hpke_private(suite_id, hex_field(tc, "encryption_priv"))),
        mls::Secret(hex_field(tc, "signature_priv"))};
    auto group = mls::Group::join(cs, std::get<mls::Welcome>(w_msg->message),
                                  std::get<mls::KeyPackage>(kp_msg->message), std::move(secrets),
                                  tree, std::move(psks));
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
        auto msg = mls::decode<mls::MlsMessage>(
            hex_field(p.is_string() ? nlohmann::json{{"x", p}} : p, "x"));
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
