#include "mls/framing/framed_content.h"

#include <utility>

#include "mls/framing/protocol_version.h"

namespace conclave::mls {

bool read(Reader& r, ContentType& v) {
  std::uint8_t u = 0;
  if (!r.read_uint(u)) return false;
  if (u < 1 || u > 3) return r.fail(Errc::invalid_value);
  v = static_cast<ContentType>(u);
  return true;
}

void write(Writer& w, const Sender& v) {
  write(w, v.type());
  if (const auto* m = std::get_if<MemberSender>(&v.value)) {
    write(w, m->leaf_index);
  } else if (const auto* e = std::get_if<ExternalSender>(&v.value)) {
    write(w, e->sender_index);
  }
}

bool read(Reader& r, Sender& v) {
  SenderType type{};
  if (!read(r, type)) return false;
  switch (type) {
    case SenderType::member: {
      MemberSender s;
      if (!read(r, s.leaf_index)) return false;
      v.value = s;
      return true;
    }
    case SenderType::external: {
      ExternalSender s;
      if (!read(r, s.sender_index)) return false;
      v.value = s;
      return true;
    }
    case SenderType::new_member_proposal:
      v.value = NewMemberProposalSender{};
      return true;
    case SenderType::new_member_commit:
      v.value = NewMemberCommitSender{};
      return true;
  }
  return r.fail(Errc::invalid_value);
}

void write_body(Writer& w, const Content& v) {
  if (const auto* app = std::get_if<ApplicationData>(&v.value)) {
    write(w, app->data);
  } else if (const auto* p = std::get_if<Proposal>(&v.value)) {
    write(w, *p);
  } else {
    write(w, std::get<Commit>(v.value));
  }
}

bool read_body(Reader& r, ContentType type, Content& v) {
  switch (type) {
    case ContentType::application: {
      ApplicationData app;
      if (!read(r, app.data)) return false;
      v.value = std::move(app);
      return true;
    }
    case ContentType::proposal: {
      Proposal p;
      if (!read(r, p)) return false;
      v.value = std::move(p);
      return true;
    }
    case ContentType::commit: {
      Commit c;
      if (!read(r, c)) return false;
      v.value = std::move(c);
      return true;
    }
  }
  return r.fail(Errc::invalid_value);
}

void write(Writer& w, const Content& v) {
  write(w, v.type());
  write_body(w, v);
}

bool read(Reader& r, Content& v) {
  ContentType type{};
  return read(r, type) && read_body(r, type, v);
}

void write(Writer& w, const FramedContentAuthData& v, ContentType type) {
  write(w, v.signature);
  if (type == ContentType::commit) write(w, v.confirmation_tag);
}

bool read(Reader& r, FramedContentAuthData& v, ContentType type) {
  if (!read(r, v.signature)) return false;
  if (type == ContentType::commit) return read(r, v.confirmation_tag);
  v.confirmation_tag.clear();
  return true;
}

void write(Writer& w, const AuthenticatedContent& v) {
  write(w, v.wire_format);
  write(w, v.content);
  write(w, v.auth, v.content.content_type());
}

bool read(Reader& r, AuthenticatedContent& v) {
  return read(r, v.wire_format) && read(r, v.content) && read(r, v.auth, v.content.content_type());
}

void write_framed_content_tbs(Writer& w, WireFormat wire_format, const FramedContent& content,
                              ByteView encoded_group_context) {
  write(w, ProtocolVersion::mls10);
  write(w, wire_format);
  write(w, content);
  if (sender_has_group_context(content.sender)) w.write_raw(encoded_group_context);
}

Bytes encode_framed_content_tbs(WireFormat wire_format, const FramedContent& content,
                                ByteView encoded_group_context) {
  Writer w;
  write_framed_content_tbs(w, wire_format, content, encoded_group_context);
  return w.take();
}

Bytes encode_authenticated_content_tbm(ByteView framed_content_tbs,
                                       const FramedContentAuthData& auth, ContentType type) {
  Writer w(framed_content_tbs.size() + auth.signature.size() + auth.confirmation_tag.size() + 8);
  w.write_raw(framed_content_tbs);
  write(w, auth, type);
  return w.take();
}

Bytes encode_confirmed_transcript_hash_input(const AuthenticatedContent& ac) {
  Writer w;
  write(w, ac.wire_format);
  write(w, ac.content);
  write(w, ac.auth.signature);
  return w.take();
}

Bytes encode_interim_transcript_hash_input(ByteView confirmation_tag) {
  Writer w(confirmation_tag.size() + 4);
  w.write_varint(confirmation_tag.size());
  w.write_raw(confirmation_tag);
  return w.take();
}

}  // namespace conclave::mls
