// transcript-hashes.json (RFC 9420 test vectors, "Transcript Hashes"): decode the
// AuthenticatedContent (a commit), check its confirmation tag against confirmation_key and
// confirmed_transcript_hash_after (§6.1), and recompute both transcript hashes (§8.2).
#include <string>

#include "mls/codec/codec.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/secret.h"
#include "mls/framing/framed_content.h"
#include "mls/schedule/transcript_hash.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_transcript_hashes(const nlohmann::json& file, Report& report) {
  for (std::size_t i = 0; i < file.size(); ++i) {
    const auto& tc = file[i];
    const std::string where = "case " + std::to_string(i) + ": ";
    const mls::CipherSuite* suite = case_suite(tc, where, report);
    if (suite == nullptr) continue;
    const mls::Bytes wire = hex_field(tc, "authenticated_content");
    auto ac = mls::decode<mls::AuthenticatedContent>(wire);
    if (!ac) {
      report.fail(where + "AuthenticatedContent does not decode: " + ac.error().message());
      continue;
    }
    if (ac->content.content_type() != mls::ContentType::commit) {
      report.fail(where + "content is not a commit");
      continue;
    }
    report.expect(mls::encode(*ac) == wire, where + "AuthenticatedContent re-encoding differs");

    const mls::Bytes confirmed_after = hex_field(tc, "confirmed_transcript_hash_after");
    const mls::Bytes tag = suite->mac(hex_field(tc, "confirmation_key"), confirmed_after);
    report.expect(mls::ct_equal(tag, ac->auth.confirmation_tag), where + "confirmation_tag");

    const mls::Bytes confirmed =
        mls::confirmed_transcript_hash(*suite, hex_field(tc, "interim_transcript_hash_before"),
                                       mls::encode_confirmed_transcript_hash_input(*ac));
    report.expect(confirmed == confirmed_after, where + "confirmed_transcript_hash_after");
    const mls::Bytes interim = mls::interim_transcript_hash(
        *suite, confirmed, mls::encode_interim_transcript_hash_input(ac->auth.confirmation_tag));
    report.expect(interim == hex_field(tc, "interim_transcript_hash_after"),
                  where + "interim_transcript_hash_after");
  }
}

}  // namespace conclave::vectors
