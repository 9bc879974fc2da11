// message-protection.json (RFC 9420 test vectors, "Message Protection"): for proposal, commit
// and application content, unprotect the given PublicMessage / PrivateMessage (sender: leaf 1
// of a 2-member group) and compare the content; protect the raw content again and unprotect
// the result (§6.2, §6.3). Application data sent as a PublicMessage must be refused.
#include <optional>
#include <string>

#include "mls/codec/codec.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/mls_message.h"
#include "mls/framing/private_message_protect.h"
#include "mls/framing/public_message_protect.h"
#include "mls/schedule/secret_tree.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

namespace {

constexpr std::uint32_t kSenderLeaf = 1;

// The inputs of one test case that every sub-check shares.
struct Case {
  const mls::CipherSuite* suite = nullptr;
  mls::GroupContext context;
  mls::Bytes signature_pub;
  mls::Bytes encryption_secret;
  mls::SenderDataSecret sender_data_secret;
  mls::MembershipKey membership_key;
};

mls::SecretTree fresh_tree(const Case& c) {
  return mls::SecretTree(*c.suite, mls::EncryptionSecret(mls::ByteView(c.encryption_secret)),
                         *mls::LeafCount::create(2));
}

template <class T>
std::optional<T> decode_message(const mls::Bytes& wire) {
  auto m = mls::decode<mls::MlsMessage>(wire);
  if (!m) return std::nullopt;
  auto* inner = std::get_if<T>(&m->message);
  if (inner == nullptr) return std::nullopt;
  return std::move(*inner);
}

// describe names the first failed step of a protect + unprotect round trip.
template <class A, class B, class C>
std::string describe(const A& sign, const B& protect, const C& unprotect) {
  if (!sign) return "sign: " + sign.error().message();
  if (!protect) return "protect: " + protect.error().message();
  if (!unprotect) return "unprotect: " + unprotect.error().message();
  return "content differs";
}

// check_one runs the four checks for one kind of content.
void check_one(const Case& c, const mls::SigningKey& signer, const nlohmann::json& tc,
               const std::string& kind, const mls::Content& raw, const std::string& where,
               Report& report) {
  const mls::MessageEpoch epoch(*c.suite, c.context);
  const mls::SignatureKeyLookup lookup = [&](const mls::Sender& s) -> mls::Result<mls::ByteView> {
    const auto* m = std::get_if<mls::MemberSender>(&s.value);
    if (m == nullptr || m->leaf_index != kSenderLeaf) return mls::fail(mls::Errc::invalid_sender);
    return mls::ByteView(c.signature_pub);
  };
  mls::FramedContent content;
  content.group_id = c.context.group_id;
  content.epoch = c.context.epoch;
  content.sender.value = mls::MemberSender{kSenderLeaf};
  content.content = raw;
  const bool is_commit = raw.type() == mls::ContentType::commit;
  const std::string at = where + kind + ": ";

  // PublicMessage: the given one, then our own (application content must be refused).
  if (raw.type() != mls::ContentType::application) {
    auto pub = decode_message<mls::PublicMessage>(hex_field(tc, (kind + "_pub").c_str()));
    auto got = pub ? mls::unprotect_public_message(epoch, *pub, c.membership_key, lookup)
                   : mls::fail(mls::Errc::malformed);
    report.expect(got && got->content.content == raw, at + "unprotect given PublicMessage");

    auto signed_content =
        mls::sign_content(epoch, mls::WireFormat::public_message, content, signer);
    if (signed_content && is_commit) {
      signed_content->auth.confirmation_tag = c.suite->mac(c.membership_key.view(), {});
    }
    auto mine = signed_content ? mls::protect_public_message(epoch, std::move(*signed_content),
                                                             c.membership_key)
                               : mls::fail(signed_content.error());
    std::optional<mls::PublicMessage> reparsed;
    if (mine)
      reparsed = decode_message<mls::PublicMessage>(
          mls::encode(mls::MlsMessage{mls::ProtocolVersion::mls10, *mine}));
    auto again = reparsed
                     ? mls::unprotect_public_message(epoch, *reparsed, c.membership_key, lookup)
                     : mls::fail(mls::Errc::malformed);
    report.expect(again && again->content.content == raw,
                  at + "protect + unprotect public: " + describe(signed_content, mine, again));
  } else {
    auto signed_content =
        mls::sign_content(epoch, mls::WireFormat::public_message, content, signer);
    auto mine = signed_content ? mls::protect_public_message(epoch, std::move(*signed_content),
                                                             c.membership_key)
                               : mls::fail(signed_content.error());
    report.expect(!mine && mine.error() == mls::Errc::invalid_content_type,
                  at + "application data as PublicMessage not refused");
  }

  // PrivateMessage: the given one, then our own.
  {
    auto priv = decode_message<mls::PrivateMessage>(hex_field(tc, (kind + "_priv").c_str()));
    mls::SecretTree tree = fresh_tree(c);
    auto got =
        priv ? mls::unprotect_private_message(epoch, *priv, tree, c.sender_data_secret, lookup)
             : mls::fail(mls::Errc::malformed);
    report.expect(got && got->content.content == raw, at + "unprotect given PrivateMessage");
  }
  {
    auto signed_content =
        mls::sign_content(epoch, mls::WireFormat::private_message, content, signer);
    if (signed_content && is_commit) {
      signed_content->auth.confirmation_tag = c.suite->mac(c.membership_key.view(), {});
    }
    mls::SecretTree sender_tree = fresh_tree(c);
    auto mine = signed_content ? mls::protect_private_message(epoch, *signed_content, sender_tree,
                                                              c.sender_data_secret)
                               : mls::fail(signed_content.error());
    std::optional<mls::PrivateMessage> reparsed;
    if (mine) {
      reparsed = decode_message<mls::PrivateMessage>(
          mls::encode(mls::MlsMessage{mls::ProtocolVersion::mls10, *mine}));
    }
    mls::SecretTree receiver_tree = fresh_tree(c);
    auto again = reparsed ? mls::unprotect_private_message(epoch, *reparsed, receiver_tree,
                                                           c.sender_data_secret, lookup)
                          : mls::fail(mls::Errc::malformed);
    report.expect(again && again->content.content == raw && signed_content &&
                      again->auth == signed_content->auth,
                  at + "protect + unprotect private: " + describe(signed_content, mine, again));
  }
}

}  // namespace

void check_message_protection(const nlohmann::json& file, Report& report) {
  for (std::size_t i = 0; i < file.size(); ++i) {
    const auto& tc = file[i];
    const std::string where = "case " + std::to_string(i) + " ";
    const auto suite_id = tc.at("cipher_suite").get<std::uint16_t>();
    const mls::CipherSuite* suite = case_suite(tc, where, report);
    if (suite == nullptr) continue;
    Case c;
    c.suite = suite;
    c.context.cipher_suite = suite_id;
    c.context.group_id = hex_field(tc, "group_id");
    c.context.epoch = tc.at("epoch").get<std::uint64_t>();
    c.context.tree_hash = hex_field(tc, "tree_hash");
    c.context.confirmed_transcript_hash = hex_field(tc, "confirmed_transcript_hash");
    c.signature_pub = hex_field(tc, "signature_pub");
    c.encryption_secret = hex_field(tc, "encryption_secret");
    c.sender_data_secret =
        mls::SenderDataSecret(mls::ByteView(hex_field(tc, "sender_data_secret")));
    c.membership_key = mls::MembershipKey(mls::ByteView(hex_field(tc, "membership_key")));
    auto signer = c.suite->signing_key(hex_field(tc, "signature_priv"));
    if (!signer) {
      report.fail(where + "signature_priv does not parse");
      continue;
    }

    auto proposal = mls::decode<mls::Proposal>(hex_field(tc, "proposal"));
    auto commit = mls::decode<mls::Commit>(hex_field(tc, "commit"));
    if (!proposal || !commit) {
      report.fail(where + "raw proposal or commit does not decode");
      continue;
    }
    check_one(c, *signer, tc, "proposal", mls::Content{std::move(*proposal)}, where, report);
    check_one(c, *signer, tc, "commit", mls::Content{std::move(*commit)}, where, report);
    check_one(c, *signer, tc, "application",
              mls::Content{mls::ApplicationData{hex_field(tc, "application")}}, where, report);
  }
}

}  // namespace conclave::vectors
