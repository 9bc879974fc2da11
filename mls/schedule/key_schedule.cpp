#include "mls/schedule/key_schedule.h"

#include <cstdint>

namespace conclave::mls {

CommitSecret zero_commit_secret(const CipherSuite& suite) {
  return CommitSecret(Secret(suite.hash_size()));
}

PskSecret zero_psk_secret(const CipherSuite& suite) { return PskSecret(Secret(suite.hash_size())); }

JoinerSecret derive_joiner_secret(const CipherSuite& suite, const InitSecret& init_secret,
                                  const CommitSecret& commit_secret, ByteView group_context) {
  // RFC 9420 §8: Extract takes its salt from the top (init_secret) and its IKM from the left.
  const Secret prk = suite.extract(init_secret.view(), commit_secret.view());
  return JoinerSecret(
      suite.expand_with_label(prk.view(), "joiner", group_context, suite.hash_size()));
}

IntermediateSecret derive_intermediate_secret(const CipherSuite& suite,
                                              const JoinerSecret& joiner_secret,
                                              const PskSecret& psk_secret) {
  return IntermediateSecret(suite.extract(joiner_secret.view(), psk_secret.view()));
}

WelcomeSecret derive_welcome_secret(const CipherSuite& suite,
                                    const IntermediateSecret& intermediate) {
  return WelcomeSecret(suite.derive_secret(intermediate.view(), "welcome"));
}

EpochSecret derive_epoch_secret(const CipherSuite& suite, const IntermediateSecret& intermediate,
                                ByteView group_context) {
  return EpochSecret(
      suite.expand_with_label(intermediate.view(), "epoch", group_context, suite.hash_size()));
}

EpochSecrets derive_epoch_secrets(const CipherSuite& suite, const EpochSecret& epoch_secret) {
  const ByteView e = epoch_secret.view();
  return EpochSecrets{
      .sender_data_secret = SenderDataSecret(suite.derive_secret(e, "sender data")),
      .encryption_secret = EncryptionSecret(suite.derive_secret(e, "encryption")),
      .exporter_secret = ExporterSecret(suite.derive_secret(e, "exporter")),
      .external_secret = ExternalSecret(suite.derive_secret(e, "external")),
      .confirmation_key = ConfirmationKey(suite.derive_secret(e, "confirm")),
      .membership_key = MembershipKey(suite.derive_secret(e, "membership")),
      .resumption_psk = ResumptionPsk(suite.derive_secret(e, "resumption")),
      .epoch_authenticator = EpochAuthenticator(suite.derive_secret(e, "authentication")),
      .init_secret = InitSecret(suite.derive_secret(e, "init")),
  };
}

EpochKeySchedule run_key_schedule(const CipherSuite& suite, const InitSecret& init_secret,
                                  const CommitSecret& commit_secret, const PskSecret& psk_secret,
                                  ByteView group_context) {
  JoinerSecret joiner = derive_joiner_secret(suite, init_secret, commit_secret, group_context);
  const IntermediateSecret intermediate = derive_intermediate_secret(suite, joiner, psk_secret);
  WelcomeSecret welcome = derive_welcome_secret(suite, intermediate);
  const EpochSecret epoch = derive_epoch_secret(suite, intermediate, group_context);
  return EpochKeySchedule{
      .joiner_secret = std::move(joiner),
      .welcome_secret = std::move(welcome),
      .secrets = derive_epoch_secrets(suite, epoch),
  };
}

EpochSecrets join_key_schedule(const CipherSuite& suite, const JoinerSecret& joiner_secret,
                               const PskSecret& psk_secret, ByteView group_context) {
  const IntermediateSecret intermediate =
      derive_intermediate_secret(suite, joiner_secret, psk_secret);
  return derive_epoch_secrets(suite, derive_epoch_secret(suite, intermediate, group_context));
}

Result<KeyPair> derive_external_key_pair(const CipherSuite& suite,
                                         const ExternalSecret& external_secret) {
  return suite.derive_hpke_key_pair(external_secret.view());
}

Result<Secret> mls_exporter(const CipherSuite& suite, const ExporterSecret& exporter_secret,
                            std::string_view label, ByteView context, std::size_t length) {
  // HKDF-Expand yields at most 255 blocks of Nh bytes (RFC 5869 §2.3). That is below 2^16 for
  // every suite (Nh <= 64), so KDFLabel's uint16 length never binds first.
  const std::size_t max_length = 255 * suite.hash_size();
  if (length > max_length) return fail(Errc::invalid_value);
  const Secret derived = suite.derive_secret(exporter_secret.view(), label);
  return suite.expand_with_label(derived.view(), "exported", suite.hash(context), length);
}

}  // namespace conclave::mls
