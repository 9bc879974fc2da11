// secret-tree.json (RFC 9420 §9, §6.3.2): the sender-data key and nonce for the given
// ciphertext, and every listed generation's handshake and application key and nonce of every
// leaf of a tree rooted at encryption_secret.
#include <string>

#include "mls/crypto/cipher_suite.h"
#include "mls/schedule/secret_tree.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_secret_tree(const nlohmann::json& file, Report& report) {
  for (const auto& tc : file) {
    const auto suite_id = tc.at("cipher_suite").get<std::uint16_t>();
    const std::string where = "suite " + std::to_string(suite_id);
    const mls::CipherSuite* suite = case_suite(tc, where, report);
    if (suite == nullptr) continue;
    const mls::CipherSuite& cs = *suite;

    const auto& sd = tc.at("sender_data");
    const mls::SenderDataSecret sender_data_secret(hex_field(sd, "sender_data_secret"));
    const auto sdk =
        mls::derive_sender_data_key(cs, sender_data_secret, hex_field(sd, "ciphertext"));
    report.expect(same(sdk.key.view(), hex_field(sd, "key")), where + " sender_data key");
    report.expect(same(sdk.nonce.view(), hex_field(sd, "nonce")), where + " sender_data nonce");

    const auto& leaves = tc.at("leaves");
    const auto n = mls::LeafCount::create(leaves.size());
    if (!n) {
      report.fail(where + ": leaf count " + std::to_string(leaves.size()) + " rejected");
      continue;
    }
    mls::SecretTree tree(cs, mls::EncryptionSecret(hex_field(tc, "encryption_secret")), *n);
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      const mls::LeafIndex leaf{static_cast<std::uint32_t>(i)};
      for (const auto& gen : leaves[i]) {
        const auto g = gen.at("generation").get<std::uint32_t>();
        const std::string at = where + " n=" + std::to_string(leaves.size()) + " leaf " +
                               std::to_string(i) + " generation " + std::to_string(g);
        const auto hs = tree.key_for(leaf, mls::RatchetType::handshake, g);
        const auto app = tree.key_for(leaf, mls::RatchetType::application, g);
        report.expect(hs && same(hs->key.view(), hex_field(gen, "handshake_key")),
                      at + " handshake_key");
        report.expect(hs && same(hs->nonce.view(), hex_field(gen, "handshake_nonce")),
                      at + " handshake_nonce");
        report.expect(app && same(app->key.view(), hex_field(gen, "application_key")),
                      at + " application_key");
        report.expect(app && same(app->nonce.view(), hex_field(gen, "application_nonce")),
                      at + " application_nonce");
      }
    }
  }
}

}  // namespace conclave::vectors
