#pragma once
// Error codes of the MLS layer, carried as std::error_code in Result<T> (docs/style.md P6).
// Append new codes at the end; never renumber (they may be logged and compared).
#include <system_error>

namespace conclave::mls {

enum class Errc {
  ok = 0,
  // Decoding (RFC 9420 §2.1).
  malformed = 1,       // truncated input, bad value, bad structure
  trailing_data,       // bytes left after a complete value
  non_minimal_length,  // variable-length header not in its shortest form (§2.1.2)
  length_too_long,     // variable-length header with the reserved 0b11 prefix (§2.1.2)
  invalid_value,       // field holds a value the RFC forbids here
  // Crypto.
  unsupported_cipher_suite,  // cipher suite not one of 0x0001..0x0007
  invalid_key,               // a key that does not parse or is not on the curve
  crypto_failure,            // OpenSSL failed for another reason
  bad_signature,             // signature did not verify
  decryption_failed,         // AEAD tag or HPKE open failed
  // Protocol.
  wrong_group,
  wrong_epoch,
  generation_too_old,  // secret tree key already consumed or deleted (§9.2)
  generation_too_far,  // generation beyond the allowed window (§9.2)
  invalid_sender,
  invalid_content_type,
  bad_membership_tag,
  bad_confirmation_tag,
  invalid_padding,  // non-zero padding in PrivateMessageContent (§6.3.1)
  unknown_psk,
  invalid_proposal,
  invalid_commit,
  invalid_tree,
  tree_hash_mismatch,
  parent_hash_mismatch,
  limit_exceeded,  // input larger than a configured bound
  unsupported,     // well-formed but not supported by this implementation
};

const std::error_category& mls_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), mls_category()};
}

}  // namespace conclave::mls

template <>
struct std::is_error_code_enum<conclave::mls::Errc> : std::true_type {};
