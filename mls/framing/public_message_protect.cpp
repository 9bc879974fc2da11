#include "mls/framing/public_message_protect.h"

#include "mls/crypto/secret.h"

namespace conclave::mls {

namespace {

// membership_tag = MAC(membership_key, AuthenticatedContentTBM)   (§6.2)
Bytes membership_tag(const MessageEpoch& epoch, const FramedContent& content,
                     const FramedContentAuthData& auth, const MembershipKey& key) {
  Writer w;
  write_framed_content_tbs(w, WireFormat::public_message, content, epoch.encoded_context);
  write(w, auth, content.content_type());
  return epoch.suite->mac(key.view(), w.bytes());
}

}  // namespace

Result<PublicMessage> protect_public_message(const MessageEpoch& epoch, AuthenticatedContent ac,
                                             const MembershipKey& membership_key) {
  if (ac.wire_format != WireFormat::public_message) return fail(Errc::invalid_value);
  if (ac.content.content_type() == ContentType::application) {
    return fail(Errc::invalid_content_type);
  }
  if (auto ok = check_epoch(epoch, ac.content.group_id, ac.content.epoch); !ok)
    return fail(ok.error());
  PublicMessage out;
  if (ac.content.sender.type() == SenderType::member) {
    out.membership_tag = membership_tag(epoch, ac.content, ac.auth, membership_key);
  }
  out.content = std::move(ac.content);
  out.auth = std::move(ac.auth);
  return out;
}

Result<AuthenticatedContent> unprotect_public_message(const MessageEpoch& epoch,
                                                      const PublicMessage& message,
                                                      const MembershipKey& membership_key,
                                                      const SignatureKeyLookup& lookup) {
  if (auto ok = check_epoch(epoch, message.content.group_id, message.content.epoch); !ok)
    return fail(ok.error());
  if (message.content.content_type() == ContentType::application) {
    return fail(Errc::invalid_content_type);
  }
  if (message.content.sender.type() == SenderType::member) {
    const Bytes expected = membership_tag(epoch, message.content, message.auth, membership_key);
    if (!ct_equal(expected, message.membership_tag)) return fail(Errc::bad_membership_tag);
  }
  auto key = lookup(message.content.sender);
  if (!key) return fail(key.error());
  AuthenticatedContent ac{WireFormat::public_message, message.content, message.auth};
  if (!verify_content_signature(epoch, ac, *key)) return fail(Errc::bad_signature);
  return ac;
}

}  // namespace conclave::mls
