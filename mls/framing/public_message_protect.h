#pragma once
// Protecting and unprotecting PublicMessage (RFC 9420 §6.2).
#include "mls/codec/result.h"
#include "mls/framing/message_epoch.h"
#include "mls/framing/public_message.h"
#include "mls/schedule/secrets.h"

namespace conclave::mls {

// protect_public_message wraps signed content (from sign_content with
// WireFormat::public_message) in a PublicMessage; for a member sender it adds
// membership_tag = MAC(membership_key, AuthenticatedContentTBM).
// Errors: Errc::invalid_content_type for application data, which MUST be sent as a
// PrivateMessage (§6); Errc::invalid_value when `ac.wire_format` is not public_message;
// Errc::wrong_group / wrong_epoch when the content is not for this epoch.
Result<PublicMessage> protect_public_message(const MessageEpoch& epoch, AuthenticatedContent ac,
                                             const MembershipKey& membership_key);

// unprotect_public_message checks a received PublicMessage and returns its content:
// group and epoch (Errc::wrong_group, wrong_epoch), content type (Errc::invalid_content_type
// for application data), the membership tag of a member sender, compared in constant time
// (Errc::bad_membership_tag), and the signature under the key `lookup` gives for the sender
// (its error, or Errc::bad_signature). Returns nothing else on failure.
Result<AuthenticatedContent> unprotect_public_message(const MessageEpoch& epoch,
                                                      const PublicMessage& message,
                                                      const MembershipKey& membership_key,
                                                      const SignatureKeyLookup& lookup);

}  // namespace conclave::mls
