#pragma once
// One type per key-schedule secret (RFC 9420 §8, §9), so an encryption_secret cannot be passed
// where a sender_data_secret is expected and a derivation cannot be skipped or reordered: each
// deriving function takes exactly the type it consumes and returns exactly the type it makes.
#include <utility>

#include "mls/codec/bytes.h"
#include "mls/crypto/secret.h"

namespace conclave::mls {

// TypedSecret<Tag>: a wiping, move-only Secret labelled by its role. Construction from raw
// bytes is explicit (vectors, GroupSecrets, storage); the bytes are reached only via view().
template <class Tag>
class TypedSecret {
 public:
  TypedSecret() = default;
  explicit TypedSecret(Secret s) : secret_(std::move(s)) {}
  explicit TypedSecret(ByteView bytes) : secret_(bytes) {}

  ByteView view() const { return secret_.view(); }
  std::size_t size() const { return secret_.size(); }
  bool empty() const { return secret_.empty(); }
  TypedSecret clone() const { return TypedSecret(secret_.clone()); }
  // take hands the underlying Secret over, leaving this one empty.
  Secret take() && { return std::move(secret_); }

 private:
  Secret secret_;
};

struct InitSecretTag;
struct CommitSecretTag;
struct JoinerSecretTag;
struct PskSecretTag;
struct IntermediateSecretTag;
struct WelcomeSecretTag;
struct EpochSecretTag;
struct SenderDataSecretTag;
struct EncryptionSecretTag;
struct ExporterSecretTag;
struct ExternalSecretTag;
struct ConfirmationKeyTag;
struct MembershipKeyTag;
struct ResumptionPskTag;
struct EpochAuthenticatorTag;

using InitSecret = TypedSecret<InitSecretTag>;      // init_secret_[n]
using CommitSecret = TypedSecret<CommitSecretTag>;  // commit_secret (§7.4) or zero vector
using JoinerSecret = TypedSecret<JoinerSecretTag>;  // joiner_secret (sent in GroupSecrets)
using PskSecret = TypedSecret<PskSecretTag>;        // psk_secret (§8.4) or zero vector
// Extract(joiner_secret, psk_secret): the unnamed node of the §8 diagram feeding both
// welcome_secret and epoch_secret.
using IntermediateSecret = TypedSecret<IntermediateSecretTag>;
using WelcomeSecret = TypedSecret<WelcomeSecretTag>;
using EpochSecret = TypedSecret<EpochSecretTag>;
using SenderDataSecret = TypedSecret<SenderDataSecretTag>;
using EncryptionSecret = TypedSecret<EncryptionSecretTag>;
using ExporterSecret = TypedSecret<ExporterSecretTag>;
using ExternalSecret = TypedSecret<ExternalSecretTag>;
using ConfirmationKey = TypedSecret<ConfirmationKeyTag>;
using MembershipKey = TypedSecret<MembershipKeyTag>;
using ResumptionPsk = TypedSecret<ResumptionPskTag>;
using EpochAuthenticator = TypedSecret<EpochAuthenticatorTag>;

}  // namespace conclave::mls
