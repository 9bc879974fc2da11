#include "xmpp/errors.h"

#include <string>

namespace conclave::xmpp {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "conclave.xmpp"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::ok:
        return "ok";
      case Errc::invalid_jid:
        return "invalid JID";
      case Errc::jid_part_too_long:
        return "JID part longer than 1023 bytes";
      case Errc::malformed_stanza:
        return "malformed stanza";
      case Errc::invalid_form:
        return "invalid data form";
      case Errc::not_connected:
        return "component stream not connected";
      case Errc::queue_full:
        return "outgoing queue full";
      case Errc::queue_expired:
        return "queued stanza expired";
      case Errc::handshake_failed:
        return "component handshake refused";
      case Errc::stream_error:
        return "stream error";
      case Errc::connection_closed:
        return "connection closed";
      case Errc::timeout:
        return "timed out";
      case Errc::crypto_failure:
        return "cryptographic operation failed";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& xmpp_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace conclave::xmpp
