#include "mls/framing/public_message_protect.h"

#include <gtest/gtest.h>

#include "tests/mls/framing/framing_fixture.h"

namespace conclave::mls {
namespace {

class PublicMessageProtect : public testing::FramingTest {
 protected:
  PublicMessage protect(Content body) {
    auto ac = sign_content(epoch_, WireFormat::public_message, content(std::move(body)), signer_);
    EXPECT_TRUE(ac);
    auto pm = protect_public_message(epoch_, std::move(*ac), membership_key_);
    EXPECT_TRUE(pm) << pm.error().message();
    return *pm;
  }
  Result<AuthenticatedContent> unprotect(const PublicMessage& pm) {
    return unprotect_public_message(epoch_, pm, membership_key_, lookup());
  }
  static Content remove_proposal() { return Content{Proposal{Remove{0}}}; }
};

TEST_F(PublicMessageProtect, RoundTrips) {
  const PublicMessage pm = protect(remove_proposal());
  EXPECT_EQ(pm.membership_tag.size(), 32u);
  auto ac = unprotect(pm);
  ASSERT_TRUE(ac) << ac.error().message();
  EXPECT_EQ(ac->content, pm.content);
  EXPECT_EQ(ac->wire_format, WireFormat::public_message);
}

TEST_F(PublicMessageProtect, TamperedMembershipTagIsRejected) {
  PublicMessage pm = protect(remove_proposal());
  pm.membership_tag[0] ^= 1;
  EXPECT_EQ(unprotect(pm).error(), Errc::bad_membership_tag);
  pm.membership_tag.pop_back();
  EXPECT_EQ(unprotect(pm).error(), Errc::bad_membership_tag);
}

TEST_F(PublicMessageProtect, TamperedContentFailsTheMembershipTag) {
  PublicMessage pm = protect(remove_proposal());
  pm.content.authenticated_data.push_back(0);
  EXPECT_EQ(unprotect(pm).error(), Errc::bad_membership_tag);
}

TEST_F(PublicMessageProtect, BadSignatureIsRejected) {
  PublicMessage pm = protect(remove_proposal());
  pm.auth.signature[5] ^= 1;
  // Recompute the tag so only the signature is wrong.
  AuthenticatedContent ac{WireFormat::public_message, pm.content, pm.auth};
  pm = *protect_public_message(epoch_, ac, membership_key_);
  EXPECT_EQ(unprotect(pm).error(), Errc::bad_signature);
}

TEST_F(PublicMessageProtect, WrongEpochAndGroupAreRejected) {
  PublicMessage pm = protect(remove_proposal());
  pm.content.epoch = 5;
  EXPECT_EQ(unprotect(pm).error(), Errc::wrong_epoch);
  pm.content.epoch = 4;
  pm.content.group_id.push_back('!');
  EXPECT_EQ(unprotect(pm).error(), Errc::wrong_group);
}

TEST_F(PublicMessageProtect, ApplicationDataIsRefused) {
  auto ac = sign_content(epoch_, WireFormat::public_message,
                         content(Content{ApplicationData{{1, 2, 3}}}), signer_);
  ASSERT_TRUE(ac);
  // RFC 9420 §6: application data is only ever sent as a PrivateMessage.
  EXPECT_EQ(protect_public_message(epoch_, *ac, membership_key_).error(),
            Errc::invalid_content_type);
  PublicMessage pm{ac->content, ac->auth, {}};
  EXPECT_EQ(unprotect(pm).error(), Errc::invalid_content_type);
}

TEST_F(PublicMessageProtect, UnknownSignerIsRejected) {
  PublicMessage pm = protect(remove_proposal());
  pm.content.sender.value = MemberSender{0};
  AuthenticatedContent ac{WireFormat::public_message, pm.content, pm.auth};
  pm = *protect_public_message(epoch_, ac, membership_key_);
  EXPECT_EQ(unprotect(pm).error(), Errc::invalid_sender);
}

}  // namespace
}  // namespace conclave::mls
