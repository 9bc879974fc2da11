#pragma once
// Base64 (RFC 4648 §4, standard alphabet, padded, no line breaks): the text form of every MLS
// payload in urn:xmpp:mls:0 (docs/protocol.md).
#include <optional>
#include <string>
#include <string_view>

#include "mls/codec/bytes.h"

namespace conclave::client {

// base64_encode returns the padded encoding of `data`.
std::string base64_encode(mls::ByteView data);
// base64_decode parses padded base64. XML whitespace (space, tab, CR, LF) is ignored, since
// element text may be wrapped; any other character outside the alphabet, bad padding or
// non-zero pad bits give nullopt (RFC 4648 §3.5: canonical encodings only).
std::optional<mls::Bytes> base64_decode(std::string_view text);

}  // namespace conclave::client
