#include "mls/framing/private_message_protect.h"

#include <utility>

namespace conclave::mls {

namespace {

RatchetType ratchet_for(ContentType type) {
  // RFC 9420 §9: application messages use the application ratchet, everything else the
  // handshake ratchet.
  return type == ContentType::application ? RatchetType::application : RatchetType::handshake;
}

// apply_reuse_guard XORs the reuse guard into the first four bytes of the nonce (§6.3.2).
void apply_reuse_guard(Secret& nonce, const std::array<std::uint8_t, 4>& guard) {
  std::uint8_t* n = nonce.data();
  for (std::size_t i = 0; i < guard.size(); ++i) n[i] ^= guard[i];
}

}  // namespace

Result<PrivateMessage> protect_private_message(const MessageEpoch& epoch,
                                               const AuthenticatedContent& ac, SecretTree& tree,
                                               const SenderDataSecret& sender_data_secret, Rng& rng,
                                               std::size_t padding) {
  if (ac.wire_format != WireFormat::private_message) return fail(Errc::invalid_value);
  const auto* member = std::get_if<MemberSender>(&ac.content.sender.value);
  if (member == nullptr) return fail(Errc::invalid_sender);
  const FramedContent& content = ac.content;
  if (auto ok = check_epoch(epoch, content.group_id, content.epoch); !ok) return fail(ok.error());
  const CipherSuite& suite = *epoch.suite;
  const ContentType type = content.content_type();

  auto key = tree.next_key(LeafIndex{member->leaf_index}, ratchet_for(type));
  if (!key) return fail(key.error());
  SenderData sender_data{member->leaf_index, key->generation, {}};
  rng.fill(sender_data.reuse_guard);
  apply_reuse_guard(key->nonce, sender_data.reuse_guard);

  Writer plaintext(content.authenticated_data.size() + ac.auth.signature.size() +
                   ac.auth.confirmation_tag.size() + padding + 64);
  write_body(plaintext, content.content);
  write(plaintext, ac.auth, type);
  for (std::size_t i = 0; i < padding; ++i) plaintext.write_uint(std::uint8_t{0});

  PrivateMessage out;
  out.ciphertext = suite.seal(
      key->key.view(), key->nonce.view(),
      encode_private_content_aad(content.group_id, content.epoch, type, content.authenticated_data),
      plaintext.bytes());
  const SenderDataKey sd_key = derive_sender_data_key(suite, sender_data_secret, out.ciphertext);
  out.encrypted_sender_data = suite.seal(
      sd_key.key.view(), sd_key.nonce.view(),
      encode_sender_data_aad(content.group_id, content.epoch, type), encode(sender_data));
  out.group_id = content.group_id;
  out.epoch = content.epoch;
  out.content_type = type;
  out.authenticated_data = content.authenticated_data;
  return out;
}

Result<AuthenticatedContent> unprotect_private_message(const MessageEpoch& epoch,
                                                       const PrivateMessage& message,
                                                       SecretTree& tree,
                                                       const SenderDataSecret& sender_data_secret,
                                                       const SignatureKeyLookup& lookup) {
  if (auto ok = check_epoch(epoch, message.group_id, message.epoch); !ok) {
    return fail(ok.error());
  }
  const CipherSuite& suite = *epoch.suite;
  const ContentType type = message.content_type;

  // §6.3.2: the sender data key and nonce come from the first Nh bytes of the ciphertext.
  const SenderDataKey sd_key =
      derive_sender_data_key(suite, sender_data_secret, message.ciphertext);
  auto sd_plain = suite.open(sd_key.key.view(), sd_key.nonce.view(),
                             encode_sender_data_aad(message.group_id, message.epoch, type),
                             message.encrypted_sender_data);
  if (!sd_plain) return fail(sd_plain.error());
  auto sender_data = decode<SenderData>(*sd_plain);
  if (!sender_data) return fail(sender_data.error());

  const LeafIndex sender_leaf{sender_data->leaf_index};
  auto key = tree.peek_key(sender_leaf, ratchet_for(type), sender_data->generation);
  if (!key) return fail(key.error());
  apply_reuse_guard(key->nonce, sender_data->reuse_guard);
  auto plaintext = suite.open(
      key->key.view(), key->nonce.view(),
      encode_private_content_aad(message.group_id, message.epoch, type, message.authenticated_data),
      message.ciphertext);
  if (!plaintext) return fail(plaintext.error());
  // Only a ciphertext that authenticated under the key uses it up (§9.2): a garbled or forged
  // message leaves the generation usable for the genuine one.
  tree.consume_key(sender_leaf, ratchet_for(type), sender_data->generation);
  auto pmc = decode_private_message_content(*plaintext, type);
  if (!pmc) return fail(pmc.error());

  AuthenticatedContent ac;
  ac.wire_format = WireFormat::private_message;
  ac.content.group_id = message.group_id;
  ac.content.epoch = message.epoch;
  ac.content.sender.value = MemberSender{sender_data->leaf_index};
  ac.content.authenticated_data = message.authenticated_data;
  ac.content.content = std::move(pmc->content);
  ac.auth = std::move(pmc->auth);

  auto sig_key = lookup(ac.content.sender);
  if (!sig_key) return fail(sig_key.error());
  if (!verify_content_signature(epoch, ac, *sig_key)) return fail(Errc::bad_signature);
  return ac;
}

}  // namespace conclave::mls
