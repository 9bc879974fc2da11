#pragma once
// XEP-0114 §3: the component proves it knows the shared secret by sending
// lowercase hex SHA-1(stream id || secret) in <handshake/>.
#include <string>
#include <string_view>

#include "xmpp/result.h"

namespace conclave::xmpp {

// Fails with crypto_failure only if OpenSSL cannot compute SHA-1.
Result<std::string> handshake_digest(std::string_view stream_id, std::string_view secret);

}  // namespace conclave::xmpp
