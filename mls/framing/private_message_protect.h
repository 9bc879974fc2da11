#pragma once
// Protecting and unprotecting PrivateMessage (RFC 9420 §6.3).
#include <cstddef>

#include "mls/codec/result.h"
#include "mls/crypto/rng.h"
#include "mls/framing/message_epoch.h"
#include "mls/framing/private_message.h"
#include "mls/schedule/secret_tree.h"
#include "mls/schedule/secrets.h"

namespace conclave::mls {

// protect_private_message encrypts signed content (from sign_content with
// WireFormat::private_message; a commit must already carry its confirmation tag):
//   - content key and nonce: the next generation of the sender's ratchet in `tree` (handshake
//     ratchet for proposals and commits, application ratchet for application data, §9);
//   - a fresh 4-byte reuse_guard from `rng`, XORed into the first bytes of the nonce (§6.3.2);
//   - PrivateMessageContent followed by `padding` zero bytes, sealed with PrivateContentAAD;
//   - SenderData sealed with the key and nonce derived from `sender_data_secret` and the
//     ciphertext sample, with SenderDataAAD.
// Errors: Errc::invalid_value when ac.wire_format is not private_message;
// Errc::invalid_sender unless the sender is a member (only members encrypt, §6.3);
// Errc::wrong_group / wrong_epoch; the tree's errors for the sender's ratchet.
Result<PrivateMessage> protect_private_message(const MessageEpoch& epoch,
                                               const AuthenticatedContent& ac, SecretTree& tree,
                                               const SenderDataSecret& sender_data_secret,
                                               Rng& rng = system_rng(), std::size_t padding = 0);

// unprotect_private_message decrypts and authenticates a received PrivateMessage and returns
// its content as AuthenticatedContent (wire_format private_message, member sender). Errors:
// Errc::wrong_group / wrong_epoch; Errc::decryption_failed (sender data or content);
// Errc::malformed (bad SenderData or content encoding); Errc::invalid_padding;
// Errc::invalid_sender, generation_too_old, generation_too_far (from the secret tree);
// the lookup's error; Errc::bad_signature. Nothing is returned on failure.
// The ratchet key of the claimed generation is consumed only once the content's AEAD tag
// verified, so a garbled or forged ciphertext does not burn the generation.
Result<AuthenticatedContent> unprotect_private_message(const MessageEpoch& epoch,
                                                       const PrivateMessage& message,
                                                       SecretTree& tree,
                                                       const SenderDataSecret& sender_data_secret,
                                                       const SignatureKeyLookup& lookup);

}  // namespace conclave::mls
