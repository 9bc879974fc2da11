#include "mls/schedule/key_schedule.h"

#include <gtest/gtest.h>

#include <set>

#include "mls/codec/codec.h"
#include "mls/schedule/group_context.h"
#include "tests/mls/test_util.h"

namespace conclave::mls {
namespace {

using test::suite;

Bytes context(std::uint64_t epoch) {
  GroupContext gc;
  gc.cipher_suite = 1;
  gc.group_id = {1, 2, 3};
  gc.epoch = epoch;
  return encode(gc);
}

template <class T>
Bytes bytes_of(const T& s) {
  return to_bytes(s.view());
}

TEST(KeySchedule, EveryDerivedSecretIsDistinctAndNhLong) {
  const InitSecret init(Bytes(32, 7));
  const auto ks = run_key_schedule(suite(), init, zero_commit_secret(suite()),
                                   zero_psk_secret(suite()), context(0));
  const EpochSecrets& s = ks.secrets;
  const std::set<Bytes> all{
      bytes_of(ks.joiner_secret),      bytes_of(ks.welcome_secret), bytes_of(s.sender_data_secret),
      bytes_of(s.encryption_secret),   bytes_of(s.exporter_secret), bytes_of(s.external_secret),
      bytes_of(s.confirmation_key),    bytes_of(s.membership_key),  bytes_of(s.resumption_psk),
      bytes_of(s.epoch_authenticator), bytes_of(s.init_secret),
  };
  EXPECT_EQ(all.size(), 11u);
  for (const Bytes& b : all) EXPECT_EQ(b.size(), suite().hash_size());
}

TEST(KeySchedule, ChainsInitSecretAcrossEpochs) {
  InitSecret init(Bytes(32, 7));
  const CommitSecret commit(Bytes(32, 9));
  const PskSecret psk = zero_psk_secret(suite());
  auto e0 = run_key_schedule(suite(), init, commit, psk, context(0));
  auto e1 = run_key_schedule(suite(), e0.secrets.init_secret, commit, psk, context(1));
  // Running epoch 1 again from the same inputs is deterministic...
  auto e1_again = run_key_schedule(suite(), e0.secrets.init_secret, commit, psk, context(1));
  EXPECT_EQ(bytes_of(e1.secrets.epoch_authenticator),
            bytes_of(e1_again.secrets.epoch_authenticator));
  // ...and differs from epoch 0 run with the same commit secret, because init_secret changed.
  auto e1_stale = run_key_schedule(suite(), init, commit, psk, context(1));
  EXPECT_NE(bytes_of(e1.secrets.epoch_authenticator),
            bytes_of(e1_stale.secrets.epoch_authenticator));
  EXPECT_NE(bytes_of(e0.secrets.init_secret), bytes_of(e1.secrets.init_secret));
}

TEST(KeySchedule, BindsGroupContextCommitAndPskSecrets) {
  const InitSecret init(Bytes(32, 7));
  const auto base = run_key_schedule(suite(), init, CommitSecret(Bytes(32, 1)),
                                     PskSecret(Bytes(32, 2)), context(5));
  const auto other_gc = run_key_schedule(suite(), init, CommitSecret(Bytes(32, 1)),
                                         PskSecret(Bytes(32, 2)), context(6));
  const auto other_commit = run_key_schedule(suite(), init, CommitSecret(Bytes(32, 3)),
                                             PskSecret(Bytes(32, 2)), context(5));
  const auto other_psk = run_key_schedule(suite(), init, CommitSecret(Bytes(32, 1)),
                                          PskSecret(Bytes(32, 4)), context(5));
  const Bytes b = bytes_of(base.secrets.encryption_secret);
  EXPECT_NE(b, bytes_of(other_gc.secrets.encryption_secret));
  EXPECT_NE(b, bytes_of(other_commit.secrets.encryption_secret));
  EXPECT_NE(b, bytes_of(other_psk.secrets.encryption_secret));
  // The psk_secret enters after joiner_secret; the GroupContext enters before it.
  EXPECT_EQ(bytes_of(base.joiner_secret), bytes_of(other_psk.joiner_secret));
  EXPECT_NE(bytes_of(base.joiner_secret), bytes_of(other_gc.joiner_secret));
}

TEST(KeySchedule, JoinerReachesTheSameEpoch) {
  const InitSecret init(Bytes(32, 7));
  const PskSecret psk(Bytes(32, 2));
  const Bytes gc = context(3);
  const auto member = run_key_schedule(suite(), init, CommitSecret(Bytes(32, 1)), psk, gc);
  const auto intermediate = derive_intermediate_secret(suite(), member.joiner_secret, psk);
  EXPECT_EQ(bytes_of(derive_welcome_secret(suite(), intermediate)),
            bytes_of(member.welcome_secret));
  const auto joiner = join_key_schedule(suite(), member.joiner_secret, psk, gc);
  EXPECT_EQ(bytes_of(joiner.encryption_secret), bytes_of(member.secrets.encryption_secret));
  EXPECT_EQ(bytes_of(joiner.init_secret), bytes_of(member.secrets.init_secret));
}

TEST(KeySchedule, ExternalKeyPairIsDeterministic) {
  const ExternalSecret s(Bytes(32, 5));
  const auto a = derive_external_key_pair(suite(), s);
  const auto b = derive_external_key_pair(suite(), s);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->public_key, b->public_key);
  EXPECT_EQ(a->public_key.size(), 32u);  // X25519
}

TEST(Exporter, DependsOnLabelContextAndLength) {
  const ExporterSecret s(Bytes(32, 5));
  const Bytes ctx{1, 2, 3};
  const auto a = mls_exporter(suite(), s, "label", ctx, 32);
  const auto b = mls_exporter(suite(), s, "other", ctx, 32);
  const auto c = mls_exporter(suite(), s, "label", Bytes{1, 2}, 32);
  const auto d = mls_exporter(suite(), s, "label", ctx, 16);
  ASSERT_TRUE(a && b && c && d);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_EQ(d->size(), 16u);
  EXPECT_NE(bytes_of(*a), bytes_of(*b));
  EXPECT_NE(bytes_of(*a), bytes_of(*c));
}

TEST(Exporter, RejectsLengthsTheKdfCannotProduce) {
  const ExporterSecret s(Bytes(32, 5));
  EXPECT_TRUE(mls_exporter(suite(), s, "x", {}, 255 * 32));
  EXPECT_EQ(mls_exporter(suite(), s, "x", {}, 255 * 32 + 1).error(), Errc::invalid_value);
}

}  // namespace
}  // namespace conclave::mls
