// LeaseKeeper (component/cluster/lease_keeper.h) against an in-memory lease table that follows
// PgLeaseStore's rules with a fake database clock: greedy takeover, renewal on time, loss
// detected at renewal, self-demotion before the database could expire the lease, and release.
#include "component/cluster/lease_keeper.h"

#include <gtest/gtest.h>

#include "fake_lease_store.h"
#include "fake_stores.h"

namespace conclave::component::cluster {
namespace {

using namespace std::chrono_literals;
using testing::FakeLeaseStore;
using testing::InlineRunner;

class LeaseKeeperTest : public ::testing::Test {
 protected:
  FakeLeaseStore store;
  InlineRunner runner;
  Services services;
  SteadyClock::time_point steady{};
  LeaseSettings settings{4, 10000ms, 2000ms, 1000ms};

  void SetUp() override { services.runner = &runner; }

  std::unique_ptr<LeaseKeeper> keeper(const std::string& name) {
    return std::make_unique<LeaseKeeper>(settings, name, store, services,
                                         [this] { return steady; });
  }
  // Moves both clocks: the database's and the instances' monotonic one.
  void advance(std::chrono::milliseconds d) {
    steady += d;
    store.db_now += d;
  }
};

TEST_F(LeaseKeeperTest, TheFirstInstanceTakesEveryShardAndTheSecondStandsBy) {
  auto a = keeper("a");
  auto b = keeper("b");
  a->step();
  b->step();
  EXPECT_EQ(a->held().size(), 4u);
  EXPECT_TRUE(b->held().empty());
  EXPECT_TRUE(a->fence_for("room@mls.localhost").has_value());
  EXPECT_FALSE(b->fence_for("room@mls.localhost").has_value());
  EXPECT_EQ(a->fence_for("room@mls.localhost")->term, 1u);
}

TEST_F(LeaseKeeperTest, RenewalsKeepTheLeasesForAsLongAsTheHolderRuns) {
  auto a = keeper("a");
  auto b = keeper("b");
  a->step();
  for (int i = 0; i < 30; ++i) {  // a minute in steps of one poll
    advance(2000ms);
    a->step();
    b->step();
  }
  EXPECT_EQ(a->held().size(), 4u);
  EXPECT_TRUE(b->held().empty());
  EXPECT_EQ(a->counters().demoted, 0u);
  EXPECT_EQ(a->counters().lost, 0u);
}

TEST_F(LeaseKeeperTest, ACrashedHoldersShardsAreTakenAfterTheLeaseExpires) {
  auto a = keeper("a");
  auto b = keeper("b");
  a->step();
  std::vector<Lease> gained;
  b->on_gained = [&](const std::vector<Lease>& l) { gained = l; };
  a.reset();  // kill -9: no release
  advance(9000ms);
  b->step();
  EXPECT_TRUE(b->held().empty());  // not expired in the database yet
  advance(1001ms);
  b->step();
  ASSERT_EQ(b->held().size(), 4u);
  ASSERT_EQ(gained.size(), 4u);
  EXPECT_EQ(gained[0].term, 2u);  // the takeover raised the term: the fencing token
}

TEST_F(LeaseKeeperTest, APausedHolderDemotesItselfBeforeTheDatabaseCouldExpireIt) {
  auto a = keeper("a");
  auto b = keeper("b");
  a->step();
  std::vector<std::uint32_t> lost;
  a->on_lost = [&](const std::vector<std::uint32_t>& s) { lost = s; };
  // a is stopped for 9.5 s: when it wakes, its own deadline (L - margin) has passed although the
  // database's expiry has not, so it stops acting before anyone can take over.
  advance(9500ms);
  EXPECT_FALSE(a->fence_for("room@mls.localhost").has_value());
  b->step();
  EXPECT_TRUE(b->held().empty());
  a->step();
  EXPECT_EQ(lost.size(), 4u);
  EXPECT_EQ(a->counters().demoted, 4u);
  // Its own rows are still live in the database, so it cannot take them back either: for the
  // last `margin` nobody sequences those rooms, which is the price of never having two.
  EXPECT_TRUE(a->held().empty());
  advance(600ms);  // now the database has expired them
  b->step();
  ASSERT_EQ(b->held().size(), 4u);
  EXPECT_EQ(b->held()[0].term, 2u);
}

TEST_F(LeaseKeeperTest, ALeaseTakenOverWhilePausedIsReportedLostAtRenewal) {
  auto a = keeper("a");
  auto b = keeper("b");
  a->step();
  // The database expires a's leases and b takes them, while a's monotonic clock barely moves
  // (a paused VM whose clock stopped with it): a's next renewal finds other terms.
  store.db_now += 11000ms;
  b->step();
  ASSERT_EQ(b->held().size(), 4u);
  std::vector<std::uint32_t> lost;
  a->on_lost = [&](const std::vector<std::uint32_t>& s) { lost = s; };
  steady += 2000ms;
  a->step();
  EXPECT_EQ(lost.size(), 4u);
  EXPECT_EQ(a->counters().lost, 4u);
  EXPECT_TRUE(a->held().empty());
}

TEST_F(LeaseKeeperTest, ADatabaseOutageShorterThanTheMarginKeepsTheLeases) {
  auto a = keeper("a");
  a->step();
  store.down = true;
  advance(2000ms);
  a->step();
  advance(2000ms);
  a->step();
  EXPECT_EQ(a->held().size(), 4u);  // still within L - margin of the last renewal
  EXPECT_GT(a->counters().store_errors, 0u);
  store.down = false;
  advance(2000ms);
  a->step();
  EXPECT_EQ(a->held().size(), 4u);
  advance(8500ms);  // renewed at the last step: still held
  EXPECT_EQ(a->held().size(), 4u);
}

TEST_F(LeaseKeeperTest, ADatabaseOutageLongerThanTheLeaseDemotes) {
  auto a = keeper("a");
  a->step();
  store.down = true;
  for (int i = 0; i < 5; ++i) {
    advance(2000ms);
    a->step();
  }
  EXPECT_TRUE(a->held().empty());
  EXPECT_EQ(a->counters().demoted, 4u);
}

TEST_F(LeaseKeeperTest, GracefulReleaseLetsAStandbyTakeOverAtOnce) {
  auto a = keeper("a");
  auto b = keeper("b");
  a->step();
  bool done = false;
  a->release_all([&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_TRUE(a->held().empty());
  b->step();  // no waiting for an expiry
  EXPECT_EQ(b->held().size(), 4u);
  EXPECT_EQ(b->held()[0].term, 2u);
  a->step();  // a stopping instance takes nothing back
  EXPECT_TRUE(a->held().empty());
}

TEST_F(LeaseKeeperTest, OnlyTheHolderOfTheLeaderShardTakesTheOthers) {
  store.rows[0] = {"x", 7, store.db_now + 10000ms};  // someone else is active
  auto b = keeper("b");
  b->step();
  EXPECT_TRUE(b->held().empty());  // shards 1..3 are free, but b is not the leader
  EXPECT_FALSE(b->active());
  EXPECT_TRUE(store.rows[1].holder.empty());
}

TEST_F(LeaseKeeperTest, LosingTheLeaderShardGivesTheOthersBackAtOnce) {
  auto a = keeper("a");
  a->step();
  ASSERT_TRUE(a->active());
  std::vector<std::uint32_t> lost;
  a->on_lost = [&](const std::vector<std::uint32_t>& s) { lost = s; };
  store.rows[0] = {"x", 2, store.db_now + 10000ms};  // shard 0 taken over behind a's back
  advance(2000ms);
  a->step();
  EXPECT_FALSE(a->active());
  EXPECT_TRUE(a->held().empty());
  EXPECT_EQ(lost.size(), 4u);
  for (std::uint32_t s : {1u, 2u, 3u}) EXPECT_TRUE(store.rows[s].holder.empty()) << s;
  EXPECT_EQ(a->counters().released, 3u);
}

}  // namespace
}  // namespace conclave::component::cluster
