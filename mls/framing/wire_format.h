#pragma once
// WireFormat (RFC 9420 §6, §17.2).
#include <cstdint>

#include "mls/codec/reader.h"

namespace conclave::mls {

// uint16 WireFormat; reserved(0), then the five formats of MLS 1.0.
enum class WireFormat : std::uint16_t {
  public_message = 1,
  private_message = 2,
  welcome = 3,
  group_info = 4,
  key_package = 5,
};

// Reading a WireFormat accepts only the five defined values (Errc::invalid_value otherwise):
// it selects how the rest of a message is parsed or what a signature covers.
bool read(Reader& r, WireFormat& v);

}  // namespace conclave::mls
