#pragma once
// Hexadecimal conversion for test vectors, logs of public values and fingerprints.
#include <string>
#include <string_view>

#include "mls/codec/bytes.h"
#include "mls/codec/result.h"

namespace conclave::mls {

// to_hex returns lower-case hex of `v`. Never call it on secret bytes outside tests.
std::string to_hex(ByteView v);
// from_hex parses an even-length hex string (either case); Errc::malformed otherwise.
Result<Bytes> from_hex(std::string_view hex);

}  // namespace conclave::mls
