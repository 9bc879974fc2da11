// The real schema (schema/*.sql, embedded) on a fresh database: it applies, re-applies as a
// no-op, and its constraints hold what docs/architecture.md promises.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "db/migrations.h"
#include "pg_test_env.h"

namespace conclave::db {
namespace {

class Schema : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string base = testing::pg_conninfo();
    ASSERT_FALSE(base.empty());
    db_.emplace(base);
    Result<std::vector<Migration>> ms = embedded_migrations();
    ASSERT_TRUE(ms.has_value());
    migrations_ = std::move(*ms);
    Result<MigrationReport> r =
        migrate(db_->conninfo(), migrations_, [](std::string_view l) { std::cerr << l << "\n"; });
    ASSERT_TRUE(r.has_value()) << r.error().message();
    conn_.emplace(db_->conninfo());
  }

  // fails: true if `sql` is rejected (in its own transaction).
  bool fails(const std::string& sql) {
    try {
      pqxx::work tx(*conn_);
      tx.exec(sql);
      tx.commit();
      return false;
    } catch (const pqxx::sql_error&) {
      return true;
    }
  }
  void exec(const std::string& sql) {
    pqxx::work tx(*conn_);
    tx.exec(sql);
    tx.commit();
  }

  std::optional<testing::ScratchDatabase> db_;
  std::vector<Migration> migrations_;
  std::optional<pqxx::connection> conn_;
};

TEST_F(Schema, AppliesOnceAndIsCurrent) {
  Result<MigrationReport> again = migrate(*conn_, migrations_);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->applied.empty());
  Result<std::int32_t> v = check_schema(*conn_, migrations_);
  ASSERT_TRUE(v.has_value()) << v.error().message();
  EXPECT_EQ(*v, static_cast<std::int32_t>(migrations_.size()));
}

TEST_F(Schema, RoomsKeepMlsStateAllOrNothing) {
  exec("INSERT INTO rooms (jid, mode) VALUES ('r1@mls.localhost', 'group_chat')");
  EXPECT_TRUE(fails("INSERT INTO rooms (jid, mode) VALUES ('r1@mls.localhost', 'chat_room')"));
  EXPECT_TRUE(fails("INSERT INTO rooms (jid, mode) VALUES ('r2@mls.localhost', 'other')"));
  EXPECT_TRUE(fails("UPDATE rooms SET mls_epoch = 0 WHERE jid = 'r1@mls.localhost'"));
  EXPECT_TRUE(fails("UPDATE rooms SET config = '[]' WHERE jid = 'r1@mls.localhost'"));
  exec(
      "UPDATE rooms SET mls_group_id = '\\x01', mls_epoch = 0, mls_tree_hash = '\\xaa'"
      " WHERE jid = 'r1@mls.localhost'");
  EXPECT_TRUE(fails("UPDATE rooms SET mls_epoch = -1 WHERE jid = 'r1@mls.localhost'"));
  // One MLS group belongs to one room.
  EXPECT_TRUE(
      fails("INSERT INTO rooms (jid, mode, mls_group_id, mls_epoch, mls_tree_hash)"
            " VALUES ('r3@mls.localhost', 'chat_room', '\\x01', 0, '\\xbb')"));
}

// 0004_chain_hash.sql on a database that already holds commits: each logged commit gets
// H(previous || commit_hash) from Nh zero bytes, the room the last one, a group without commits
// the zero string. Expected values computed independently (Python hashlib).
TEST(SchemaUpgrade, TheChainHashIsBackfilledOverExistingLogs) {
  const std::string base = testing::pg_conninfo();
  ASSERT_FALSE(base.empty());
  testing::ScratchDatabase db(base);
  Result<std::vector<Migration>> ms = embedded_migrations();
  ASSERT_TRUE(ms.has_value());
  ASSERT_GE(ms->size(), 4u);
  ASSERT_TRUE(migrate(db.conninfo(), std::span<const Migration>(*ms).first(3)).has_value());
  pqxx::connection conn(db.conninfo());
  {
    pqxx::work tx(conn);
    for (const char* room : {"a@mls.localhost", "b@mls.localhost"}) {
      tx.exec_params(
          "INSERT INTO rooms (jid, mode, mls_group_id, mls_epoch, mls_tree_hash, "
          "mls_cipher_suite, mls_group_info, mls_group_context, mls_interim_hash, "
          "mls_leaf_count) VALUES ($1, 'group_chat', convert_to($1, 'UTF8'), 2, '\\xaa', 1, "
          "'\\x01', '\\x02', '\\x03', 1)",
          std::string(room));
    }
    tx.exec(
        "INSERT INTO mls_commits (room, epoch, commit_hash, mls_message, group_info, sender_jid) "
        "VALUES ('a@mls.localhost', 0, '\\x01', '\\x00', '\\x00', 'x@y'), "
        "('a@mls.localhost', 1, '\\x02', '\\x00', '\\x00', 'x@y')");
    tx.commit();
  }
  ASSERT_TRUE(migrate(db.conninfo(), *ms).has_value());
  pqxx::read_transaction tx(conn);
  auto commits = tx.exec(
      "SELECT encode(chain_hash, 'hex') FROM mls_commits WHERE room = 'a@mls.localhost' "
      "ORDER BY epoch");
  ASSERT_EQ(commits.size(), 2u);
  const std::string c1 = "1fd4247443c9440cb3c48c28851937196bc156032d70a96c98e127ecb347e45f";
  const std::string c2 = "76eebb4978bb0c5ff030a7526eb0c488104e2a857b73fa280d2070dc716ba260";
  EXPECT_EQ(commits[0][0].as<std::string>(), c1);
  EXPECT_EQ(commits[1][0].as<std::string>(), c2);
  auto rooms = tx.exec("SELECT jid, encode(mls_chain_hash, 'hex') FROM rooms ORDER BY jid");
  ASSERT_EQ(rooms.size(), 2u);
  EXPECT_EQ(rooms[0][1].as<std::string>(), c2);
  EXPECT_EQ(rooms[1][1].as<std::string>(), std::string(64, '0'));
}

TEST_F(Schema, AffiliationsAreCheckedAndFollowTheirRoom) {
  exec("INSERT INTO rooms (jid, mode) VALUES ('r1@mls.localhost', 'chat_room')");
  exec(
      "INSERT INTO room_affiliations (room, jid, affiliation, nick)"
      " VALUES ('r1@mls.localhost', 'alice@localhost', 'owner', 'Alice')");
  EXPECT_TRUE(
      fails("INSERT INTO room_affiliations (room, jid, affiliation)"
            " VALUES ('r1@mls.localhost', 'bob@localhost', 'none')"));
  EXPECT_TRUE(
      fails("INSERT INTO room_affiliations (room, jid, affiliation)"
            " VALUES ('nope@mls.localhost', 'bob@localhost', 'member')"));
  EXPECT_TRUE(
      fails("INSERT INTO room_affiliations (room, jid, affiliation, nick)"
            " VALUES ('r1@mls.localhost', 'bob@localhost', 'member', 'Alice')"));
  exec(
      "INSERT INTO room_affiliations (room, jid, affiliation, reason)"
      " VALUES ('r1@mls.localhost', 'eve@localhost', 'outcast', 'spam')");
  exec("DELETE FROM rooms WHERE jid = 'r1@mls.localhost'");
  pqxx::read_transaction tx(*conn_);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM room_affiliations")[0].as<int>(), 0);
}

// 0006_devices.sql: one last-resort package per (owner, device), and the room index goes with
// its room.
TEST_F(Schema, EachDeviceKeepsOneLastResortPackageAndMembersFollowTheirRoom) {
  const std::string kp =
      "INSERT INTO mls_key_packages (owner, ref, key_package, last_resort, not_after, device)"
      " VALUES ('bob@localhost', '\\x%s', '\\x00', true, now(), '%s')";
  auto insert = [&](const std::string& ref, const std::string& device) {
    std::string sql = kp;
    sql.replace(sql.find("%s"), 2, ref);
    sql.replace(sql.find("%s"), 2, device);
    return sql;
  };
  exec(insert("01", "phone"));
  exec(insert("02", "pc"));
  EXPECT_TRUE(fails(insert("03", "phone")));
  exec("INSERT INTO rooms (jid, mode) VALUES ('r1@mls.localhost', 'group_chat')");
  exec(
      "INSERT INTO mls_members (room, leaf_index, identity, device)"
      " VALUES ('r1@mls.localhost', 0, 'bob@localhost', 'phone')");
  EXPECT_TRUE(
      fails("INSERT INTO mls_members (room, leaf_index, identity, device)"
            " VALUES ('r1@mls.localhost', 0, 'carol@localhost', 'phone')"));
  EXPECT_TRUE(
      fails("INSERT INTO mls_members (room, leaf_index, identity, device)"
            " VALUES ('nope@mls.localhost', 0, 'bob@localhost', 'phone')"));
  exec("DELETE FROM rooms WHERE jid = 'r1@mls.localhost'");
  pqxx::read_transaction tx(*conn_);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM mls_members")[0].as<int>(), 0);
}

TEST_F(Schema, ArchivePagesByIdAndTimeWithUniqueStanzaIds) {
  exec("INSERT INTO rooms (jid, mode) VALUES ('r1@mls.localhost', 'chat_room')");
  for (int i = 0; i < 5; ++i) {
    exec(
        "INSERT INTO room_archive (room, stanza_id, ts, from_nick, stanza) VALUES"
        " ('r1@mls.localhost', 's" +
        std::to_string(i) + "', '2024-01-01T00:00:0" + std::to_string(i) +
        "Z', 'alice', '<message/>')");
  }
  EXPECT_TRUE(
      fails("INSERT INTO room_archive (room, stanza_id, from_nick, stanza)"
            " VALUES ('r1@mls.localhost', 's0', 'bob', '<message/>')"));
  EXPECT_TRUE(
      fails("INSERT INTO room_archive (id, room, stanza_id, from_nick, stanza)"
            " VALUES (99, 'r1@mls.localhost', 'sx', 'bob', '<message/>')"));
  pqxx::read_transaction tx(*conn_);
  // RSM "after s1", limit 2: the two next messages in archive order.
  pqxx::result page = tx.exec(
      "SELECT stanza_id FROM room_archive WHERE room = 'r1@mls.localhost' AND id >"
      " (SELECT id FROM room_archive WHERE room = 'r1@mls.localhost' AND stanza_id = 's1')"
      " ORDER BY id LIMIT 2");
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0][0].as<std::string>(), "s2");
  EXPECT_EQ(page[1][0].as<std::string>(), "s3");
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM room_archive WHERE room = 'r1@mls.localhost'"
                     " AND ts >= '2024-01-01T00:00:03Z'")[0]
                .as<int>(),
            2);
}

}  // namespace
}  // namespace conclave::db
