#include "mls/schedule/secret_tree.h"

#include <gtest/gtest.h>

#include "tests/mls/test_util.h"

namespace conclave::mls {
namespace {

using test::suite;

SecretTree make_tree(std::uint32_t n, SecretTreeLimits limits = {}) {
  return SecretTree(suite(), EncryptionSecret(Bytes(32, 0x42)), LeafCount::create(n).value(),
                    limits);
}

Bytes key_bytes(const Result<RatchetKey>& k) { return to_bytes(k.value().key.view()); }

constexpr LeafIndex kLeaf{1};
constexpr auto kApp = RatchetType::application;

TEST(SecretTree, SenderAndReceiverDeriveTheSameKeys) {
  SecretTree sender = make_tree(4);
  SecretTree receiver = make_tree(4);
  for (std::uint32_t g = 0; g < 3; ++g) {
    const auto sent = sender.next_key(kLeaf, kApp);
    ASSERT_TRUE(sent);
    EXPECT_EQ(sent->generation, g);
    const auto got = receiver.key_for(kLeaf, kApp, g);
    ASSERT_TRUE(got);
    EXPECT_EQ(to_bytes(got->key.view()), to_bytes(sent->key.view()));
    EXPECT_EQ(to_bytes(got->nonce.view()), to_bytes(sent->nonce.view()));
    EXPECT_EQ(got->key.size(), suite().key_size());
    EXPECT_EQ(got->nonce.size(), suite().nonce_size());
  }
}

TEST(SecretTree, RatchetsAndLeavesAreIndependent) {
  SecretTree tree = make_tree(4);
  const Bytes app = key_bytes(tree.key_for(kLeaf, kApp, 0));
  const Bytes hs = key_bytes(tree.key_for(kLeaf, RatchetType::handshake, 0));
  const Bytes other = key_bytes(tree.key_for(LeafIndex{2}, kApp, 0));
  EXPECT_NE(app, hs);
  EXPECT_NE(app, other);
}

TEST(SecretTree, OutOfOrderWithinTheWindow) {
  SecretTree sender = make_tree(2);
  std::vector<Bytes> sent;
  for (int i = 0; i < 6; ++i) sent.push_back(key_bytes(sender.next_key(kLeaf, kApp)));
  SecretTree receiver = make_tree(2);
  EXPECT_EQ(key_bytes(receiver.key_for(kLeaf, kApp, 5)), sent[5]);
  EXPECT_EQ(receiver.keys_held(kLeaf, kApp), 5u);
  EXPECT_EQ(key_bytes(receiver.key_for(kLeaf, kApp, 2)), sent[2]);
  EXPECT_EQ(key_bytes(receiver.key_for(kLeaf, kApp, 0)), sent[0]);
  EXPECT_EQ(key_bytes(receiver.key_for(kLeaf, kApp, 4)), sent[4]);
  EXPECT_EQ(receiver.keys_held(kLeaf, kApp), 2u);
}

TEST(SecretTree, ConsumedGenerationCannotBeUsedAgain) {
  SecretTree tree = make_tree(2);
  ASSERT_TRUE(tree.key_for(kLeaf, kApp, 0));
  EXPECT_EQ(tree.key_for(kLeaf, kApp, 0).error(), Errc::generation_too_old);
  ASSERT_TRUE(tree.key_for(kLeaf, kApp, 3));
  ASSERT_TRUE(tree.key_for(kLeaf, kApp, 1));  // skipped, still held
  EXPECT_EQ(tree.key_for(kLeaf, kApp, 1).error(), Errc::generation_too_old);
  EXPECT_EQ(tree.key_for(kLeaf, kApp, 3).error(), Errc::generation_too_old);
}

TEST(SecretTree, SentGenerationsAreNotHandedOutAgain) {
  SecretTree tree = make_tree(2);
  ASSERT_TRUE(tree.next_key(kLeaf, kApp));
  EXPECT_EQ(tree.key_for(kLeaf, kApp, 0).error(), Errc::generation_too_old);
}

TEST(SecretTree, TooFarAheadFails) {
  SecretTree tree = make_tree(2, SecretTreeLimits{.max_past = 10, .max_forward = 100});
  EXPECT_EQ(tree.key_for(kLeaf, kApp, 101).error(), Errc::generation_too_far);
  EXPECT_TRUE(tree.key_for(kLeaf, kApp, 100));
  EXPECT_EQ(tree.key_for(kLeaf, kApp, 202).error(), Errc::generation_too_far);
  EXPECT_TRUE(tree.key_for(kLeaf, kApp, 201));
}

TEST(SecretTree, DefaultLimits) {
  SecretTree tree = make_tree(2);
  EXPECT_EQ(tree.limits().max_past, 1000u);
  EXPECT_EQ(tree.limits().max_forward, 10000u);
  EXPECT_EQ(tree.key_for(kLeaf, kApp, 10001).error(), Errc::generation_too_far);
}

TEST(SecretTree, ForwardJumpDeletesKeysOutsideTheWindow) {
  SecretTree sender = make_tree(2);
  std::vector<Bytes> sent;
  for (int i = 0; i < 30; ++i) sent.push_back(key_bytes(sender.next_key(kLeaf, kApp)));
  SecretTree tree = make_tree(2, SecretTreeLimits{.max_past = 5, .max_forward = 100});
  ASSERT_TRUE(tree.key_for(kLeaf, kApp, 3));
  EXPECT_EQ(tree.keys_held(kLeaf, kApp), 3u);  // 0, 1, 2
  ASSERT_TRUE(tree.key_for(kLeaf, kApp, 20));
  // Only generations 15..19 remain; 0..2 held before the jump are deleted too.
  EXPECT_EQ(tree.keys_held(kLeaf, kApp), 5u);
  EXPECT_EQ(tree.key_for(kLeaf, kApp, 1).error(), Errc::generation_too_old);
  EXPECT_EQ(tree.key_for(kLeaf, kApp, 14).error(), Errc::generation_too_old);
  EXPECT_EQ(key_bytes(tree.key_for(kLeaf, kApp, 15)), sent[15]);
  EXPECT_EQ(key_bytes(tree.key_for(kLeaf, kApp, 19)), sent[19]);
  // Advancing one step at a time slides the window as well.
  for (std::uint32_t g = 21; g <= 25; ++g) ASSERT_TRUE(tree.key_for(kLeaf, kApp, g));
  EXPECT_EQ(tree.key_for(kLeaf, kApp, 16).error(), Errc::generation_too_old);
}

TEST(SecretTree, ZeroWindowRefusesEveryLateMessage) {
  SecretTree tree = make_tree(2, SecretTreeLimits{.max_past = 0, .max_forward = 10});
  ASSERT_TRUE(tree.key_for(kLeaf, kApp, 2));
  EXPECT_EQ(tree.keys_held(kLeaf, kApp), 0u);
  EXPECT_EQ(tree.key_for(kLeaf, kApp, 1).error(), Errc::generation_too_old);
}

TEST(SecretTree, SenderOutsideTheTreeFails) {
  SecretTree tree = make_tree(4);
  EXPECT_EQ(tree.key_for(LeafIndex{4}, kApp, 0).error(), Errc::invalid_sender);
  EXPECT_EQ(tree.next_key(LeafIndex{0xFFFFFFFFu}, kApp).error(), Errc::invalid_sender);
}

TEST(SecretTree, DerivesLazilyAlongOnePath) {
  // 2^20 leaves: touching one leaf derives only its path and keeps one sibling per level.
  SecretTree tree = make_tree(kMaxLeaves);
  EXPECT_EQ(tree.node_secrets_held(), 1u);
  ASSERT_TRUE(tree.key_for(LeafIndex{12345}, kApp, 0));
  EXPECT_EQ(tree.node_secrets_held(), 20u);
  ASSERT_TRUE(tree.key_for(LeafIndex{12344}, kApp, 0));  // its sibling leaf: one secret used
  EXPECT_EQ(tree.node_secrets_held(), 19u);
}

TEST(SecretTree, LazyDerivationMatchesAnyAccessOrder) {
  SecretTree forward = make_tree(8);
  SecretTree backward = make_tree(8);
  std::vector<Bytes> a(8), b(8);
  for (std::uint32_t i = 0; i < 8; ++i) a[i] = key_bytes(forward.key_for(LeafIndex{i}, kApp, 0));
  for (std::uint32_t i = 8; i-- > 0;) b[i] = key_bytes(backward.key_for(LeafIndex{i}, kApp, 0));
  EXPECT_EQ(a, b);
  EXPECT_EQ(forward.node_secrets_held(), 0u);  // every node consumed
}

TEST(SecretTree, OneLeafTree) {
  SecretTree tree = make_tree(1);
  EXPECT_TRUE(tree.key_for(LeafIndex{0}, kApp, 0));
  EXPECT_EQ(tree.key_for(LeafIndex{1}, kApp, 0).error(), Errc::invalid_sender);
}

TEST(SenderDataKey, SamplesAtMostNhBytes) {
  const SenderDataSecret secret(Bytes(32, 3));
  Bytes long_ct(100, 0x55);
  Bytes cut(long_ct.begin(), long_ct.begin() + 32);
  const auto a = derive_sender_data_key(suite(), secret, long_ct);
  const auto b = derive_sender_data_key(suite(), secret, cut);
  EXPECT_EQ(to_bytes(a.key.view()), to_bytes(b.key.view()));
  EXPECT_EQ(to_bytes(a.nonce.view()), to_bytes(b.nonce.view()));
  EXPECT_EQ(a.key.size(), suite().key_size());
  EXPECT_EQ(a.nonce.size(), suite().nonce_size());
  // A shorter ciphertext is used whole, so its last byte matters.
  const auto c = derive_sender_data_key(suite(), secret, Bytes{1, 2, 3});
  const auto d = derive_sender_data_key(suite(), secret, Bytes{1, 2, 4});
  EXPECT_NE(to_bytes(c.key.view()), to_bytes(d.key.view()));
}

}  // namespace
}  // namespace conclave::mls
