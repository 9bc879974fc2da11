#include "component/ds/service_identity.h"

#include "component/ds/mls_ns.h"
#include "mls/framing/message_epoch.h"
#include "mls/group/welcome_crypto.h"

namespace conclave::component::ds {

namespace {

const mls::CipherSuite& service_suite() {
  return **mls::CipherSuite::get(kSuite);  // suite 1 is always built in
}

}  // namespace

Result<ServiceIdentity> ServiceIdentity::from_key(mls::ByteView private_key,
                                                  const std::string& domain) {
  auto key = service_suite().signing_key(private_key);
  if (!key) return fail(key.error());
  mls::ExternalSenderEntry entry;
  entry.signature_key = key->public_key();
  entry.credential.value = mls::BasicCredential{mls::Bytes(domain.begin(), domain.end())};
  return ServiceIdentity(std::move(*key), std::move(entry));
}

Result<ServiceIdentity> ServiceIdentity::load_or_create(MlsStore& store,
                                                        const std::string& domain) {
  mls::KeyPair fresh = service_suite().generate_signature_key_pair();
  ExternalSenderKey candidate;
  const auto v = fresh.private_key.view();
  candidate.private_key.assign(v.begin(), v.end());
  candidate.public_key = fresh.public_key;
  candidate.created = std::chrono::system_clock::now();
  auto stored = store.external_sender_key(candidate);
  std::fill(candidate.private_key.begin(), candidate.private_key.end(), std::uint8_t{0});
  if (!stored) return fail(stored.error());
  // The winner of a race may be another instance's key: use what the store returned.
  mls::Secret winner(std::move(stored->private_key));
  return from_key(winner.view(), domain);
}

mls::Bytes ServiceIdentity::encoded_entry() const { return mls::encode(entry_); }

std::optional<std::uint32_t> ServiceIdentity::sender_index(
    const std::vector<mls::Extension>& extensions) const {
  const mls::Extension* e = mls::find_extension(extensions, mls::kExtExternalSenders);
  if (e == nullptr) return std::nullopt;
  auto list = mls::decode<std::vector<mls::ExternalSenderEntry>>(e->extension_data);
  if (!list) return std::nullopt;
  for (std::size_t i = 0; i < list->size(); ++i) {
    if ((*list)[i] == entry_) return static_cast<std::uint32_t>(i);
  }
  return std::nullopt;
}

Result<ServiceProposal> ServiceIdentity::propose_remove(const mls::GroupContext& context,
                                                        mls::LeafIndex leaf) const {
  auto index = sender_index(context.extensions);
  if (!index) return fail(mls::Errc::invalid_sender);
  mls::FramedContent content;
  content.group_id = context.group_id;
  content.epoch = context.epoch;
  content.sender.value = mls::ExternalSender{*index};
  content.content.value = mls::Proposal{mls::Remove{leaf.value}};
  const mls::MessageEpoch epoch(service_suite(), context);
  auto ac = mls::sign_content(epoch, mls::WireFormat::public_message, std::move(content), key_);
  if (!ac) return fail(ac.error());
  ServiceProposal out;
  out.ref = mls::proposal_ref(service_suite(), *ac);
  out.message.message = mls::PublicMessage{std::move(ac->content), std::move(ac->auth), {}};
  out.wire = mls::encode(out.message);
  out.removed = leaf;
  return out;
}

}  // namespace conclave::component::ds
