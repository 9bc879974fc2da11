#pragma once
// The epoch key schedule of RFC 9420 §8 and the MLS exporter (§8.5).
//
//   init_secret_[n-1] --Extract(salt)--+ commit_secret (ikm)
//        joiner_secret = ExpandWithLabel(., "joiner", GroupContext_[n], Nh)
//   joiner_secret -----Extract(salt)---+ psk_secret (ikm)  = intermediate
//        welcome_secret = DeriveSecret(intermediate, "welcome")
//        epoch_secret   = ExpandWithLabel(intermediate, "epoch", GroupContext_[n], Nh)
//   epoch_secret -> the secrets of EpochSecrets, and init_secret_[n] = DeriveSecret(., "init")
//
// Each step takes the typed secret it consumes (mls/schedule/secrets.h). Group context
// arguments are the encoded GroupContext (encode(GroupContext) from group_context.h), passed as
// bytes so a caller that already holds the encoding does not encode it again.
#include <cstddef>
#include <string_view>

#include "mls/codec/bytes.h"
#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/schedule/secrets.h"

namespace conclave::mls {

// The secrets derived from one epoch_secret (§8, table "Epoch-Derived Secrets"), plus the
// init_secret that seeds the next epoch.
struct EpochSecrets {
  SenderDataSecret sender_data_secret;     // "sender data"
  EncryptionSecret encryption_secret;      // "encryption": root of the secret tree (§9)
  ExporterSecret exporter_secret;          // "exporter"
  ExternalSecret external_secret;          // "external"
  ConfirmationKey confirmation_key;        // "confirm"
  MembershipKey membership_key;            // "membership"
  ResumptionPsk resumption_psk;            // "resumption"
  EpochAuthenticator epoch_authenticator;  // "authentication"
  InitSecret init_secret;                  // "init": init_secret_[n] for epoch n + 1
};

// zero_commit_secret / zero_psk_secret: the all-zero Nh-byte vectors the RFC uses when a Commit
// has no path (§12.4) or no PSKs are injected (§8.4).
CommitSecret zero_commit_secret(const CipherSuite& suite);
PskSecret zero_psk_secret(const CipherSuite& suite);

// joiner_secret = ExpandWithLabel(Extract(init_secret, commit_secret), "joiner", GC, Nh)
JoinerSecret derive_joiner_secret(const CipherSuite& suite, const InitSecret& init_secret,
                                  const CommitSecret& commit_secret, ByteView group_context);

// intermediate = Extract(joiner_secret, psk_secret)
IntermediateSecret derive_intermediate_secret(const CipherSuite& suite,
                                              const JoinerSecret& joiner_secret,
                                              const PskSecret& psk_secret);

// welcome_secret = DeriveSecret(intermediate, "welcome"): the key of the Welcome's GroupInfo.
WelcomeSecret derive_welcome_secret(const CipherSuite& suite,
                                    const IntermediateSecret& intermediate);

// epoch_secret = ExpandWithLabel(intermediate, "epoch", GroupContext_[n], Nh)
EpochSecret derive_epoch_secret(const CipherSuite& suite, const IntermediateSecret& intermediate,
                                ByteView group_context);

// derive_epoch_secrets runs every DeriveSecret of the epoch-derived table on `epoch_secret`.
EpochSecrets derive_epoch_secrets(const CipherSuite& suite, const EpochSecret& epoch_secret);

// The whole schedule for one epoch, as a member that processed the Commit runs it.
struct EpochKeySchedule {
  JoinerSecret joiner_secret;    // for the Welcome's GroupSecrets
  WelcomeSecret welcome_secret;  // for the Welcome's encrypted GroupInfo
  EpochSecrets secrets;
};

// run_key_schedule chains all the steps above for epoch n, from init_secret_[n-1], the commit
// and PSK secrets and the encoded GroupContext_[n].
EpochKeySchedule run_key_schedule(const CipherSuite& suite, const InitSecret& init_secret,
                                  const CommitSecret& commit_secret, const PskSecret& psk_secret,
                                  ByteView group_context);

// join_key_schedule: a new member's view (§12.4.3.1), from the joiner_secret of GroupSecrets.
// The joiner first needs welcome_secret to decrypt GroupInfo (derive_intermediate_secret and
// derive_welcome_secret), then runs this with the GroupContext that GroupInfo carries.
EpochSecrets join_key_schedule(const CipherSuite& suite, const JoinerSecret& joiner_secret,
                               const PskSecret& psk_secret, ByteView group_context);

// derive_external_key_pair: external_priv, external_pub = KEM.DeriveKeyPair(external_secret).
Result<KeyPair> derive_external_key_pair(const CipherSuite& suite,
                                         const ExternalSecret& external_secret);

// mls_exporter(Label, Context, Length) =
//   ExpandWithLabel(DeriveSecret(exporter_secret, Label), "exported", Hash(Context), Length)
// `label` is arbitrary bytes. Fails with Errc::invalid_value when `length` exceeds what
// the KDF can produce (255 * Nh bytes).
Result<Secret> mls_exporter(const CipherSuite& suite, const ExporterSecret& exporter_secret,
                            std::string_view label, ByteView context, std::size_t length);

}  // namespace conclave::mls
