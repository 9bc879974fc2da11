#include "mls/group/welcome_crypto.h"

#include <algorithm>

#include "mls/codec/codec.h"

namespace conclave::mls {

namespace {

constexpr std::string_view kKeyPackageRefLabel = "MLS 1.0 KeyPackage Reference";
constexpr std::string_view kProposalRefLabel = "MLS 1.0 Proposal Reference";

struct WelcomeKey {
  Secret key;
  Secret nonce;
};

WelcomeKey welcome_key(const CipherSuite& suite, const WelcomeSecret& ws) {
  return {suite.expand_with_label(ws.view(), "key", {}, suite.key_size()),
          suite.expand_with_label(ws.view(), "nonce", {}, suite.nonce_size())};
}

}  // namespace

Bytes key_package_ref(const CipherSuite& suite, const KeyPackage& kp) {
  return suite.ref_hash(kKeyPackageRefLabel, encode(kp));
}

Bytes proposal_ref(const CipherSuite& suite, const AuthenticatedContent& ac) {
  return suite.ref_hash(kProposalRefLabel, encode(ac));
}

Result<HpkeCiphertext> seal_group_secrets(const CipherSuite& suite, ByteView init_key,
                                          ByteView encrypted_group_info,
                                          const GroupSecrets& secrets, Rng& rng) {
  Secret plain(encode(secrets));
  return suite.encrypt_with_label(init_key, "Welcome", encrypted_group_info, plain.view(), rng);
}

Result<GroupSecrets> open_group_secrets(const CipherSuite& suite, const Welcome& welcome,
                                        ByteView kp_ref, ByteView init_priv) {
  const auto it = std::find_if(welcome.secrets.begin(), welcome.secrets.end(), [&](const auto& e) {
    return std::equal(e.new_member.begin(), e.new_member.end(), kp_ref.begin(), kp_ref.end());
  });
  if (it == welcome.secrets.end()) return fail(Errc::invalid_value);
  auto plain = suite.decrypt_with_label(init_priv, "Welcome", welcome.encrypted_group_info,
                                        it->encrypted_group_secrets);
  if (!plain) return fail(plain.error());
  Secret wipe(std::move(*plain));
  return decode<GroupSecrets>(wipe.view());
}

Bytes seal_group_info(const CipherSuite& suite, const WelcomeSecret& welcome_secret,
                      const GroupInfo& gi) {
  const WelcomeKey k = welcome_key(suite, welcome_secret);
  return suite.seal(k.key.view(), k.nonce.view(), {}, encode(gi));
}

Result<GroupInfo> open_group_info(const CipherSuite& suite, const WelcomeSecret& welcome_secret,
                                  ByteView encrypted_group_info) {
  const WelcomeKey k = welcome_key(suite, welcome_secret);
  auto plain = suite.open(k.key.view(), k.nonce.view(), {}, encrypted_group_info);
  if (!plain) return fail(plain.error());
  return decode<GroupInfo>(*plain);
}

Status sign_group_info(const SigningKey& key, GroupInfo& gi) {
  auto sig = key.sign_with_label("GroupInfoTBS", encode_group_info_tbs(gi));
  if (!sig) return fail(sig.error());
  gi.signature = std::move(*sig);
  return {};
}

bool verify_group_info(const CipherSuite& suite, const GroupInfo& gi, ByteView signer_pub) {
  return suite.verify_with_label(signer_pub, "GroupInfoTBS", encode_group_info_tbs(gi),
                                 gi.signature);
}

Bytes confirmation_tag(const CipherSuite& suite, ByteView confirmation_key,
                       ByteView confirmed_transcript_hash) {
  return suite.mac(confirmation_key, confirmed_transcript_hash);
}

}  // namespace conclave::mls
