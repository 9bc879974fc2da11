#include "mls/codec/errors.h"

#include <string>

namespace conclave::mls {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "conclave.mls"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::ok:
        return "ok";
      case Errc::malformed:
        return "malformed input";
      case Errc::trailing_data:
        return "trailing bytes after value";
      case Errc::non_minimal_length:
        return "variable-length header is not minimal";
      case Errc::length_too_long:
        return "variable-length header uses the reserved prefix";
      case Errc::invalid_value:
        return "invalid field value";
      case Errc::unsupported_cipher_suite:
        return "unsupported cipher suite";
      case Errc::invalid_key:
        return "invalid key";
      case Errc::crypto_failure:
        return "cryptographic operation failed";
      case Errc::bad_signature:
        return "signature verification failed";
      case Errc::decryption_failed:
        return "decryption failed";
      case Errc::wrong_group:
        return "message for another group";
      case Errc::wrong_epoch:
        return "message for another epoch";
      case Errc::generation_too_old:
        return "generation already used or deleted";
      case Errc::generation_too_far:
        return "generation too far ahead";
      case Errc::invalid_sender:
        return "invalid sender";
      case Errc::invalid_content_type:
        return "invalid content type";
      case Errc::bad_membership_tag:
        return "membership tag mismatch";
      case Errc::bad_confirmation_tag:
        return "confirmation tag mismatch";
      case Errc::invalid_padding:
        return "non-zero padding";
      case Errc::unknown_psk:
        return "unknown pre-shared key";
      case Errc::invalid_proposal:
        return "invalid proposal";
      case Errc::invalid_commit:
        return "invalid commit";
      case Errc::invalid_tree:
        return "invalid ratchet tree";
      case Errc::tree_hash_mismatch:
        return "tree hash mismatch";
      case Errc::parent_hash_mismatch:
        return "parent hash mismatch";
      case Errc::limit_exceeded:
        return "limit exceeded";
      case Errc::unsupported:
        return "unsupported";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& mls_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace conclave::mls
