#pragma once
// MLSMessage: the outer framing of everything MLS sends (RFC 9420 §6).
#include <variant>

#include "mls/codec/codec.h"
#include "mls/framing/group_info.h"
#include "mls/framing/key_package.h"
#include "mls/framing/private_message.h"
#include "mls/framing/protocol_version.h"
#include "mls/framing/public_message.h"
#include "mls/framing/welcome.h"
#include "mls/framing/wire_format.h"

namespace conclave::mls {

// struct {
//     ProtocolVersion version = mls10;
//     WireFormat wire_format;
//     select (MLSMessage.wire_format) {
//         case mls_public_message:  PublicMessage public_message;
//         case mls_private_message: PrivateMessage private_message;
//         case mls_welcome:         Welcome welcome;
//         case mls_group_info:      GroupInfo group_info;
//         case mls_key_package:     KeyPackage key_package;
//     };
// } MLSMessage;
// Alternatives in WireFormat order. Reading fails with Errc::invalid_value for a version other
// than mls10 or an unknown wire format.
struct MlsMessage {
  ProtocolVersion version = ProtocolVersion::mls10;
  std::variant<PublicMessage, PrivateMessage, Welcome, GroupInfo, KeyPackage> message;
  WireFormat wire_format() const { return static_cast<WireFormat>(message.index() + 1); }
  bool operator==(const MlsMessage&) const = default;
};

void write(Writer& w, const MlsMessage& v);
bool read(Reader& r, MlsMessage& v);

}  // namespace conclave::mls
