// PgHandoffStore against a real PostgreSQL: stanzas come out in hand-off order, once, and
// concurrent takers split them without overlap; hand_off wakes a listener at commit.
#include "db/pg_handoff_store.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "db/notification_listener.h"
#include "pg_test_env.h"

namespace conclave::db {
namespace {

using PgHandoffStoreTest = testing::StoreTest<PgHandoffStore>;

TEST_F(PgHandoffStoreTest, StanzasComeOutOnceInHandOffOrder) {
  ASSERT_TRUE(store_->hand_off({"<a/>", "<b/>"}, "x#1").has_value());
  ASSERT_TRUE(store_->hand_off({"<c/>"}, "y#1").has_value());
  auto first = store_->take(2);
  ASSERT_TRUE(first.has_value()) << first.error().message();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].stanza, "<a/>");
  EXPECT_EQ((*first)[1].stanza, "<b/>");
  auto rest = store_->take(10);
  ASSERT_TRUE(rest.has_value());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].stanza, "<c/>");
  EXPECT_TRUE(store_->take(10)->empty());
}

TEST_F(PgHandoffStoreTest, HandOffWakesTheListener) {
  pqxx::connection listener(db_->conninfo());
  struct Receiver : pqxx::notification_receiver {
    explicit Receiver(pqxx::connection_base& c) : pqxx::notification_receiver(c, kHandoffChannel) {}
    void operator()(const std::string&, int) override { ++count; }
    int count = 0;
  } receiver(listener);
  ASSERT_TRUE(store_->hand_off({"<a/>"}, "x#1").has_value());
  for (int i = 0; i < 50 && receiver.count == 0; ++i) listener.await_notification(0, 100000);
  EXPECT_EQ(receiver.count, 1);
}

TEST_F(PgHandoffStoreTest, ConcurrentTakersNeverGetTheSameStanza) {
  std::vector<std::string> all;
  for (int i = 0; i < 400; ++i) all.push_back("<m id='" + std::to_string(i) + "'/>");
  ASSERT_TRUE(store_->hand_off(all, "x#1").has_value());
  std::mutex mu;
  std::multiset<std::string> taken;
  std::vector<std::thread> takers;
  for (int t = 0; t < 4; ++t) {
    takers.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        auto got = store_->take(7);
        ASSERT_TRUE(got.has_value());
        if (got->empty()) return;
        std::lock_guard lock(mu);
        for (const auto& h : *got) taken.insert(h.stanza);
      }
    });
  }
  for (auto& t : takers) t.join();
  ASSERT_EQ(taken.size(), all.size());
  for (const std::string& s : all) EXPECT_EQ(taken.count(s), 1u) << s;
}

TEST_F(PgHandoffStoreTest, TheListenerThreadReportsTheChannel) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> seen;
  NotificationListener listener(db_->conninfo(), {kHandoffChannel, "other"},
                                [&](const std::string& ch) {
                                  std::lock_guard lock(mu);
                                  seen.push_back(ch);
                                  cv.notify_all();
                                });
  // The listener subscribes on its own thread: hand off until it has heard one (bounded).
  std::unique_lock lock(mu);
  for (int i = 0; i < 50 && seen.empty(); ++i) {
    lock.unlock();
    ASSERT_TRUE(store_->hand_off({"<a/>"}, "x#1").has_value());
    lock.lock();
    cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return !seen.empty(); });
  }
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front(), kHandoffChannel);
  lock.unlock();
  listener.stop();
}

}  // namespace
}  // namespace conclave::db
