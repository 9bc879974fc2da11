#pragma once
// ServiceIdentity: the delivery service as an MLS external sender (RFC 9420 §12.1.8.1,
// docs/protocol.md §3). One Ed25519 key for the whole deployment, created once and kept in the
// store (MlsStore::external_sender_key), so every instance and restart signs with the same key.
// The service uses it only to propose Removes of members the room no longer allows.
#include <cstdint>
#include <optional>
#include <string>

#include "component/ds/ds_error.h"
#include "component/store/mls_store.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/mls_message.h"
#include "mls/group/extensions.h"
#include "mls/schedule/group_context.h"
#include "mls/tree/tree_math.h"

namespace conclave::component::ds {

// A Remove proposal signed by the service, ready to store and broadcast.
struct ServiceProposal {
  mls::MlsMessage message;
  mls::Bytes wire;  // encode(message)
  mls::Bytes ref;   // ProposalRef (RFC 9420 §5.2)
  mls::LeafIndex removed;
};

class ServiceIdentity {
 public:
  // load_or_create: the stored key, or a fresh one stored first (blocking: a store call).
  // `domain` is the service's JID, the BasicCredential identity of the external sender.
  static Result<ServiceIdentity> load_or_create(MlsStore& store, const std::string& domain);
  // from_key: the identity of a known key (tests).
  static Result<ServiceIdentity> from_key(mls::ByteView private_key, const std::string& domain);

  // entry: the ExternalSender struct groups must list; encoded_entry: its TLS encoding, the
  // payload of <external-sender/>.
  const mls::ExternalSenderEntry& entry() const { return entry_; }
  mls::Bytes encoded_entry() const;

  // sender_index: our position in the external_senders extension of `extensions`; nullopt when
  // the extension is absent, malformed, or does not list us.
  std::optional<std::uint32_t> sender_index(const std::vector<mls::Extension>& extensions) const;

  // propose_remove: a PublicMessage Remove of `leaf` in the epoch of `context`, signed as
  // external sender (RFC 9420 §6.1: no GroupContext in the TBS, no membership tag).
  // Errors: Errc::invalid_sender when the group does not list us.
  Result<ServiceProposal> propose_remove(const mls::GroupContext& context,
                                         mls::LeafIndex leaf) const;

 private:
  ServiceIdentity(mls::SigningKey key, mls::ExternalSenderEntry entry)
      : key_(std::move(key)), entry_(std::move(entry)) {}
  mls::SigningKey key_;
  mls::ExternalSenderEntry entry_;
};

}  // namespace conclave::component::ds
