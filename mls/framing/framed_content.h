#pragma once
// FramedContent and what is computed over it (RFC 9420 §6, §6.1, §8.2).
#include <cstdint>
#include <tuple>
#include <variant>

#include "mls/codec/codec.h"
#include "mls/framing/commit.h"
#include "mls/framing/proposal.h"
#include "mls/framing/wire_format.h"
#include "mls/schedule/group_context.h"

namespace conclave::mls {

// enum { reserved(0), application(1), proposal(2), commit(3), (255) } ContentType;
enum class ContentType : std::uint8_t { application = 1, proposal = 2, commit = 3 };

// Reading a ContentType accepts only the three defined values (Errc::invalid_value otherwise).
bool read(Reader& r, ContentType& v);

// enum {
//     reserved(0), member(1), external(2), new_member_proposal(3), new_member_commit(4), (255)
// } SenderType;
enum class SenderType : std::uint8_t {
  member = 1,
  external = 2,
  new_member_proposal = 3,
  new_member_commit = 4,
};

struct MemberSender {
  std::uint32_t leaf_index = 0;
  bool operator==(const MemberSender&) const = default;
};
struct ExternalSender {
  std::uint32_t sender_index = 0;  // index into the external_senders extension
  bool operator==(const ExternalSender&) const = default;
};
struct NewMemberProposalSender {
  bool operator==(const NewMemberProposalSender&) const = default;
};
struct NewMemberCommitSender {
  bool operator==(const NewMemberCommitSender&) const = default;
};

// struct {
//     SenderType sender_type;
//     select (Sender.sender_type) {
//         case member:              uint32 leaf_index;
//         case external:            uint32 sender_index;
//         case new_member_commit:
//         case new_member_proposal: struct{};
//     };
// } Sender;
// Alternatives in SenderType order; unknown sender types fail with Errc::invalid_value.
struct Sender {
  std::variant<MemberSender, ExternalSender, NewMemberProposalSender, NewMemberCommitSender> value;
  SenderType type() const { return static_cast<SenderType>(value.index() + 1); }
  bool operator==(const Sender&) const = default;
};

void write(Writer& w, const Sender& v);
bool read(Reader& r, Sender& v);

// opaque application_data<V>  (the application case of the content select)
struct ApplicationData {
  Bytes data;
  bool operator==(const ApplicationData&) const = default;
};

// The content of a message: the `select (content_type)` of FramedContent and
// PrivateMessageContent. Alternatives in ContentType order.
struct Content {
  std::variant<ApplicationData, Proposal, Commit> value;
  ContentType type() const { return static_cast<ContentType>(value.index() + 1); }
  bool operator==(const Content&) const = default;
};

// write / read: ContentType content_type; then the select body, as in FramedContent.
void write(Writer& w, const Content& v);
bool read(Reader& r, Content& v);
// write_body / read_body: the select body alone (PrivateMessageContent, whose type is outside).
void write_body(Writer& w, const Content& v);
bool read_body(Reader& r, ContentType type, Content& v);

// struct {
//     opaque group_id<V>;
//     uint64 epoch;
//     Sender sender;
//     opaque authenticated_data<V>;
//     ContentType content_type;
//     select (FramedContent.content_type) {
//         case application: opaque application_data<V>;
//         case proposal:    Proposal proposal;
//         case commit:      Commit commit;
//     };
// } FramedContent;
struct FramedContent {
  Bytes group_id;
  std::uint64_t epoch = 0;
  Sender sender;
  Bytes authenticated_data;
  Content content;  // carries content_type
  static constexpr auto fields() {
    return std::tuple{&FramedContent::group_id, &FramedContent::epoch, &FramedContent::sender,
                      &FramedContent::authenticated_data, &FramedContent::content};
  }
  ContentType content_type() const { return content.type(); }
  bool operator==(const FramedContent&) const = default;
};

// opaque MAC<V>;
// struct {
//     /* SignWithLabel(., "FramedContentTBS", FramedContentTBS) */
//     opaque signature<V>;
//     select (FramedContent.content_type) {
//         case commit:                 MAC confirmation_tag;
//         case application, proposal: struct{};
//     };
// } FramedContentAuthData;
// Its encoding depends on the content type held elsewhere; confirmation_tag is on the wire only
// for commits (and then always, possibly empty).
struct FramedContentAuthData {
  Bytes signature;
  Bytes confirmation_tag;
  bool operator==(const FramedContentAuthData&) const = default;
};

void write(Writer& w, const FramedContentAuthData& v, ContentType type);
bool read(Reader& r, FramedContentAuthData& v, ContentType type);

// struct {
//     WireFormat wire_format;
//     FramedContent content;
//     FramedContentAuthData auth;
// } AuthenticatedContent;
struct AuthenticatedContent {
  WireFormat wire_format = WireFormat::public_message;
  FramedContent content;
  FramedContentAuthData auth;
  bool operator==(const AuthenticatedContent&) const = default;
};

void write(Writer& w, const AuthenticatedContent& v);
bool read(Reader& r, AuthenticatedContent& v);

// sender_has_group_context tells whether FramedContentTBS includes the GroupContext for this
// sender: member and new_member_commit do (§6.1).
inline bool sender_has_group_context(const Sender& s) {
  return s.type() == SenderType::member || s.type() == SenderType::new_member_commit;
}

// struct {
//     ProtocolVersion version = mls10;
//     WireFormat wire_format;
//     FramedContent content;
//     select (FramedContentTBS.content.sender.sender_type) {
//         case member:
//         case new_member_commit:   GroupContext context;
//         case external:
//         case new_member_proposal: struct{};
//     };
// } FramedContentTBS;
// write_framed_content_tbs appends FramedContentTBS; `encoded_group_context` is the encoded
// GroupContext, used only when the sender calls for it.
void write_framed_content_tbs(Writer& w, WireFormat wire_format, const FramedContent& content,
                              ByteView encoded_group_context);
Bytes encode_framed_content_tbs(WireFormat wire_format, const FramedContent& content,
                                ByteView encoded_group_context);

// struct {
//   FramedContentTBS content_tbs;
//   FramedContentAuthData auth;
// } AuthenticatedContentTBM;   (§6.2; the membership tag's MAC input)
Bytes encode_authenticated_content_tbm(ByteView framed_content_tbs,
                                       const FramedContentAuthData& auth, ContentType type);

// struct {
//     WireFormat wire_format;
//     FramedContent content; /* with content_type == commit */
//     opaque signature<V>;
// } ConfirmedTranscriptHashInput;   (§8.2)
Bytes encode_confirmed_transcript_hash_input(const AuthenticatedContent& ac);

// struct { MAC confirmation_tag; } InterimTranscriptHashInput;   (§8.2)
Bytes encode_interim_transcript_hash_input(ByteView confirmation_tag);

}  // namespace conclave::mls
