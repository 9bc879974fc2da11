// Integration: db::PgRoomStore and db::PgArchiveStore against a real PostgreSQL from the harness
// ($CONCLAVE_TEST_PG; the test fails without it). Each test uses a scratch database.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <pqxx/pqxx>

#include "db/connection_pool.h"
#include "db/migrations.h"
#include "db/pg_archive_store.h"
#include "db/pg_consensus_store.h"
#include "db/pg_room_store.h"
#include "tests/component/test_room_jid.h"

namespace conclave::component {
namespace {

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("CONCLAVE_TEST_PG");
    ASSERT_TRUE(base != nullptr && *base != '\0')
        << "CONCLAVE_TEST_PG is not set: run through tests/harness/with-servers.sh";
    base_ = base;
    static std::atomic<int> n{0};
    name_ = "component_store_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
    {
      pqxx::connection admin(base_);
      pqxx::nontransaction tx(admin);
      tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      tx.exec("CREATE DATABASE " + name_);
    }
    conninfo_ = base_ + (base_.find('?') == std::string::npos ? "?" : "&") + "dbname=" + name_;
    auto migrations = db::embedded_migrations();
    ASSERT_TRUE(migrations);
    ASSERT_TRUE(db::migrate(conninfo_, *migrations));
    pool_ = std::make_unique<db::ConnectionPool>(db::PoolOptions{conninfo_, 2});
    rooms_ = std::make_unique<db::PgRoomStore>(*pool_);
    archive_ = std::make_unique<db::PgArchiveStore>(*pool_);
  }
  void TearDown() override {
    archive_.reset();
    rooms_.reset();
    pool_.reset();
    if (base_.empty()) return;
    pqxx::connection admin(base_);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }

  static RoomRecord room(const std::string& jid, bool persistent) {
    RoomRecord r;
    r.jid = testing::room_jid(jid);
    r.persistent = persistent;
    r.settings = {{"muc#roomconfig_roomname", "Name \"quoted\""}, {"conclave#salt", "s"}};
    r.affiliations = {{"alice@example.org", Affiliation::owner, "", ""}};
    return r;
  }
  static ArchivedMessage msg(const std::string& room, int i) {
    ArchivedMessage m;
    m.room = testing::room_jid(room);
    m.stanza_id = "sid" + std::to_string(i);
    m.ts = TimePoint(std::chrono::milliseconds(1'700'000'000'000 + i * 1000));
    m.from_nick = i % 2 == 0 ? "Alice" : "Bob";
    m.occupant_id = "occ";
    m.from_jid = "alice@example.org";
    m.stanza = "<message xmlns='jabber:client'><body>" + std::to_string(i) + "</body></message>";
    return m;
  }

  std::string base_, name_, conninfo_;
  std::unique_ptr<db::ConnectionPool> pool_;
  std::unique_ptr<db::PgRoomStore> rooms_;
  std::unique_ptr<db::PgArchiveStore> archive_;
};

TEST_F(PgStoreTest, RoomsRoundTripAndTemporaryRoomsArePurged) {
  ASSERT_TRUE(rooms_->create(room("keep@mls", true)));
  ASSERT_TRUE(rooms_->create(room("temp@mls", false)));
  auto again = rooms_->create(room("keep@mls", true));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), make_error_code(StoreErrc::conflict));
  ASSERT_TRUE(rooms_->set_affiliations(testing::room_jid("keep@mls"),
                                       {{"bob@example.org", Affiliation::member, "friend", "Bob"},
                                        {"eve@example.org", Affiliation::outcast, "", ""}}));
  ASSERT_TRUE(rooms_->set_affiliations(testing::room_jid("keep@mls"),
                                       {{"eve@example.org", Affiliation::none, "", ""}}));
  RoomRecord changed = room("keep@mls", true);
  changed.settings["conclave#subject"] = "Plans";
  changed.mode = RoomMode::group_chat;  // rooms.mode follows the room's effective mode
  ASSERT_TRUE(rooms_->save(changed));
  EXPECT_EQ(rooms_->save(room("nope@mls", true)).error(), make_error_code(StoreErrc::not_found));

  ASSERT_TRUE(rooms_->purge_temporary());
  auto loaded = rooms_->load_persistent();
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->size(), 1u);
  const RoomRecord& r = loaded->front();
  EXPECT_EQ(r.jid, "keep@mls");
  EXPECT_EQ(r.settings.at("conclave#subject"), "Plans");
  EXPECT_EQ(r.mode, RoomMode::group_chat);
  EXPECT_EQ(r.settings.at("muc#roomconfig_roomname"), "Name \"quoted\"");
  ASSERT_EQ(r.affiliations.size(), 2u);
  EXPECT_EQ(r.affiliations[1],
            (AffiliationRecord{"bob@example.org", Affiliation::member, "friend", "Bob"}));
  ASSERT_TRUE(rooms_->destroy(testing::room_jid("keep@mls")));
  EXPECT_TRUE(rooms_->load_persistent()->empty());
}

TEST_F(PgStoreTest, ArchivePagingMatchesRsmSemantics) {
  ASSERT_TRUE(rooms_->create(room("r@mls", true)));
  EXPECT_EQ(archive_->append(msg("nope@mls", 0)).error(), make_error_code(StoreErrc::not_found));
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(archive_->append(msg("r@mls", i)));
  ArchiveQuery q;
  q.room = testing::room_jid("r@mls");
  q.max = 3;
  auto p = archive_->query(q);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->count, 7u);
  EXPECT_FALSE(p->complete);
  ASSERT_EQ(p->messages.size(), 3u);
  EXPECT_EQ(p->messages[0].stanza_id, "sid0");
  EXPECT_EQ(p->messages[0].ts, msg("r@mls", 0).ts);
  EXPECT_EQ(p->messages[0], msg("r@mls", 0));
  q.after_id = "sid5";
  p = archive_->query(q);
  ASSERT_EQ(p->messages.size(), 1u);
  EXPECT_TRUE(p->complete);
  q.after_id.reset();
  q.last_page = true;
  q.max = 2;
  p = archive_->query(q);
  ASSERT_EQ(p->messages.size(), 2u);
  EXPECT_EQ(p->messages[0].stanza_id, "sid5");
  EXPECT_EQ(p->messages[1].stanza_id, "sid6");
  q.last_page = false;
  q.before_id = "sid5";
  q.max = 10;
  p = archive_->query(q);
  EXPECT_EQ(p->messages.size(), 5u);
  EXPECT_TRUE(p->complete);
  q.before_id = "unknown";
  EXPECT_EQ(archive_->query(q).error(), make_error_code(StoreErrc::not_found));
  ArchiveQuery f;
  f.room = testing::room_jid("r@mls");
  f.with_nick = "Bob";
  f.start = msg("r@mls", 2).ts;
  p = archive_->query(f);
  ASSERT_EQ(p->messages.size(), 2u);  // sid3, sid5
  EXPECT_EQ(p->messages[0].stanza_id, "sid3");
  auto recent = archive_->recent(testing::room_jid("r@mls"), 2);
  ASSERT_TRUE(recent);
  ASSERT_EQ(recent->size(), 2u);
  EXPECT_EQ(recent->back().stanza_id, "sid6");
  ASSERT_TRUE(rooms_->destroy(testing::room_jid("r@mls")));  // cascades
  EXPECT_TRUE(archive_->recent(testing::room_jid("r@mls"), 10)->empty());
}

TEST_F(PgStoreTest, GroupCommitStoresABatchInOrderAllOrNothing) {
  ASSERT_TRUE(rooms_->create(room("r@mls", true)));
  std::vector<ArchivedMessage> batch;
  for (int i = 0; i < 600; ++i) batch.push_back(msg("r@mls", i));  // more than one INSERT
  ASSERT_TRUE(archive_->append_batch(batch));
  auto stored = archive_->recent(testing::room_jid("r@mls"), 1000);
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, batch);
  // A duplicate stanza id in the last row: the whole batch is rolled back.
  std::vector<ArchivedMessage> bad = {msg("r@mls", 600), msg("r@mls", 601), msg("r@mls", 0)};
  EXPECT_FALSE(archive_->append_batch(bad));
  EXPECT_EQ(archive_->recent(testing::room_jid("r@mls"), 1000)->size(), 600u);
  EXPECT_EQ(archive_->append_batch({msg("nope@mls", 700)}).error(),
            make_error_code(StoreErrc::not_found));
  EXPECT_TRUE(archive_->append_batch({}));
}

TEST_F(PgStoreTest, TombstoneAndItsNoticeCommitTogether) {
  ASSERT_TRUE(rooms_->create(room("r@mls", true)));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(archive_->append(msg("r@mls", i)));
  auto blank = [](const std::string&) {
    return std::optional<std::string>("<message xmlns='jabber:client'><retracted/></message>");
  };
  // The notice's stanza id is taken: the INSERT fails, and the tombstone, already UPDATEd in
  // the same transaction, is rolled back with it.
  auto clash =
      rooms_->tombstone_message(testing::room_jid("r@mls"), "sid1", blank, msg("r@mls", 2));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error(), make_error_code(StoreErrc::conflict));
  auto rows = archive_->recent(testing::room_jid("r@mls"), 10);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[1], msg("r@mls", 1));

  // A declined tombstone and an unknown id change nothing either.
  auto decline = [](const std::string&) { return std::optional<std::string>(); };
  EXPECT_EQ(rooms_->tombstone_message(testing::room_jid("r@mls"), "sid1", decline, msg("r@mls", 3))
                .error(),
            make_error_code(StoreErrc::conflict));
  EXPECT_EQ(
      rooms_->tombstone_message(testing::room_jid("r@mls"), "nope", blank, msg("r@mls", 3)).error(),
      make_error_code(StoreErrc::not_found));
  EXPECT_EQ(
      rooms_->tombstone_message(testing::room_jid("nope@mls"), "sid1", blank, msg("nope@mls", 3))
          .error(),
      make_error_code(StoreErrc::not_found));
  EXPECT_EQ(archive_->recent(testing::room_jid("r@mls"), 10)->size(), 3u);

  // Success: the row keeps its id and place, and the notice follows it in the archive.
  auto done = rooms_->tombstone_message(testing::room_jid("r@mls"), "sid1", blank, msg("r@mls", 3));
  ASSERT_TRUE(done);
  rows = archive_->recent(testing::room_jid("r@mls"), 10);
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[1].stanza_id, "sid1");
  EXPECT_EQ((*rows)[1].stanza, *done);
  EXPECT_EQ((*rows)[3], msg("r@mls", 3));
}

// db::PgConsensusStore (schema/0007_federation.sql): term, vote and log of a federated room's
// agreement; a save replaces the log from an index on and keeps what is before it.
TEST_F(PgStoreTest, ConsensusStateRoundTripsAndALogSuffixIsReplaced) {
  db::PgConsensusStore store(*pool_);
  auto none = store.load("room@mls.a.test");
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_FALSE(none->has_value());
  const ConsensusEntry x{1, {0x11}}, noop{2, {}}, y{2, {0x22, 0x23}}, z{3, {0x33}};
  ASSERT_TRUE(store.save("room@mls.a.test", 2, "room@mls.b.test", 0, {x, noop, y}));
  ASSERT_TRUE(store.save("room@mls.b.test", 1, "", 0, {x}));  // another room, apart
  auto a = store.load("room@mls.a.test");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ(**a, (ConsensusState{2, "room@mls.b.test", {x, noop, y}}));
  // A new leader's entries replace the suffix from index 1; the vote is cleared in term 3.
  ASSERT_TRUE(store.save("room@mls.a.test", 3, "", 1, {z}));
  a = store.load("room@mls.a.test");
  ASSERT_TRUE(a);
  EXPECT_EQ(**a, (ConsensusState{3, "", {x, z}}));
  auto b = store.load("room@mls.b.test");
  ASSERT_TRUE(b);
  EXPECT_EQ(**b, (ConsensusState{1, "", {x}}));
  EXPECT_FALSE(store.save("room@mls.a.test", 0, "", 0, {}));  // terms start at 1 (CHECK)
}

}  // namespace
}  // namespace conclave::component
