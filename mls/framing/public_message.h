#pragma once
// PublicMessage (RFC 9420 §6.2).
#include "mls/codec/codec.h"
#include "mls/framing/framed_content.h"

namespace conclave::mls {

// struct {
//     FramedContent content;
//     FramedContentAuthData auth;
//     select (PublicMessage.content.sender.sender_type) {
//         case member: MAC membership_tag;
//         case external:
//         case new_member_commit:
//         case new_member_proposal: struct{};
//     };
// } PublicMessage;
// membership_tag is on the wire only for member senders.
struct PublicMessage {
  FramedContent content;
  FramedContentAuthData auth;
  Bytes membership_tag;
  bool operator==(const PublicMessage&) const = default;
};

void write(Writer& w, const PublicMessage& v);
bool read(Reader& r, PublicMessage& v);

}  // namespace conclave::mls
