#pragma once
// Protocol version and wire format code points (RFC 9420 §6, §17.2).
#include <cstdint>

namespace conclave::mls {

// enum { reserved(0), mls10(1), (65535) } ProtocolVersion;
// Capability lists may carry other values, so the plain enum read accepts any.
enum class ProtocolVersion : std::uint16_t { mls10 = 1 };

}  // namespace conclave::mls
