// PgLeaseStore against a real PostgreSQL (docs/sequencing.md §A.3): leases are taken only when
// free or expired by the database's clock, every takeover raises the term, a lost lease cannot
// be renewed, release wakes listeners, and concurrent acquirers never share a shard in a term.
#include "db/pg_lease_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "pg_test_env.h"

namespace conclave::db {
namespace {

using component::Lease;
using namespace std::chrono_literals;

class PgLeaseStoreTest : public testing::StoreTest<PgLeaseStore> {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(store_->ensure_shards(8).has_value());
  }

  static std::vector<std::uint32_t> all(std::uint32_t n) {
    std::vector<std::uint32_t> v(n);
    for (std::uint32_t i = 0; i < n; ++i) v[i] = i;
    return v;
  }
};

TEST_F(PgLeaseStoreTest, ShardsAreCreatedOnceAndStartFree) {
  ASSERT_TRUE(store_->ensure_shards(8).has_value());  // again: nothing changes
  ASSERT_TRUE(store_->ensure_shards(4).has_value());  // fewer: existing rows stay
  auto shards = store_->shards();
  ASSERT_TRUE(shards.has_value()) << shards.error().message();
  ASSERT_EQ(shards->size(), 8u);
  for (const auto& s : *shards) {
    EXPECT_TRUE(s.holder.empty());
    EXPECT_EQ(s.term, 0u);
    EXPECT_FALSE(s.live);
  }
}

TEST_F(PgLeaseStoreTest, AHeldShardIsNotTakenAndTermsGrowAtEachTakeover) {
  auto a = store_->acquire("a#1", {0, 1, 2}, 10s);
  ASSERT_TRUE(a.has_value()) << a.error().message();
  EXPECT_EQ(*a, (std::vector<Lease>{{0, 1}, {1, 1}, {2, 1}}));
  auto b = store_->acquire("b#1", {1, 2, 3}, 10s);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*b, (std::vector<Lease>{{3, 1}}));  // 1 and 2 are a's and live

  auto shards = store_->shards();
  ASSERT_TRUE(shards.has_value());
  EXPECT_EQ((*shards)[1].holder, "a#1");
  EXPECT_TRUE((*shards)[1].live);
  EXPECT_GT((*shards)[1].left, 5s);
  EXPECT_EQ((*shards)[3].holder, "b#1");

  // a releases shard 1: b takes it in the next term.
  ASSERT_TRUE(store_->release("a#1", {{1, 1}}).has_value());
  auto b2 = store_->acquire("b#1", {1}, 10s);
  ASSERT_TRUE(b2.has_value());
  EXPECT_EQ(*b2, (std::vector<Lease>{{1, 2}}));
}

TEST_F(PgLeaseStoreTest, AnExpiredLeaseIsTakenOverAndTheOldHolderCannotRenewIt) {
  ASSERT_EQ(store_->acquire("a#1", {5}, 100ms)->size(), 1u);
  EXPECT_TRUE(store_->acquire("b#1", {5}, 10s)->empty());  // still live
  std::this_thread::sleep_for(250ms);                      // expired by the database's clock
  auto shards = store_->shards();
  ASSERT_TRUE(shards.has_value());
  EXPECT_FALSE((*shards)[5].live);
  auto b = store_->acquire("b#1", {5}, 10s);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*b, (std::vector<Lease>{{5, 2}}));
  // The paused former holder wakes up: its renewal finds nothing (fenced by the term).
  auto renewed = store_->renew("a#1", {{5, 1}}, 10s);
  ASSERT_TRUE(renewed.has_value());
  EXPECT_TRUE(renewed->empty());
  // Nor can it release the new holder's lease.
  ASSERT_TRUE(store_->release("a#1", {{5, 1}}).has_value());
  EXPECT_EQ((*store_->shards())[5].holder, "b#1");
}

TEST_F(PgLeaseStoreTest, RenewalExtendsOnlyWhatIsStillHeldInItsTerm) {
  ASSERT_EQ(store_->acquire("a#1", {0, 1}, 300ms)->size(), 2u);
  auto renewed = store_->renew("a#1", {{0, 1}, {1, 1}, {2, 1}}, 10s);  // 2 was never a's
  ASSERT_TRUE(renewed.has_value());
  std::vector<Lease> got = *renewed;
  std::sort(got.begin(), got.end(),
            [](const Lease& x, const Lease& y) { return x.shard < y.shard; });
  EXPECT_EQ(got, (std::vector<Lease>{{0, 1}, {1, 1}}));
  std::this_thread::sleep_for(500ms);  // past the first length, within the renewed one
  EXPECT_TRUE(store_->acquire("b#1", {0, 1}, 10s)->empty());
  EXPECT_TRUE((*store_->shards())[0].live);
}

TEST_F(PgLeaseStoreTest, ReleaseNotifiesListenersAtCommit) {
  pqxx::connection listener(db_->conninfo());
  struct Receiver : pqxx::notification_receiver {
    Receiver(pqxx::connection_base& c) : pqxx::notification_receiver(c, kLeaseReleasedChannel) {}
    void operator()(const std::string&, int) override { ++count; }
    int count = 0;
  } receiver(listener);
  auto held = store_->acquire("a#1", {0, 1, 2}, 10s);
  ASSERT_TRUE(held.has_value());
  ASSERT_TRUE(store_->release("a#1", *held).has_value());
  for (int i = 0; i < 50 && receiver.count == 0; ++i) listener.await_notification(0, 100000);
  EXPECT_EQ(receiver.count, 1);  // one statement, one wake-up
  auto shards = store_->shards();
  ASSERT_TRUE(shards.has_value());
  for (std::uint32_t s : {0u, 1u, 2u}) {
    EXPECT_TRUE((*shards)[s].holder.empty());
    EXPECT_FALSE((*shards)[s].live);
    EXPECT_EQ((*shards)[s].term, 1u);  // the term stays: the next holder gets 2
  }
}

TEST_F(PgLeaseStoreTest, ConcurrentAcquirersNeverShareAShardInATerm) {
  // Eight instances race for every shard, three rounds of expiry each: every (shard, term) is
  // granted to exactly one of them.
  constexpr int kInstances = 8;
  constexpr int kRounds = 3;
  std::mutex mu;
  std::map<std::pair<std::uint32_t, std::uint64_t>, int> grants;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::thread> threads;
    for (int i = 0; i < kInstances; ++i) {
      threads.emplace_back([&, i] {
        auto got = store_->acquire("i" + std::to_string(i), all(8), 60s);
        ASSERT_TRUE(got.has_value()) << got.error().message();
        std::lock_guard lock(mu);
        for (const Lease& l : *got) ++grants[{l.shard, l.term}];
      });
    }
    for (auto& t : threads) t.join();
    // Every lease expires before the next round (by the database's clock, without sleeping, so
    // a slow thread start cannot let a lease expire within a round).
    pqxx::connection c(db_->conninfo());
    pqxx::work tx(c);
    tx.exec("UPDATE shard_lease SET expires_at = now() - interval '1 second'");
    tx.commit();
  }
  ASSERT_EQ(grants.size(), 8u * kRounds);
  for (const auto& [key, n] : grants) {
    EXPECT_EQ(n, 1) << "shard " << key.first << " term " << key.second;
    EXPECT_GE(key.second, 1u);
    EXPECT_LE(key.second, static_cast<std::uint64_t>(kRounds));
  }
}

}  // namespace
}  // namespace conclave::db
