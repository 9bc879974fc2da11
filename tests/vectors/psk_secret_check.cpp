// psk_secret.json (RFC 9420 §8.4): psk_secret chained over external PSKs with the given ids,
// values and nonces.
#include <string>
#include <vector>

#include "mls/crypto/cipher_suite.h"
#include "mls/schedule/psk.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_psk_secret(const nlohmann::json& file, Report& report) {
  std::size_t index = 0;
  for (const auto& tc : file) {
    const auto suite_id = tc.at("cipher_suite").get<std::uint16_t>();
    const std::string where =
        "case " + std::to_string(index++) + " suite " + std::to_string(suite_id);
    const mls::CipherSuite* suite = case_suite(tc, where, report);
    if (suite == nullptr) continue;
    std::vector<mls::PreSharedKeyID> ids;
    std::vector<mls::Bytes> values;
    for (const auto& p : tc.at("psks")) {
      ids.push_back(mls::PreSharedKeyID{
          .id = mls::ExternalPskId{.psk_id = hex_field(p, "psk_id")},
          .psk_nonce = hex_field(p, "psk_nonce"),
      });
      values.push_back(hex_field(p, "psk"));
    }
    const std::vector<mls::ByteView> views(values.begin(), values.end());
    const auto secret = mls::derive_psk_secret(*suite, ids, views);
    const mls::Bytes expected = hex_field(tc, "psk_secret");
    report.expect(secret && secret->size() == expected.size() &&
                      std::equal(expected.begin(), expected.end(), secret->view().begin()),
                  where + " psk_secret (" + std::to_string(ids.size()) + " PSKs)");
  }
}

}  // namespace conclave::vectors
