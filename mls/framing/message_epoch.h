#pragma once
// MessageEpoch: what message protection (RFC 9420 §6.1-§6.3) needs from the current epoch.
#include <functional>

#include "mls/codec/bytes.h"
#include "mls/codec/codec.h"
#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/framed_content.h"
#include "mls/schedule/group_context.h"

namespace conclave::mls {

// The cipher suite and GroupContext of an epoch, with the context encoded once (every
// FramedContentTBS of a member sender embeds it). `suite` and `context` must outlive this.
struct MessageEpoch {
  MessageEpoch(const CipherSuite& s, const GroupContext& c)
      : suite(&s), context(&c), encoded_context(encode(c)) {}

  const CipherSuite* suite;
  const GroupContext* context;
  Bytes encoded_context;
};

// SignatureKeyLookup returns the signature public key of `sender` in the current epoch (a
// leaf's signature_key, an external sender's key), or an error when the sender is unknown or
// not allowed to send; the view must stay valid until the unprotect call returns.
using SignatureKeyLookup = std::function<Result<ByteView>(const Sender& sender)>;

// check_epoch: Errc::wrong_group unless `group_id` is this group's, Errc::wrong_epoch unless
// `epoch_number` is the current epoch (§6: messages are bound to one group and epoch).
Status check_epoch(const MessageEpoch& epoch, ByteView group_id, std::uint64_t epoch_number);

// sign_content builds AuthenticatedContent for `content` sent as `wire_format`:
// signature = SignWithLabel(., "FramedContentTBS", FramedContentTBS) (§6.1). For commits the
// caller sets auth.confirmation_tag afterwards (it depends on the signature, §8.2).
// Errc::wrong_group / wrong_epoch when `content` is not for this epoch.
Result<AuthenticatedContent> sign_content(const MessageEpoch& epoch, WireFormat wire_format,
                                          FramedContent content, const SigningKey& key);

// verify_content_signature checks auth.signature of `ac` against `signature_key` (§6.1).
bool verify_content_signature(const MessageEpoch& epoch, const AuthenticatedContent& ac,
                              ByteView signature_key);

}  // namespace conclave::mls
