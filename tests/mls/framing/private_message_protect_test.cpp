#include "mls/framing/private_message_protect.h"

#include <gtest/gtest.h>

#include "tests/mls/framing/framing_fixture.h"

namespace conclave::mls {
namespace {

class PrivateMessageProtect : public testing::FramingTest {
 protected:
  PrivateMessage protect(Content body, std::size_t padding = 0) {
    auto ac = sign_content(epoch_, WireFormat::private_message, content(std::move(body)), signer_);
    EXPECT_TRUE(ac);
    auto pm =
        protect_private_message(epoch_, *ac, sender_tree_, sender_data_secret_, rng_, padding);
    EXPECT_TRUE(pm) << pm.error().message();
    return *pm;
  }
  Result<AuthenticatedContent> unprotect(const PrivateMessage& pm) {
    return unprotect_private_message(epoch_, pm, receiver_tree_, sender_data_secret_, lookup());
  }

  // seal_plaintext encrypts arbitrary PrivateMessageContent bytes the way §6.3 prescribes, to
  // build messages protect_private_message refuses to make (non-zero padding).
  PrivateMessage seal_plaintext(ContentType type, const Bytes& plaintext) {
    auto key = sender_tree_.next_key(LeafIndex{kSender}, type == ContentType::application
                                                             ? RatchetType::application
                                                             : RatchetType::handshake);
    EXPECT_TRUE(key);
    PrivateMessage pm;
    pm.group_id = context_.group_id;
    pm.epoch = context_.epoch;
    pm.content_type = type;
    pm.authenticated_data = {0xad};  // as content() sets it
    pm.ciphertext = suite_.seal(
        key->key.view(), key->nonce.view(),
        encode_private_content_aad(pm.group_id, pm.epoch, type, pm.authenticated_data), plaintext);
    const SenderDataKey sd = derive_sender_data_key(suite_, sender_data_secret_, pm.ciphertext);
    pm.encrypted_sender_data = suite_.seal(sd.key.view(), sd.nonce.view(),
                                           encode_sender_data_aad(pm.group_id, pm.epoch, type),
                                           encode(SenderData{kSender, key->generation, {}}));
    return pm;
  }

  static Content app(Bytes data) { return Content{ApplicationData{std::move(data)}}; }

  testing::CountingRng rng_;
  SecretTree sender_tree_ = tree();
  SecretTree receiver_tree_ = tree();
};

TEST_F(PrivateMessageProtect, RoundTripsEveryContentType) {
  for (Content body : {app({1, 2, 3}), Content{Proposal{Remove{0}}}, Content{Commit{}}}) {
    const PrivateMessage pm = protect(body, 7);
    auto ac = unprotect(pm);
    ASSERT_TRUE(ac) << ac.error().message();
    EXPECT_EQ(ac->content.content, body);
    EXPECT_EQ(ac->content.authenticated_data, Bytes{0xad});
    EXPECT_EQ(ac->content.sender, (Sender{MemberSender{kSender}}));
    EXPECT_EQ(ac->wire_format, WireFormat::private_message);
  }
}

TEST_F(PrivateMessageProtect, OutOfOrderWithinTheWindow) {
  const PrivateMessage first = protect(app({1}));
  const PrivateMessage second = protect(app({2}));
  ASSERT_TRUE(unprotect(second));
  ASSERT_TRUE(unprotect(first));
}

TEST_F(PrivateMessageProtect, ReplayIsRejected) {
  const PrivateMessage pm = protect(app({1}));
  ASSERT_TRUE(unprotect(pm));
  EXPECT_EQ(unprotect(pm).error(), Errc::generation_too_old);
}

TEST_F(PrivateMessageProtect, TamperedCiphertextIsRejected) {
  PrivateMessage pm = protect(app(Bytes(40, 0x77)));
  pm.ciphertext.back() ^= 1;  // the tag; the sample (first Nh bytes) is unchanged
  EXPECT_EQ(unprotect(pm).error(), Errc::decryption_failed);
}

TEST_F(PrivateMessageProtect, ForgedCiphertextDoesNotBurnTheGeneration) {
  const PrivateMessage genuine = protect(app(Bytes(40, 0x77)));
  PrivateMessage forged = genuine;
  forged.ciphertext.back() ^= 1;
  EXPECT_EQ(unprotect(forged).error(), Errc::decryption_failed);
  auto ac = unprotect(genuine);
  ASSERT_TRUE(ac) << ac.error().message();
  EXPECT_EQ(unprotect(genuine).error(), Errc::generation_too_old);
}

TEST_F(PrivateMessageProtect, TamperedSampleBreaksTheSenderData) {
  PrivateMessage pm = protect(app(Bytes(40, 0x77)));
  pm.ciphertext[0] ^= 1;
  EXPECT_EQ(unprotect(pm).error(), Errc::decryption_failed);
}

TEST_F(PrivateMessageProtect, TamperedAuthenticatedDataIsRejected) {
  PrivateMessage pm = protect(app({1}));
  pm.authenticated_data.push_back(1);
  EXPECT_EQ(unprotect(pm).error(), Errc::decryption_failed);
}

TEST_F(PrivateMessageProtect, ContentTypeIsBoundToTheSenderData) {
  PrivateMessage pm = protect(Content{Proposal{Remove{0}}});
  pm.content_type = ContentType::commit;
  EXPECT_EQ(unprotect(pm).error(), Errc::decryption_failed);
}

TEST_F(PrivateMessageProtect, NonZeroPaddingIsRejected) {
  Writer w;
  write_body(w, app({9}));
  const auto ac = sign_content(epoch_, WireFormat::private_message, content(app({9})), signer_);
  ASSERT_TRUE(ac);
  write(w, ac->auth, ContentType::application);
  Bytes zero_padded = w.bytes();
  zero_padded.insert(zero_padded.end(), {0, 0, 0, 0});
  Bytes bad_padded = zero_padded;
  bad_padded[bad_padded.size() - 2] = 1;

  // The same bytes with zero padding are accepted, so only the padding differs.
  auto good = unprotect(seal_plaintext(ContentType::application, zero_padded));
  ASSERT_TRUE(good) << good.error().message();
  EXPECT_EQ(good->content.content, app({9}));
  EXPECT_EQ(unprotect(seal_plaintext(ContentType::application, bad_padded)).error(),
            Errc::invalid_padding);
  EXPECT_EQ(decode_private_message_content(bad_padded, ContentType::application).error(),
            Errc::invalid_padding);
  auto pmc = decode_private_message_content(zero_padded, ContentType::application);
  ASSERT_TRUE(pmc);
  EXPECT_EQ(pmc->padding, 4u);
}

TEST_F(PrivateMessageProtect, WrongEpochAndGroupAreRejected) {
  PrivateMessage pm = protect(app({1}));
  pm.epoch = 3;
  EXPECT_EQ(unprotect(pm).error(), Errc::wrong_epoch);
  pm.epoch = 4;
  pm.group_id = {'x'};
  EXPECT_EQ(unprotect(pm).error(), Errc::wrong_group);
}

TEST_F(PrivateMessageProtect, OnlyMembersEncrypt) {
  FramedContent c = content(Content{Proposal{Remove{0}}});
  c.sender.value = NewMemberProposalSender{};
  AuthenticatedContent ac{WireFormat::private_message, c, {}};
  EXPECT_EQ(protect_private_message(epoch_, ac, sender_tree_, sender_data_secret_, rng_).error(),
            Errc::invalid_sender);
}

TEST_F(PrivateMessageProtect, WrongSenderDataSecretFails) {
  const PrivateMessage pm = protect(app({1}));
  const SenderDataSecret other(ByteView(Bytes(32, 0x23)));
  EXPECT_EQ(unprotect_private_message(epoch_, pm, receiver_tree_, other, lookup()).error(),
            Errc::decryption_failed);
}

}  // namespace
}  // namespace conclave::mls
