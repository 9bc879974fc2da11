#include "mls/framing/public_message.h"

namespace conclave::mls {

void write(Writer& w, const PublicMessage& v) {
  write(w, v.content);
  write(w, v.auth, v.content.content_type());
  if (v.content.sender.type() == SenderType::member) write(w, v.membership_tag);
}

bool read(Reader& r, PublicMessage& v) {
  if (!read(r, v.content) || !read(r, v.auth, v.content.content_type())) return false;
  if (v.content.sender.type() == SenderType::member) return read(r, v.membership_tag);
  v.membership_tag.clear();
  return true;
}

}  // namespace conclave::mls
