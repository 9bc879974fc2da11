#pragma once
// Shared set-up for the message protection tests: a two-member group in epoch 4, suite 1.
#include <gtest/gtest.h>

#include "mls/crypto/cipher_suite.h"
#include "mls/framing/message_epoch.h"
#include "mls/schedule/secret_tree.h"

namespace conclave::mls::testing {

// CountingRng: deterministic bytes, so runs are reproducible (docs/style.md P10).
class CountingRng : public Rng {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = next_++;
  }

 private:
  std::uint8_t next_ = 1;
};

class FramingTest : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kSender = 1;

  FramingTest()
      : suite_(**CipherSuite::get(CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519)),
        context_(make_context()),
        epoch_(suite_, context_),
        key_pair_(suite_.generate_signature_key_pair()),
        signer_(*suite_.signing_key(key_pair_.private_key.view())),
        membership_key_(ByteView(Bytes(32, 0x11))),
        sender_data_secret_(ByteView(Bytes(32, 0x22))) {}

  static GroupContext make_context() {
    GroupContext c;
    c.cipher_suite = 1;
    c.group_id = {'r', 'o', 'o', 'm'};
    c.epoch = 4;
    c.tree_hash = Bytes(32, 0x33);
    c.confirmed_transcript_hash = Bytes(32, 0x44);
    return c;
  }

  SecretTree tree() const {
    return SecretTree(suite_, EncryptionSecret(ByteView(Bytes(32, 0x55))), *LeafCount::create(2));
  }

  FramedContent content(Content body) const {
    FramedContent c;
    c.group_id = context_.group_id;
    c.epoch = context_.epoch;
    c.sender.value = MemberSender{kSender};
    c.authenticated_data = {0xad};
    c.content = std::move(body);
    return c;
  }

  SignatureKeyLookup lookup() const {
    return [this](const Sender& s) -> Result<ByteView> {
      const auto* m = std::get_if<MemberSender>(&s.value);
      if (m == nullptr || m->leaf_index != kSender) return fail(Errc::invalid_sender);
      return ByteView(key_pair_.public_key);
    };
  }

  const CipherSuite& suite_;
  GroupContext context_;
  MessageEpoch epoch_;
  KeyPair key_pair_;
  SigningKey signer_;
  MembershipKey membership_key_;
  SenderDataSecret sender_data_secret_;
};

}  // namespace conclave::mls::testing
