#include "mls/framing/private_message.h"

namespace conclave::mls {

void write(Writer& w, const PrivateMessageContent& v) {
  write_body(w, v.content);
  write(w, v.auth, v.content.type());
  for (std::size_t i = 0; i < v.padding; ++i) w.write_uint(std::uint8_t{0});
}

Result<PrivateMessageContent> decode_private_message_content(ByteView plaintext, ContentType type) {
  Reader r(plaintext);
  PrivateMessageContent out;
  if (!read_body(r, type, out.content) || !read(r, out.auth, type)) return fail(r.error());
  // RFC 9420 §6.3.1: the padding MUST be all zero. OR the bytes together rather than stopping at
  // the first non-zero one, so the time taken does not depend on where it is.
  ByteView padding;
  r.read_raw(r.remaining(), padding);
  std::uint8_t any = 0;
  for (std::uint8_t b : padding) any |= b;
  if (any != 0) return fail(Errc::invalid_padding);
  out.padding = padding.size();
  return out;
}

namespace {

void write_private_aad_prefix(Writer& w, ByteView group_id, std::uint64_t epoch, ContentType type) {
  w.write_varint(group_id.size());
  w.write_raw(group_id);
  write(w, epoch);
  write(w, type);
}

}  // namespace

Bytes encode_sender_data_aad(ByteView group_id, std::uint64_t epoch, ContentType type) {
  Writer w(group_id.size() + 16);
  write_private_aad_prefix(w, group_id, epoch, type);
  return w.take();
}

Bytes encode_private_content_aad(ByteView group_id, std::uint64_t epoch, ContentType type,
                                 ByteView authenticated_data) {
  Writer w(group_id.size() + authenticated_data.size() + 24);
  write_private_aad_prefix(w, group_id, epoch, type);
  w.write_varint(authenticated_data.size());
  w.write_raw(authenticated_data);
  return w.take();
}

}  // namespace conclave::mls
