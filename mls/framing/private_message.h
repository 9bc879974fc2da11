#pragma once
// PrivateMessage and its encrypted parts (RFC 9420 §6.3).
#include <array>
#include <cstdint>
#include <tuple>

#include "mls/codec/codec.h"
#include "mls/framing/framed_content.h"

namespace conclave::mls {

// struct {
//     opaque group_id<V>;
//     uint64 epoch;
//     ContentType content_type;
//     opaque authenticated_data<V>;
//     opaque encrypted_sender_data<V>;
//     opaque ciphertext<V>;
// } PrivateMessage;
struct PrivateMessage {
  Bytes group_id;
  std::uint64_t epoch = 0;
  ContentType content_type = ContentType::application;
  Bytes authenticated_data;
  Bytes encrypted_sender_data;
  Bytes ciphertext;
  static constexpr auto fields() {
    return std::tuple{&PrivateMessage::group_id,
                      &PrivateMessage::epoch,
                      &PrivateMessage::content_type,
                      &PrivateMessage::authenticated_data,
                      &PrivateMessage::encrypted_sender_data,
                      &PrivateMessage::ciphertext};
  }
  bool operator==(const PrivateMessage&) const = default;
};

// struct {
//     select (PrivateMessage.content_type) {
//         case application: opaque application_data<V>;
//         case proposal:    Proposal proposal;
//         case commit:      Commit commit;
//     };
//     FramedContentAuthData auth;
//     opaque padding[length_of_padding];
// } PrivateMessageContent;   (§6.3.1)
struct PrivateMessageContent {
  Content content;
  FramedContentAuthData auth;
  std::size_t padding = 0;  // number of zero bytes
  bool operator==(const PrivateMessageContent&) const = default;
};

// write appends the content, the auth data and `padding` zero bytes.
void write(Writer& w, const PrivateMessageContent& v);
// decode_private_message_content parses a decrypted PrivateMessageContent of type `type`.
// Everything after the auth data is padding and must be zero (Errc::invalid_padding, §6.3.1).
Result<PrivateMessageContent> decode_private_message_content(ByteView plaintext, ContentType type);

// struct {
//     uint32 leaf_index;
//     uint32 generation;
//     opaque reuse_guard[4];
// } SenderData;
struct SenderData {
  std::uint32_t leaf_index = 0;
  std::uint32_t generation = 0;
  std::array<std::uint8_t, 4> reuse_guard{};
  static constexpr auto fields() {
    return std::tuple{&SenderData::leaf_index, &SenderData::generation, &SenderData::reuse_guard};
  }
  bool operator==(const SenderData&) const = default;
};

// struct {
//     opaque group_id<V>;
//     uint64 epoch;
//     ContentType content_type;
// } SenderDataAAD;
Bytes encode_sender_data_aad(ByteView group_id, std::uint64_t epoch, ContentType type);

// struct {
//     opaque group_id<V>;
//     uint64 epoch;
//     ContentType content_type;
//     opaque authenticated_data<V>;
// } PrivateContentAAD;
Bytes encode_private_content_aad(ByteView group_id, std::uint64_t epoch, ContentType type,
                                 ByteView authenticated_data);

}  // namespace conclave::mls
