#pragma once
// Error codes of the XMPP layer, carried as std::error_code in Result<T> (docs/style.md P6).
// Append new codes at the end; never renumber (they may be logged and compared).
#include <system_error>

namespace conclave::xmpp {

enum class Errc {
  ok = 0,
  invalid_jid = 1,    // a JID that RFC 7622 rejects (empty part, forbidden character, bad UTF-8)
  jid_part_too_long,  // a JID part longer than 1023 bytes after preparation (RFC 7622 §3)
  malformed_stanza,   // a stanza missing what its kind requires
  invalid_form,       // a data form that XEP-0004 rejects
  not_connected,      // the component stream is down
  queue_full,         // outgoing queue bound reached while disconnected
  queue_expired,      // a queued stanza waited longer than its age bound
  handshake_failed,   // the server refused the XEP-0114 handshake
  stream_error,       // the peer closed the stream with <stream:error/>
  connection_closed,  // the peer closed the TCP connection or the stream
  timeout,            // a read, connect or keepalive deadline passed
  crypto_failure,     // OpenSSL failed computing the handshake digest
};

const std::error_category& xmpp_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), xmpp_category()};
}

}  // namespace conclave::xmpp

template <>
struct std::is_error_code_enum<conclave::xmpp::Errc> : std::true_type {};
