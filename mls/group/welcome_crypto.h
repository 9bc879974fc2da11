#pragma once
// The cryptography of Welcome messages and GroupInfo (RFC 9420 §12.4.3, §12.4.3.1) and the
// hash references of §5.2 that point into them.
#include <string_view>

#include "mls/codec/bytes.h"
#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/framed_content.h"
#include "mls/framing/group_info.h"
#include "mls/framing/key_package.h"
#include "mls/framing/welcome.h"
#include "mls/schedule/secrets.h"

namespace conclave::mls {

// The HPKE exporter context of ExternalInit (§8.3).
inline constexpr std::string_view kExternalInitLabel = "MLS 1.0 external init secret";

// key_package_ref: RefHash("MLS 1.0 KeyPackage Reference", KeyPackage) (§5.2).
Bytes key_package_ref(const CipherSuite& suite, const KeyPackage& kp);
// proposal_ref: RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent) (§5.2).
Bytes proposal_ref(const CipherSuite& suite, const AuthenticatedContent& ac);

// seal_group_secrets: EncryptWithLabel(init_key, "Welcome", encrypted_group_info, GroupSecrets).
Result<HpkeCiphertext> seal_group_secrets(const CipherSuite& suite, ByteView init_key,
                                          ByteView encrypted_group_info,
                                          const GroupSecrets& secrets, Rng& rng);
// open_group_secrets finds the entry of `welcome` addressed to `kp_ref` (Errc::invalid_value
// when none is) and decrypts it with `init_priv` (Errc::decryption_failed, Errc::malformed).
Result<GroupSecrets> open_group_secrets(const CipherSuite& suite, const Welcome& welcome,
                                        ByteView kp_ref, ByteView init_priv);

// seal_group_info / open_group_info: the AEAD of encrypted_group_info under
// welcome_key/welcome_nonce = ExpandWithLabel(welcome_secret, "key"/"nonce", "", Nk/Nn), with an
// empty AAD (§12.4.3.1). open fails with Errc::decryption_failed or a decoding error.
Bytes seal_group_info(const CipherSuite& suite, const WelcomeSecret& welcome_secret,
                      const GroupInfo& gi);
Result<GroupInfo> open_group_info(const CipherSuite& suite, const WelcomeSecret& welcome_secret,
                                  ByteView encrypted_group_info);

// sign_group_info sets gi.signature = SignWithLabel(., "GroupInfoTBS", GroupInfoTBS).
Status sign_group_info(const SigningKey& key, GroupInfo& gi);
// verify_group_info checks gi.signature against `signer_pub`.
bool verify_group_info(const CipherSuite& suite, const GroupInfo& gi, ByteView signer_pub);

// confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash) (§8.1).
Bytes confirmation_tag(const CipherSuite& suite, ByteView confirmation_key,
                       ByteView confirmed_transcript_hash);

}  // namespace conclave::mls
