#include "mls/framing/mls_message.h"

#include <gtest/gtest.h>

#include "mls/codec/codec.h"
#include "mls/framing/credential.h"
#include "mls/framing/proposal.h"

namespace conclave::mls {
namespace {

// A PublicMessage from member 3 carrying a Remove proposal, wrapped in an MLSMessage.
MlsMessage sample_public_message() {
  PublicMessage pm;
  pm.content.group_id = {0xaa, 0xbb};
  pm.content.epoch = 7;
  pm.content.sender.value = MemberSender{3};
  pm.content.authenticated_data = {0x01};
  pm.content.content.value = Proposal{Remove{5}};
  pm.auth.signature = Bytes(64, 0x5a);
  pm.membership_tag = Bytes(32, 0x6b);
  return MlsMessage{ProtocolVersion::mls10, pm};
}

// Offsets in the encoding of sample_public_message().
constexpr std::size_t kVersionAt = 0;
constexpr std::size_t kWireFormatAt = 2;
constexpr std::size_t kSenderTypeAt = 4 + 3 + 8;               // after group_id<V>, epoch
constexpr std::size_t kContentTypeAt = kSenderTypeAt + 5 + 2;  // after sender, aad<V>

Errc decode_error(const Bytes& wire) {
  auto m = decode<MlsMessage>(wire);
  if (m) return Errc::ok;
  return static_cast<Errc>(m.error().value());
}

TEST(MlsMessage, RoundTrips) {
  const MlsMessage m = sample_public_message();
  const Bytes wire = encode(m);
  auto back = decode<MlsMessage>(wire);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, m);
  EXPECT_EQ(back->wire_format(), WireFormat::public_message);
  EXPECT_EQ(wire[kSenderTypeAt], 1);
  EXPECT_EQ(wire[kContentTypeAt], 2);
}

TEST(MlsMessage, EveryTruncationFails) {
  const Bytes wire = encode(sample_public_message());
  for (std::size_t n = 0; n < wire.size(); ++n) {
    EXPECT_NE(decode_error(Bytes(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n))),
              Errc::ok)
        << "prefix of " << n << " bytes accepted";
  }
}

TEST(MlsMessage, TrailingByteIsRejected) {
  Bytes wire = encode(sample_public_message());
  wire.push_back(0);
  EXPECT_EQ(decode_error(wire), Errc::trailing_data);
}

TEST(MlsMessage, UnknownVersionIsRejected) {
  for (std::uint8_t v : {0, 2, 0xff}) {
    Bytes wire = encode(sample_public_message());
    wire[kVersionAt + 1] = v;
    EXPECT_EQ(decode_error(wire), Errc::invalid_value) << int{v};
  }
}

TEST(MlsMessage, UnknownWireFormatIsRejected) {
  for (std::uint8_t wf : {0, 6, 0xff}) {
    Bytes wire = encode(sample_public_message());
    wire[kWireFormatAt + 1] = wf;
    EXPECT_EQ(decode_error(wire), Errc::invalid_value) << int{wf};
  }
}

TEST(MlsMessage, UnknownSenderTypeIsRejected) {
  for (std::uint8_t st : {0, 5, 0xff}) {
    Bytes wire = encode(sample_public_message());
    wire[kSenderTypeAt] = st;
    EXPECT_EQ(decode_error(wire), Errc::invalid_value) << int{st};
  }
}

TEST(MlsMessage, UnknownContentTypeIsRejected) {
  for (std::uint8_t ct : {0, 4, 0xff}) {
    Bytes wire = encode(sample_public_message());
    wire[kContentTypeAt] = ct;
    EXPECT_EQ(decode_error(wire), Errc::invalid_value) << int{ct};
  }
}

TEST(MlsMessage, PrivateMessageContentTypeIsChecked) {
  PrivateMessage pm;
  pm.group_id = {1};
  pm.content_type = ContentType::commit;
  Bytes wire = encode(MlsMessage{ProtocolVersion::mls10, pm});
  EXPECT_EQ(decode_error(wire), Errc::ok);
  wire[4 + 2 + 8] = 4;  // version, wire_format, group_id<V>, epoch
  EXPECT_EQ(decode_error(wire), Errc::invalid_value);
}

TEST(MlsMessage, NonMemberSenderHasNoMembershipTag) {
  MlsMessage m = sample_public_message();
  auto& pm = std::get<PublicMessage>(m.message);
  pm.content.sender.value = ExternalSender{0};
  pm.membership_tag.clear();
  auto back = decode<MlsMessage>(encode(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, m);
}

TEST(Credential, UnknownTypeIsRejected) {
  EXPECT_TRUE(decode<Credential>(Bytes{0x00, 0x01, 0x01, 0x41}));
  EXPECT_EQ(decode<Credential>(Bytes{0x00, 0x03, 0x01, 0x41}).error(), Errc::invalid_value);
  EXPECT_EQ(decode<Credential>(Bytes{0x00, 0x00, 0x01, 0x41}).error(), Errc::invalid_value);
}

TEST(Proposal, UnknownExtensionTypesRoundTrip) {
  const Proposal p{GroupContextExtensions{{Extension{0xff0a, {1, 2, 3}}, Extension{0x0a0a, {}}}}};
  const Bytes wire = encode(p);
  auto back = decode<Proposal>(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, p);
  EXPECT_EQ(encode(*back), wire);
}

TEST(Capabilities, GreaseValuesRoundTrip) {
  // RFC 9420 §13.5: capabilities may list GREASE values, which must be accepted.
  Capabilities c;
  c.versions = {ProtocolVersion::mls10, static_cast<ProtocolVersion>(0x0a0a)};
  c.cipher_suites = {1, 0x1a1a};
  c.extensions = {0x2a2a};
  c.proposals = {static_cast<ProposalType>(0x3a3a)};
  c.credentials = {CredentialType::basic, static_cast<CredentialType>(0x4a4a)};
  auto back = decode<Capabilities>(encode(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, c);
}

TEST(Proposal, ReservedTypeIsInvalidAndUnknownUnsupported) {
  EXPECT_EQ(decode<Proposal>(Bytes{0x00, 0x00}).error(), Errc::invalid_value);
  EXPECT_EQ(decode<Proposal>(Bytes{0x0a, 0x0a, 0x00}).error(), Errc::unsupported);
  EXPECT_TRUE(decode<Proposal>(Bytes{0x00, 0x03, 0x00, 0x00, 0x00, 0x09}));  // Remove 9
}

TEST(ProposalOrRef, UnknownSelectorIsRejected) {
  EXPECT_TRUE(decode<ProposalOrRef>(Bytes{0x02, 0x01, 0xee}));
  EXPECT_EQ(decode<ProposalOrRef>(Bytes{0x03, 0x01, 0xee}).error(), Errc::invalid_value);
}

TEST(LeafNode, UnknownSourceIsRejected) {
  LeafNodeSource s{CommitSource{{9, 9}}};
  Bytes wire = encode(s);
  EXPECT_EQ(*decode<LeafNodeSource>(wire), s);
  wire[0] = 4;
  EXPECT_EQ(decode<LeafNodeSource>(wire).error(), Errc::invalid_value);
}

}  // namespace
}  // namespace conclave::mls
