// Behavioural tests of component::MlsStore, written once and run against both implementations:
// built twice (tests/component/CMakeLists.txt), as component_mls_store_fake_test (the in-memory
// FakeMlsStore, label unit) and as component_pg_mls_store_test (db::PgMlsStore against the
// harness's PostgreSQL, $CONCLAVE_TEST_PG, label integration; fails without it). The PostgreSQL
// build adds checks only a database can answer (rows physically rewritten, room rows).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "component/store/mls_store.h"
#include "tests/component/fake_mls_store.h"

#ifdef CONCLAVE_MLS_STORE_PG
#include <map>
#include <optional>
#include <pqxx/pqxx>

#include "db/connection_pool.h"
#include "db/migrations.h"
#include "db/pg_archive_store.h"
#include "db/pg_lease_store.h"
#include "db/pg_mls_store.h"
#include "db/pg_room_store.h"
#include "tests/db/pg_test_env.h"
#endif

namespace conclave::component {
namespace {

enum class Backend { fake, pg };

Blob bytes(const std::string& s) { return Blob(s.begin(), s.end()); }

// A fixed clock (docs/style.md P10): "now" is 2023-11-14T22:13:20Z.
const TimePoint kNow = TimePoint(std::chrono::seconds(1'700'000'000));
TimePoint in(std::int64_t seconds) { return kNow + std::chrono::seconds(seconds); }

KeyPackageRecord kp(const std::string& ref, bool last_resort = false,
                    TimePoint not_after = in(86'400)) {
  return {bytes("ref-" + ref), bytes("kp-" + ref), last_resort, not_after, ""};
}

// The test chain: a value per epoch, so that any commit at epoch e continues it; the real
// values (mls/crypto/commit_chain.h) are the delivery service's business.
Blob chain_at(std::uint64_t epoch) { return bytes("chain-" + std::to_string(epoch)); }

// chained: `c` as a commit made in `epoch`, continuing the test chain.
MlsCommitRecord chained(MlsCommitRecord c, std::uint64_t epoch) {
  c.prev_chain_hash = chain_at(epoch);
  c.chain_hash = chain_at(epoch + 1);
  return c;
}

MlsGroupRecord group(const std::string& room, std::uint32_t leaf_count,
                     std::vector<MlsNode> nodes) {
  MlsGroupRecord g;
  g.room = testing::room_jid(room);
  g.group_id = bytes("gid-" + room);
  g.cipher_suite = 1;
  g.epoch = Epoch(0);
  g.tree_hash = bytes("th0");
  g.group_info = bytes("gi0");
  g.group_context = bytes("gc0");
  g.interim_transcript_hash = bytes("ih0");
  g.leaf_count = leaf_count;
  g.chain_hash = chain_at(0);
  g.nodes = std::move(nodes);
  return g;
}

MlsCommitRecord commit(const std::string& tag, std::vector<std::string> recipients = {}) {
  MlsCommitRecord c;
  c.commit_hash = bytes("hash-" + tag);
  c.mls_message = bytes("msg-" + tag);
  if (!recipients.empty()) c.welcome = bytes("welcome-" + tag);
  c.welcome_recipients = std::move(recipients);
  c.group_info = bytes("gi-" + tag);
  c.sender_jid = "alice@example.org";
  c.tree_hash = bytes("th-" + tag);
  c.group_context = bytes("gc-" + tag);
  c.interim_transcript_hash = bytes("ih-" + tag);
  return c;
}

// The direct path of leaf 0 with the leaf itself (RFC 9420 Appendix C: parents of node 0 are
// 2^k - 1), i.e. what a commit with an UpdatePath from leaf 0 rewrites: log2(leaves) + 1 nodes.
std::vector<std::uint32_t> path_of_leaf0(std::uint32_t leaf_count) {
  std::vector<std::uint32_t> out{0};
  for (std::uint32_t n = 1; n <= leaf_count - 1; n = 2 * n + 1) out.push_back(n);
  return out;
}

// A tree of `members` leaves (leaf_count: the next power of two) with every node of the filled
// part non-blank. Sizes are close to real ones: a leaf node ~200 bytes, a parent ~80.
std::vector<MlsNode> full_tree(std::uint32_t members) {
  std::vector<MlsNode> nodes;
  const std::uint32_t width = 2 * members - 1;
  for (std::uint32_t i = 0; i < width; ++i) {
    nodes.push_back({i, Blob(i % 2 == 0 ? 200 : 80, static_cast<std::uint8_t>(i))});
  }
  return nodes;
}

// with_archive: `c` carrying its MAM row (stanza id "sid-<tag>"), as the delivery service sends
// it.
MlsCommitRecord with_archive(MlsCommitRecord c, const std::string& room, const std::string& tag) {
  ArchivedMessage& a = c.archived.emplace();
  a.room = testing::room_jid(room);
  a.stanza_id = "sid-" + tag;
  a.ts = kNow;
  a.from_jid = c.sender_jid;
  a.stanza =
      "<message type='groupchat'><commit xmlns='urn:xmpp:mls:0'>" + tag + "</commit></message>";
  return c;
}

// ListArchive: the room archive the fake store appends to (PostgreSQL: room_archive, read back
// through db::PgArchiveStore).
class ListArchive : public ArchiveStore {
 public:
  Status append(const ArchivedMessage& m) override {
    std::lock_guard lock(mutex_);
    rows_.push_back(m);
    return {};
  }
  Result<ArchivePage> query(const ArchiveQuery&) override {
    return fail(std::make_error_code(std::errc::operation_not_supported));
  }
  Result<std::vector<ArchivedMessage>> recent(const RoomJid& room, std::size_t max) override {
    std::lock_guard lock(mutex_);
    std::vector<ArchivedMessage> out;
    for (const auto& m : rows_) {
      if (m.room == room) out.push_back(m);
    }
    if (out.size() > max) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(max));
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<ArchivedMessage> rows_;
};

std::uint32_t leaves_for(std::uint32_t members) {
  std::uint32_t n = 1;
  while (n < members) n *= 2;
  return n;
}

class MlsStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::fake) {
      auto fake = std::make_unique<testing::FakeMlsStore>();
      fake->attach_archive(&list_archive_);
      archive_ = &list_archive_;
      store_ = std::move(fake);
      return;
    }
#ifdef CONCLAVE_MLS_STORE_PG
    const std::string base = db::testing::pg_conninfo();
    ASSERT_FALSE(base.empty());
    db_.emplace(base);
    auto migrations = db::embedded_migrations();
    ASSERT_TRUE(migrations);
    auto migrated = db::migrate(db_->conninfo(), *migrations);
    ASSERT_TRUE(migrated) << migrated.error().message();
    pool_ = std::make_unique<db::ConnectionPool>(db::PoolOptions{db_->conninfo(), 8});
    rooms_ = std::make_unique<db::PgRoomStore>(*pool_);
    store_ = std::make_unique<db::PgMlsStore>(*pool_);
    pg_archive_ = std::make_unique<db::PgArchiveStore>(*pool_);
    archive_ = pg_archive_.get();
#else
    FAIL() << "PostgreSQL backend not built into this binary";
#endif
  }
  void TearDown() override {
    store_.reset();
#ifdef CONCLAVE_MLS_STORE_PG
    pg_archive_.reset();
    rooms_.reset();
    pool_.reset();
    db_.reset();
#endif
  }

  // add_room: the room row PostgreSQL groups hang off (the fake needs none).
  void add_room(const std::string& jid) {
#ifdef CONCLAVE_MLS_STORE_PG
    if (rooms_) {
      RoomRecord r;
      r.jid = testing::room_jid(jid);
      r.persistent = true;
      ASSERT_TRUE(rooms_->create(r));
    }
#else
    (void)jid;
#endif
  }
  void create(const MlsGroupRecord& g) {
    add_room(g.room.str());
    auto s = store_->create_group(g);
    ASSERT_TRUE(s) << s.error().message();
  }
  CommitResult accept(const std::string& room, std::uint64_t epoch, const MlsCommitRecord& c,
                      const std::vector<MlsNodeChange>& nodes = {}, std::uint32_t leaves = 4) {
    const MlsCommitRecord in = c.chain_hash.empty() ? chained(c, epoch) : c;
    auto r = store_->accept_commit(testing::room_jid(room), Epoch(epoch), in, nodes, leaves);
    EXPECT_TRUE(r) << r.error().message();
    return r.value_or(CommitResult{});
  }
  // claim_one: claim_key_packages for an owner whose packages name one device: its package.
  Result<std::optional<KeyPackageRecord>> claim_one(const std::string& owner) {
    auto all = store_->claim_key_packages(owner, kNow);
    if (!all) return fail(all.error());
    EXPECT_LE(all->size(), 1u);
    if (all->empty()) return std::optional<KeyPackageRecord>();
    return std::optional<KeyPackageRecord>(all->front());
  }
  // archived: the room's archive rows, in archive order.
  std::vector<ArchivedMessage> archived(const std::string& room) {
    auto rows = archive_->recent(testing::room_jid(room), 1000);
    EXPECT_TRUE(rows) << rows.error().message();
    return rows.value_or(std::vector<ArchivedMessage>{});
  }

#ifdef CONCLAVE_MLS_STORE_PG
  std::optional<db::testing::ScratchDatabase> db_;  // first: dropped after the pool closes
  std::unique_ptr<db::ConnectionPool> pool_;
  std::unique_ptr<db::PgRoomStore> rooms_;
  std::unique_ptr<db::PgArchiveStore> pg_archive_;
#endif
  ListArchive list_archive_;
  ArchiveStore* archive_ = nullptr;
  std::unique_ptr<MlsStore> store_;
};

// ---- key packages ----

TEST_P(MlsStoreTest, KeyPackagesAreClaimedOldestFirstThenTheLastResortIsKept) {
  ASSERT_EQ(store_->store_key_packages("bob@x", {kp("a"), kp("b"), kp("lr", true)}, 100, kNow),
            KeyPackageUpload::stored);
  ASSERT_EQ(store_->store_key_packages("bob@x", {kp("c")}, 100, kNow), KeyPackageUpload::stored);
  EXPECT_EQ(store_->count_key_packages("bob@x", kNow), (KeyPackageCount{3, true}));
  EXPECT_EQ(store_->count_key_packages("carol@x", kNow), (KeyPackageCount{0, false}));
  for (const char* ref : {"a", "b", "c"}) {
    auto claimed = claim_one("bob@x");
    ASSERT_TRUE(claimed && *claimed);
    EXPECT_EQ(**claimed, kp(ref));
  }
  for (int i = 0; i < 2; ++i) {
    auto claimed = claim_one("bob@x");
    ASSERT_TRUE(claimed && *claimed);
    EXPECT_EQ(**claimed, kp("lr", true));  // returned, not deleted
  }
  EXPECT_EQ(store_->count_key_packages("bob@x", kNow), (KeyPackageCount{0, true}));
  auto none = claim_one("carol@x");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

KeyPackageRecord on(const std::string& device, const std::string& ref, bool last_resort = false) {
  KeyPackageRecord r = kp(ref, last_resort);
  r.device = device;
  return r;
}

TEST_P(MlsStoreTest, AClaimTakesOnePackageOfEachDevice) {
  ASSERT_EQ(store_->store_key_packages("bob@x", {on("phone", "p1"), on("phone", "p2")}, 100, kNow),
            KeyPackageUpload::stored);
  ASSERT_EQ(store_->store_key_packages("bob@x", {on("pc", "lr-pc", true)}, 100, kNow),
            KeyPackageUpload::stored);
  ASSERT_EQ(store_->store_key_packages("bob@x", {on("phone", "lr-phone", true)}, 100, kNow),
            KeyPackageUpload::stored);
  EXPECT_EQ(store_->count_device_key_packages("bob@x", "phone", kNow), (KeyPackageCount{2, true}));
  EXPECT_EQ(store_->count_device_key_packages("bob@x", "pc", kNow), (KeyPackageCount{0, true}));
  EXPECT_EQ(store_->count_device_key_packages("bob@x", "tv", kNow), (KeyPackageCount{0, false}));
  auto first = store_->claim_key_packages("bob@x", kNow);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, (std::vector<KeyPackageRecord>{on("pc", "lr-pc", true), on("phone", "p1")}));
  auto second = store_->claim_key_packages("bob@x", kNow);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, (std::vector<KeyPackageRecord>{on("pc", "lr-pc", true), on("phone", "p2")}));
  auto third = store_->claim_key_packages("bob@x", kNow);
  ASSERT_TRUE(third);
  EXPECT_EQ(*third, (std::vector<KeyPackageRecord>{on("pc", "lr-pc", true),
                                                   on("phone", "lr-phone", true)}));
}

TEST_P(MlsStoreTest, DevicesAreListedDeletedAndRetired) {
  ASSERT_EQ(store_->store_key_packages("bob@x", {on("phone", "p1"), on("phone", "p2")}, 100, kNow),
            KeyPackageUpload::stored);
  ASSERT_EQ(store_->store_key_packages("bob@x", {on("pc", "c1"), on("pc", "lr", true)}, 100, kNow),
            KeyPackageUpload::stored);
  auto devices = store_->devices("bob@x", kNow);
  ASSERT_TRUE(devices);
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[0].device, "pc");
  EXPECT_EQ((*devices)[0].one_time, 1u);
  EXPECT_TRUE((*devices)[0].last_resort);
  EXPECT_EQ((*devices)[1].device, "phone");
  EXPECT_EQ((*devices)[1].one_time, 2u);
  EXPECT_FALSE((*devices)[1].last_resort);
  EXPECT_TRUE(store_->devices("carol@x", kNow)->empty());
  // By ref (only the owner's), then all of one device.
  EXPECT_EQ(store_->delete_key_packages("carol@x", {bytes("ref-p1")}, std::nullopt), 0u);
  EXPECT_EQ(store_->delete_key_packages("bob@x", {bytes("ref-p1")}, std::nullopt), 1u);
  EXPECT_EQ(store_->delete_key_packages("bob@x", {}, std::string("pc")), 2u);
  EXPECT_EQ(store_->count_key_packages("bob@x", kNow), (KeyPackageCount{1, false}));
  // Retiring drops the device from the list with its packages.
  EXPECT_EQ(store_->retire_device("bob@x", "phone"), true);
  EXPECT_EQ(store_->retire_device("bob@x", "phone"), false);
  EXPECT_EQ(store_->count_key_packages("bob@x", kNow), (KeyPackageCount{0, false}));
  devices = store_->devices("bob@x", kNow);
  ASSERT_TRUE(devices);
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ((*devices)[0].device, "pc");
}

TEST_P(MlsStoreTest, TheMembershipIndexFollowsCreateAndCommits) {
  // The devices are listed by their uploads (CR-8 checks the creator's).
  ASSERT_EQ(store_->store_key_packages("alice@x", {on("phone", "a1")}, 100, kNow),
            KeyPackageUpload::stored);
  MlsGroupRecord g = group("r@mls", 4, {{0, bytes("n0")}});
  g.members = {{0, "alice@x", "phone"}};
  create(g);
  add_room("s@mls");
  EXPECT_EQ(store_->rooms_of("alice@x"),
            (std::vector<RoomDevice>{{testing::room_jid("r@mls"), "phone"}}));
  MlsCommitRecord c = commit("c0", {"bob@x"});
  c.members = {{1, MemberLeaf{1, "bob@x", "pc"}}, {2, MemberLeaf{2, "bob@x", "phone"}}};
  accept("r@mls", 0, c, {{2, bytes("n2")}, {4, bytes("n4")}});
  EXPECT_EQ(store_->rooms_of("bob@x"),
            (std::vector<RoomDevice>{{testing::room_jid("r@mls"), "pc"},
                                     {testing::room_jid("r@mls"), "phone"}}));
  // A blanked leaf leaves the index; so do leaves cut off by a shrinking tree.
  MlsCommitRecord d = commit("c1");
  d.members = {{1, std::nullopt}};
  accept("r@mls", 1, d, {{2, std::nullopt}}, 2);
  EXPECT_TRUE(store_->rooms_of("bob@x")->empty());
  EXPECT_EQ(store_->rooms_of("alice@x")->size(), 1u);
}

TEST_P(MlsStoreTest, LeavesOfDevicesOffTheListAreRefusedAndFound) {  // CR-8, CM-13, BR-14
  ASSERT_EQ(store_->store_key_packages("alice@x", {on("phone", "a1")}, 100, kNow),
            KeyPackageUpload::stored);
  ASSERT_EQ(store_->store_key_packages("bob@x", {on("pc", "b1")}, 100, kNow),
            KeyPackageUpload::stored);
  // A group whose creator's device never uploaded is not created.
  MlsGroupRecord ghost = group("g@mls", 4, {{0, bytes("n0")}});
  ghost.members = {{0, "carol@x", "tv"}};
  add_room("g@mls");
  EXPECT_EQ(store_->create_group(ghost).error(), make_error_code(StoreErrc::unknown_device));
  EXPECT_FALSE(store_->load_group(testing::room_jid("g@mls"))->has_value());

  MlsGroupRecord g = group("r@mls", 4, {{0, bytes("n0")}});
  g.members = {{0, "alice@x", "phone"}};
  create(g);
  MlsCommitRecord add = chained(commit("c0", {"bob@x"}), 0);
  add.members = {{1, MemberLeaf{1, "bob@x", "pc"}}};
  add.devices = {{1, "bob@x", "pc"}, {0, "alice@x", "phone"}};
  EXPECT_EQ(accept("r@mls", 0, add, {{2, bytes("n2")}}).outcome, CommitOutcome::accepted);
  // A commit adding bob's phone, which never uploaded, writes nothing.
  MlsCommitRecord forged = chained(commit("c1", {"bob@x"}), 1);
  forged.members = {{2, MemberLeaf{2, "bob@x", "phone"}}};
  forged.devices = {{2, "bob@x", "phone"}, {0, "alice@x", "phone"}};
  auto r =
      store_->accept_commit(testing::room_jid("r@mls"), Epoch(1), forged, {{4, bytes("n4")}}, 4);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(StoreErrc::unknown_device));
  EXPECT_EQ((*store_->load_group(testing::room_jid("r@mls")))->epoch, Epoch(1));
  EXPECT_EQ(store_->commits_since(testing::room_jid("r@mls"), Epoch(1), 10)->commits.size(), 0u);
  EXPECT_EQ(store_->rooms_of("bob@x")->size(), 1u);
  // Leaves of the unnamed device '' (before devices existed) are never counted as retired.
  MlsCommitRecord old = chained(commit("c2"), 1);
  old.members = {{3, MemberLeaf{3, "dave@x", ""}}};
  old.devices = {{0, "alice@x", "phone"}};
  EXPECT_EQ(accept("r@mls", 1, old, {{6, bytes("n6")}}).outcome, CommitOutcome::accepted);
  EXPECT_TRUE(store_->unlisted_leaves(testing::room_jid("r@mls"))->empty());
  // Retiring bob's pc makes its leaf unlisted (BR-14), and a commit naming it is refused.
  ASSERT_EQ(store_->retire_device("bob@x", "pc"), true);
  EXPECT_EQ(store_->unlisted_leaves(testing::room_jid("r@mls")), (std::vector<std::uint32_t>{1}));
  MlsCommitRecord by_pc = chained(commit("c3"), 2);
  by_pc.devices = {{1, "bob@x", "pc"}};
  EXPECT_EQ(store_->accept_commit(testing::room_jid("r@mls"), Epoch(2), by_pc, {}, 4).error(),
            make_error_code(StoreErrc::unknown_device));
  // Uploading again lists it again.
  ASSERT_EQ(store_->store_key_packages("bob@x", {on("pc", "b2")}, 100, kNow),
            KeyPackageUpload::stored);
  EXPECT_TRUE(store_->unlisted_leaves(testing::room_jid("r@mls"))->empty());
}

TEST_P(MlsStoreTest, AGroupStoredBeforeTheIndexIsIndexedOnce) {  // schema 0006, §6.13
  create(group("old@mls", 4, {{0, bytes("n0")}}));  // no members: as stored before 0006
  auto loaded = store_->load_group(testing::room_jid("old@mls"));
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_FALSE((*loaded)->members_indexed);
  EXPECT_TRUE(store_->rooms_of("alice@x")->empty());
  const std::vector<MemberLeaf> rows{{0, "alice@x", "phone"}, {1, "bob@x", ""}};
  EXPECT_EQ(store_->index_members(testing::room_jid("old@mls"), rows), 2u);
  EXPECT_TRUE((*store_->load_group(testing::room_jid("old@mls")))->members_indexed);
  EXPECT_EQ(store_->rooms_of("alice@x"),
            (std::vector<RoomDevice>{{testing::room_jid("old@mls"), "phone"}}));
  // Once indexed, the index is the commits' to keep: a second fill writes nothing.
  EXPECT_EQ(store_->index_members(testing::room_jid("old@mls"), {{2, "carol@x", "pc"}}), 0u);
  EXPECT_TRUE(store_->rooms_of("carol@x")->empty());
  // A room without a group gets no rows.
  EXPECT_EQ(store_->index_members(testing::room_jid("none@mls"), rows), 0u);
}

TEST_P(MlsStoreTest, ALastResortPackageReplacesThePreviousOne) {
  ASSERT_EQ(store_->store_key_packages("bob@x", {kp("lr1", true)}, 100, kNow),
            KeyPackageUpload::stored);
  ASSERT_EQ(store_->store_key_packages("bob@x", {kp("lr2", true)}, 100, kNow),
            KeyPackageUpload::stored);
  auto claimed = claim_one("bob@x");
  ASSERT_TRUE(claimed && *claimed);
  EXPECT_EQ(**claimed, kp("lr2", true));
  // lr1 is gone, so its ref is free again; re-uploading the current one is not a duplicate.
  EXPECT_EQ(store_->store_key_packages("alice@x", {kp("lr1")}, 100, kNow),
            KeyPackageUpload::stored);
  EXPECT_EQ(store_->store_key_packages("bob@x", {kp("lr2", true)}, 100, kNow),
            KeyPackageUpload::stored);
}

TEST_P(MlsStoreTest, AnUploadIsAllOrNothing) {
  ASSERT_EQ(store_->store_key_packages("alice@x", {kp("taken")}, 100, kNow),
            KeyPackageUpload::stored);
  EXPECT_EQ(store_->store_key_packages("bob@x", {kp("a"), kp("taken")}, 100, kNow),
            KeyPackageUpload::duplicate_ref);
  EXPECT_EQ(store_->store_key_packages("bob@x", {kp("a"), kp("b"), kp("a")}, 100, kNow),
            KeyPackageUpload::duplicate_ref);
  auto two_last_resorts =
      store_->store_key_packages("bob@x", {kp("l1", true), kp("l2", true)}, 100, kNow);
  ASSERT_FALSE(two_last_resorts);
  EXPECT_EQ(two_last_resorts.error(), std::errc::invalid_argument);
  EXPECT_EQ(store_->count_key_packages("bob@x", kNow), (KeyPackageCount{0, false}));
  // The refused batches left nothing behind: "a" can be stored now.
  EXPECT_EQ(store_->store_key_packages("bob@x", {kp("a")}, 100, kNow), KeyPackageUpload::stored);
}

TEST_P(MlsStoreTest, ThePerOwnerLimitCountsUnexpiredOneTimePackages) {
  ASSERT_EQ(store_->store_key_packages("bob@x", {kp("old", false, in(-1))}, 100, kNow),
            KeyPackageUpload::stored);
  ASSERT_EQ(store_->store_key_packages("bob@x", {kp("a"), kp("b"), kp("c")}, 5, kNow),
            KeyPackageUpload::stored);
  EXPECT_EQ(store_->store_key_packages("bob@x", {kp("d"), kp("e"), kp("f")}, 5, kNow),
            KeyPackageUpload::limit_exceeded);
  EXPECT_EQ(store_->count_key_packages("bob@x", kNow), (KeyPackageCount{3, false}));
  // The expired one and the last-resort one do not count.
  EXPECT_EQ(store_->store_key_packages("bob@x", {kp("d"), kp("e"), kp("lr", true)}, 5, kNow),
            KeyPackageUpload::stored);
  EXPECT_EQ(store_->count_key_packages("bob@x", kNow), (KeyPackageCount{5, true}));
  // Other owners have their own limit.
  EXPECT_EQ(store_->store_key_packages("carol@x", {kp("g")}, 1, kNow), KeyPackageUpload::stored);
}

TEST_P(MlsStoreTest, ExpiredKeyPackagesAreNeverClaimedAndArePurged) {
  ASSERT_EQ(store_->store_key_packages(
                "bob@x", {kp("expired", false, in(-1)), kp("lr", true, in(-1))}, 100, kNow),
            KeyPackageUpload::stored);
  ASSERT_EQ(store_->store_key_packages("bob@x", {kp("edge", false, kNow)}, 100, kNow),
            KeyPackageUpload::stored);
  EXPECT_EQ(store_->count_key_packages("bob@x", kNow), (KeyPackageCount{1, false}));
  auto claimed = claim_one("bob@x");  // skips the older, expired one
  ASSERT_TRUE(claimed && *claimed);
  EXPECT_EQ(**claimed, kp("edge", false, kNow));
  auto none = claim_one("bob@x");  // the last resort has expired too
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  EXPECT_EQ(store_->purge_expired_key_packages(kNow), 2u);
  EXPECT_EQ(store_->purge_expired_key_packages(kNow), 0u);
}

TEST_P(MlsStoreTest, ConcurrentClaimersNeverGetTheSamePackage) {
  constexpr int kPackages = 60;
  std::vector<KeyPackageRecord> batch;
  for (int i = 0; i < kPackages; ++i) batch.push_back(kp(std::to_string(i)));
  batch.push_back(kp("lr", true));
  ASSERT_EQ(store_->store_key_packages("bob@x", batch, 100, kNow), KeyPackageUpload::stored);
  std::vector<std::vector<Blob>> got(8);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      for (;;) {
        auto c = claim_one("bob@x");  // one device: one package per claim
        if (!c || !*c) {
          errors += c ? 0 : 1;
          return;
        }
        if ((*c)->last_resort) return;
        got[t].push_back((*c)->ref);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  std::set<Blob> unique;
  std::size_t total = 0;
  for (const auto& g : got) {
    total += g.size();
    unique.insert(g.begin(), g.end());
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kPackages));
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kPackages));
  EXPECT_EQ(store_->count_key_packages("bob@x", kNow), (KeyPackageCount{0, true}));
}

TEST_P(MlsStoreTest, ConcurrentUploadsRespectTheLimit) {
  std::atomic<int> stored{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::vector<KeyPackageRecord> batch;
      for (int i = 0; i < 10; ++i) batch.push_back(kp(std::to_string(t) + "." + std::to_string(i)));
      auto r = store_->store_key_packages("bob@x", batch, 35, kNow);
      if (r && *r == KeyPackageUpload::stored) ++stored;
      if (r && *r == KeyPackageUpload::limit_exceeded) ++refused;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(stored.load(), 3);
  EXPECT_EQ(refused.load(), 5);
  EXPECT_EQ(store_->count_key_packages("bob@x", kNow), (KeyPackageCount{30, false}));
}

// ---- groups ----

TEST_P(MlsStoreTest, AGroupIsCreatedOnceAndLoadsBack) {
  MlsGroupRecord g = group("r@mls", 4, {{4, bytes("n4")}, {0, bytes("n0")}, {1, bytes("n1")}});
  create(g);
  auto loaded = store_->load_group(testing::room_jid("r@mls"));
  ASSERT_TRUE(loaded && *loaded);
  MlsGroupRecord expected = g;
  expected.members_indexed = false;  // created without index rows
  std::sort(expected.nodes.begin(), expected.nodes.end(),
            [](const MlsNode& a, const MlsNode& b) { return a.index < b.index; });
  EXPECT_EQ(**loaded, expected);

  auto again = store_->create_group(g);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), StoreErrc::conflict);
  MlsGroupRecord same_id = group("other@mls", 1, {{0, bytes("n0")}});
  same_id.group_id = g.group_id;
  add_room("other@mls");
  auto taken = store_->create_group(same_id);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error(), StoreErrc::conflict);

  auto none = store_->load_group(testing::room_jid("nowhere@mls"));
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST_P(MlsStoreTest, NodeIndicesMustBeDistinctAndInsideTheTree) {
  add_room("r@mls");
  auto outside = store_->create_group(group("r@mls", 2, {{3, bytes("x")}}));
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error(), std::errc::invalid_argument);
  ASSERT_TRUE(store_->create_group(group("r@mls", 2, {{0, bytes("n0")}})));
  auto twice = store_->accept_commit(testing::room_jid("r@mls"), Epoch(0), commit("c"),
                                     {{1, bytes("a")}, {1, std::nullopt}}, 2);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error(), std::errc::invalid_argument);
  auto none = store_->accept_commit(testing::room_jid("r@mls"), Epoch(0), commit("c"), {}, 0);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), std::errc::invalid_argument);
  EXPECT_EQ((*store_->load_group(testing::room_jid("r@mls")))->epoch, 0u);
}

TEST_P(MlsStoreTest, AcceptWritesOnlyTheChangedNodesAndLoadsAsExpected) {
  create(group(
      "r@mls", 4,
      {{0, bytes("n0")}, {1, bytes("n1")}, {2, bytes("n2")}, {4, bytes("n4")}, {5, bytes("n5")}}));
  ASSERT_TRUE(
      store_->add_proposal(testing::room_jid("r@mls"), {Epoch(0), bytes("pref"), bytes("pmsg")}));
  // Leaf 0 updates its path (0, 1, 3), leaf 1 (node 2) is removed, two members are welcomed.
  const MlsCommitRecord c = commit("c0", {"bob@x", "carol@x"});
  CommitResult r = accept("r@mls", 0, c,
                          {{0, bytes("n0'")},
                           {1, bytes("n1'")},
                           {3, bytes("n3")},
                           {2, std::nullopt},
                           {6, std::nullopt}},
                          4);
  EXPECT_EQ(r.outcome, CommitOutcome::accepted);
  EXPECT_EQ(r.epoch, 1u);
  // log + group + 3 node upserts + 1 node delete (6 had no row) + 2 Welcomes + 1 proposal.
  EXPECT_EQ(r.rows_written, 9u);

  MlsGroupRecord expected = group(
      "r@mls", 4,
      {{0, bytes("n0'")}, {1, bytes("n1'")}, {3, bytes("n3")}, {4, bytes("n4")}, {5, bytes("n5")}});
  expected.epoch = Epoch(1);
  expected.tree_hash = c.tree_hash;
  expected.group_info = c.group_info;
  expected.group_context = c.group_context;
  expected.interim_transcript_hash = c.interim_transcript_hash;
  expected.chain_hash = chain_at(1);
  expected.members_indexed = false;  // neither create nor the commit wrote index rows
  auto loaded = store_->load_group(testing::room_jid("r@mls"));
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ(**loaded, expected);
}

TEST_P(MlsStoreTest, AShrinkingTreeDropsTheNodesBeyondItsWidth) {
  create(group(
      "r@mls", 4,
      {{0, bytes("n0")}, {1, bytes("n1")}, {3, bytes("n3")}, {4, bytes("n4")}, {6, bytes("n6")}}));
  CommitResult r = accept("r@mls", 0, commit("c0"), {{1, std::nullopt}}, 2);
  ASSERT_EQ(r.outcome, CommitOutcome::accepted);
  EXPECT_EQ(r.rows_written, 2u + 1u + 3u);  // log, group, node 1, then 3, 4, 6 cut off
  auto loaded = store_->load_group(testing::room_jid("r@mls"));
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->nodes, (std::vector<MlsNode>{{0, bytes("n0")}}));
  EXPECT_EQ((*loaded)->leaf_count, 2u);
}

TEST_P(MlsStoreTest, ConcurrentCommitsForOneEpochAcceptExactlyOne) {
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  for (std::uint64_t epoch = 0; epoch < 3; ++epoch) {
    std::vector<CommitResult> results(8);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < results.size(); ++t) {
      threads.emplace_back([&, t] {
        const std::string tag = std::to_string(epoch) + "." + std::to_string(t);
        auto r = store_->accept_commit(testing::room_jid("r@mls"), Epoch(epoch),
                                       chained(commit(tag), epoch),
                                       {{0, bytes("n0-" + tag)}, {1, bytes("n1-" + tag)}}, 4);
        if (r) results[t] = *r;
      });
    }
    for (auto& th : threads) th.join();
    int accepted = 0;
    std::size_t winner = 0;
    for (std::size_t t = 0; t < results.size(); ++t) {
      if (results[t].outcome == CommitOutcome::accepted) {
        ++accepted;
        winner = t;
        EXPECT_EQ(results[t].epoch, epoch + 1);
      } else {
        EXPECT_EQ(results[t].outcome, CommitOutcome::wrong_epoch);
        EXPECT_EQ(results[t].epoch, epoch + 1);  // the current epoch, for the loser to catch up
        EXPECT_EQ(results[t].rows_written, 0u);
      }
    }
    ASSERT_EQ(accepted, 1) << "epoch " << epoch;
    // The log and the tree both hold the winner's commit.
    const std::string tag = std::to_string(epoch) + "." + std::to_string(winner);
    auto page = store_->commits_since(testing::room_jid("r@mls"), Epoch(epoch), 10);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->commits.size(), 1u);
    EXPECT_EQ(page->commits[0].commit_hash, commit(tag).commit_hash);
    auto loaded = store_->load_group(testing::room_jid("r@mls"));
    ASSERT_TRUE(loaded && *loaded);
    EXPECT_EQ((*loaded)->epoch, epoch + 1);
    EXPECT_EQ((*loaded)->nodes,
              (std::vector<MlsNode>{{0, bytes("n0-" + tag)}, {1, bytes("n1-" + tag)}}));
  }
}

// docs/protocol.md §6.7: the chain hash is stored with each commit and with the group, and a
// commit is accepted only on top of the chain it was checked against.
TEST_P(MlsStoreTest, TheChainHashIsStoredAndACommitOnAnotherChainIsRefused) {
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  auto start = store_->load_group(testing::room_jid("r@mls"));
  ASSERT_TRUE(start && *start);
  EXPECT_EQ((*start)->chain_hash, chain_at(0));
  CommitResult r = accept("r@mls", 0, commit("c0"));
  ASSERT_EQ(r.outcome, CommitOutcome::accepted);
  EXPECT_EQ(r.chain_hash, chain_at(1));

  MlsCommitRecord other = commit("c1");
  other.prev_chain_hash = bytes("some other history");
  other.chain_hash = bytes("its continuation");
  auto refused = store_->accept_commit(testing::room_jid("r@mls"), Epoch(1), other, {}, 4);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), StoreErrc::conflict);
  auto loaded = store_->load_group(testing::room_jid("r@mls"));
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->epoch, 1u);  // nothing written
  EXPECT_EQ((*loaded)->chain_hash, chain_at(1));

  ASSERT_EQ(accept("r@mls", 1, commit("c1")).outcome, CommitOutcome::accepted);
  auto page = store_->commits_since(testing::room_jid("r@mls"), Epoch(0), 10);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->commits.size(), 2u);
  EXPECT_EQ(page->commits[0].chain_hash, chain_at(1));
  EXPECT_EQ(page->commits[1].chain_hash, chain_at(2));
  loaded = store_->load_group(testing::room_jid("r@mls"));
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->chain_hash, chain_at(2));
}

TEST_P(MlsStoreTest, AReSentCommitGetsTheOriginalAnswer) {
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  EXPECT_EQ(accept("r@mls", 0, commit("c0"), {{0, bytes("x")}}).outcome, CommitOutcome::accepted);
  CommitResult again = accept("r@mls", 0, commit("c0"), {{0, bytes("x")}});
  EXPECT_EQ(again.outcome, CommitOutcome::duplicate);
  EXPECT_EQ(again.epoch, 1u);
  EXPECT_EQ(again.rows_written, 0u);
  CommitResult rival = accept("r@mls", 0, commit("rival"));
  EXPECT_EQ(rival.outcome, CommitOutcome::wrong_epoch);
  EXPECT_EQ(rival.epoch, 1u);
  EXPECT_EQ(accept("r@mls", 1, commit("c1")).outcome, CommitOutcome::accepted);
  // Still the original answer once the group has moved on, with the chain hash it made.
  again = accept("r@mls", 0, commit("c0"));
  EXPECT_EQ(again.outcome, CommitOutcome::duplicate);
  EXPECT_EQ(again.epoch, 1u);
  EXPECT_EQ(again.chain_hash, chain_at(1));
  CommitResult future = accept("r@mls", 5, commit("c5"));
  EXPECT_EQ(future.outcome, CommitOutcome::wrong_epoch);
  EXPECT_EQ(future.epoch, 2u);
  auto page = store_->commits_since(testing::room_jid("r@mls"), Epoch(0), 10);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->commits.size(), 2u);
}

TEST_P(MlsStoreTest, AnAcceptedCommitWritesExactlyOneArchiveRowInEpochOrder) {
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  CommitResult plain = accept("r@mls", 0, commit("c0"), {{0, bytes("x")}});
  ASSERT_EQ(plain.outcome, CommitOutcome::accepted);
  EXPECT_TRUE(archived("r@mls").empty());  // no archive row asked for, none written
  CommitResult r = accept("r@mls", 1, with_archive(commit("c1"), "r@mls", "c1"), {{0, bytes("y")}});
  ASSERT_EQ(r.outcome, CommitOutcome::accepted);
  // The archive row and the fan-out outbox row are counted.
  EXPECT_EQ(r.rows_written, plain.rows_written + 2);
  auto outbox = store_->unsent_fanouts(10);
  ASSERT_TRUE(outbox);
  ASSERT_EQ(outbox->size(), 1u);  // only the archived commit has a fan-out to confirm
  EXPECT_EQ((*outbox)[0], (FanoutDelivery{testing::room_jid("r@mls"), Epoch(1), "sid-c1",
                                          bytes("hash-c1"), bytes("msg-c1"), chain_at(2)}));
  ASSERT_TRUE(store_->mark_fanout_sent(testing::room_jid("r@mls"), Epoch(1)));
  ASSERT_TRUE(store_->mark_fanout_sent(testing::room_jid("r@mls"), Epoch(1)));  // idempotent
  EXPECT_TRUE(store_->unsent_fanouts(10)->empty());
  ASSERT_EQ(accept("r@mls", 2, with_archive(commit("c2"), "r@mls", "c2")).outcome,
            CommitOutcome::accepted);
  auto rows = archived("r@mls");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], *with_archive(commit("c1"), "r@mls", "c1").archived);
  EXPECT_EQ(rows[1].stanza_id, "sid-c2");  // MAM order is epoch order
}

TEST_P(MlsStoreTest, ACommitThatLosesTheCompareAndSetWritesNoArchiveRowAndNoNode) {
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  ASSERT_EQ(
      accept("r@mls", 0, with_archive(commit("won"), "r@mls", "won"), {{0, bytes("w")}}).outcome,
      CommitOutcome::accepted);
  CommitResult lost = accept("r@mls", 0, with_archive(commit("lost"), "r@mls", "lost"),
                             {{0, bytes("l0")}, {2, bytes("l2")}});
  EXPECT_EQ(lost.outcome, CommitOutcome::wrong_epoch);
  EXPECT_EQ(lost.rows_written, 0u);
  auto rows = archived("r@mls");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].stanza_id, "sid-won");
  auto loaded = store_->load_group(testing::room_jid("r@mls"));
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->nodes, (std::vector<MlsNode>{{0, bytes("w")}}));
}

TEST_P(MlsStoreTest, AReSentCommitWritesNoSecondArchiveRow) {
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  ASSERT_EQ(accept("r@mls", 0, with_archive(commit("c0"), "r@mls", "first")).outcome,
            CommitOutcome::accepted);
  // The service gives every IQ a new stanza id; the re-send's is never stored.
  CommitResult again = accept("r@mls", 0, with_archive(commit("c0"), "r@mls", "again"));
  EXPECT_EQ(again.outcome, CommitOutcome::duplicate);
  EXPECT_EQ(again.epoch, 1u);
  auto rows = archived("r@mls");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].stanza_id, "sid-first");
}

TEST_P(MlsStoreTest, AnArchiveRowOfAnotherRoomIsRefusedAndNothingIsWritten) {
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  add_room("s@mls");
  auto r = store_->accept_commit(testing::room_jid("r@mls"), Epoch(0),
                                 with_archive(commit("c0"), "s@mls", "c0"), {}, 4);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::make_error_code(std::errc::invalid_argument));
  EXPECT_TRUE(archived("r@mls").empty());
  EXPECT_TRUE(archived("s@mls").empty());
  auto loaded = store_->load_group(testing::room_jid("r@mls"));
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->epoch, 0u);
}

TEST_P(MlsStoreTest, AnUnknownRoomHasNoGroup) {
  auto r = store_->accept_commit(testing::room_jid("nowhere@mls"), Epoch(0), commit("c0"), {}, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), StoreErrc::not_found);
  auto p =
      store_->add_proposal(testing::room_jid("nowhere@mls"), {Epoch(0), bytes("p"), bytes("m")});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error(), StoreErrc::not_found);
  auto page = store_->commits_since(testing::room_jid("nowhere@mls"), Epoch(0), 10);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->commits.empty());
  EXPECT_FALSE(page->more);
  auto pending = store_->pending_proposals(testing::room_jid("nowhere@mls"));
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
}

TEST_P(MlsStoreTest, CommitsSinceIsPagedInEpochOrder) {
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  for (std::uint64_t e = 0; e < 5; ++e) {
    ASSERT_EQ(accept("r@mls", e, commit(std::to_string(e))).outcome, CommitOutcome::accepted);
  }
  auto first = store_->commits_since(testing::room_jid("r@mls"), Epoch(1), 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->commits.size(), 2u);
  EXPECT_EQ(first->commits[0], (MlsCommitEntry{Epoch(1), bytes("hash-1"), bytes("msg-1"),
                                               "alice@example.org", chain_at(2)}));
  EXPECT_EQ(first->commits[1].epoch, 2u);
  EXPECT_TRUE(first->more);
  auto last = store_->commits_since(testing::room_jid("r@mls"), Epoch(3), 2);
  ASSERT_TRUE(last);
  ASSERT_EQ(last->commits.size(), 2u);
  EXPECT_EQ(last->commits[1].epoch, 4u);
  EXPECT_FALSE(last->more);
  auto none = store_->commits_since(testing::room_jid("r@mls"), Epoch(5), 2);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->commits.empty());
  EXPECT_FALSE(none->more);
}

TEST_P(MlsStoreTest, ProposalsArePendingUntilACommitOfTheirEpoch) {
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  const MlsProposalRecord p1{Epoch(0), bytes("ref1"), bytes("remove-bob")};
  const MlsProposalRecord p2{Epoch(0), bytes("ref2"), bytes("remove-carol")};
  auto r = store_->add_proposal(testing::room_jid("r@mls"), p1);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->stored);
  ASSERT_TRUE(store_->add_proposal(testing::room_jid("r@mls"), p2));
  ASSERT_TRUE(store_->add_proposal(testing::room_jid("r@mls"), p1));  // stored once
  auto future =
      store_->add_proposal(testing::room_jid("r@mls"), {Epoch(1), bytes("ref3"), bytes("m")});
  ASSERT_TRUE(future);
  EXPECT_FALSE(future->stored);
  EXPECT_EQ(future->current_epoch, 0u);
  EXPECT_EQ(store_->pending_proposals(testing::room_jid("r@mls")),
            (std::vector<MlsProposalRecord>{p1, p2}));

  CommitResult c = accept("r@mls", 0, commit("c0"));
  EXPECT_EQ(c.rows_written, 2u + 2u);  // log, group, two proposals cleared
  EXPECT_EQ(store_->pending_proposals(testing::room_jid("r@mls")),
            std::vector<MlsProposalRecord>{});
  auto stale = store_->add_proposal(testing::room_jid("r@mls"), p1);
  ASSERT_TRUE(stale);
  EXPECT_FALSE(stale->stored);
  EXPECT_EQ(stale->current_epoch, 1u);
}

TEST_P(MlsStoreTest, WelcomesAreQueuedWithTheirCommitAndMarkedSent) {
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  create(group("s@mls", 4, {{0, bytes("n0")}}));
  const MlsCommitRecord c = commit("c0", {"bob@x", "carol@x"});
  ASSERT_EQ(accept("r@mls", 0, c).outcome, CommitOutcome::accepted);
  ASSERT_EQ(accept("s@mls", 0, commit("s0", {"dave@x"})).outcome, CommitOutcome::accepted);
  ASSERT_EQ(accept("s@mls", 1, commit("s1")).outcome, CommitOutcome::accepted);  // no Welcome
  // A losing commit queues nothing.
  ASSERT_EQ(accept("r@mls", 0, commit("lost", {"eve@x"})).outcome, CommitOutcome::wrong_epoch);

  auto all = store_->unsent_welcomes(10);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  const WelcomeDelivery& w0 = (*all)[0];
  EXPECT_EQ(w0.stable_id, welcome_stable_id(c.commit_hash, 0));
  EXPECT_EQ(w0.room, "r@mls");
  EXPECT_EQ(w0.epoch, 1u);
  EXPECT_EQ(w0.recipient, "bob@x");
  EXPECT_EQ(w0.welcome, c.welcome);
  EXPECT_EQ(w0.chain_hash, chain_at(1));  // where the joiner's chain starts
  EXPECT_EQ((*all)[1].recipient, "carol@x");
  EXPECT_EQ((*all)[1].stable_id, welcome_stable_id(c.commit_hash, 1));
  EXPECT_EQ((*all)[2].recipient, "dave@x");
  EXPECT_LT(w0.id, (*all)[1].id);
  EXPECT_LT((*all)[1].id, (*all)[2].id);

  auto limited = store_->unsent_welcomes(1);
  ASSERT_TRUE(limited);
  EXPECT_EQ(*limited, std::vector<WelcomeDelivery>{w0});
  ASSERT_TRUE(store_->mark_welcome_sent(w0.id));
  ASSERT_TRUE(store_->mark_welcome_sent(w0.id));  // idempotent
  auto rest = store_->unsent_welcomes(10);
  ASSERT_TRUE(rest);
  EXPECT_EQ(*rest, (std::vector<WelcomeDelivery>{(*all)[1], (*all)[2]}));
  auto unknown = store_->mark_welcome_sent(999'999);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), StoreErrc::not_found);
}

// The latest Welcome that added a recipient to a room, sent or not (docs/protocol.md §6.10).
TEST_P(MlsStoreTest, TheLatestWelcomeOfARecipientIsFoundSentOrNot) {
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  create(group("s@mls", 4, {{0, bytes("n0")}}));
  const MlsCommitRecord c0 = commit("c0", {"bob@x", "carol@x"});
  ASSERT_EQ(accept("r@mls", 0, c0).outcome, CommitOutcome::accepted);
  ASSERT_EQ(accept("r@mls", 1, commit("c1")).outcome, CommitOutcome::accepted);
  const MlsCommitRecord c2 = commit("c2", {"bob@x"});  // removed meanwhile, added again
  ASSERT_EQ(accept("r@mls", 2, c2).outcome, CommitOutcome::accepted);
  ASSERT_EQ(accept("s@mls", 0, commit("s0", {"dave@x"})).outcome, CommitOutcome::accepted);
  auto unsent = store_->unsent_welcomes(10);
  ASSERT_TRUE(unsent);
  for (const WelcomeDelivery& w : *unsent) ASSERT_TRUE(store_->mark_welcome_sent(w.id));

  auto bob = store_->latest_welcome(testing::room_jid("r@mls"), "bob@x");
  ASSERT_TRUE(bob);
  ASSERT_TRUE(bob->has_value());
  EXPECT_EQ((*bob)->epoch, 3u);
  EXPECT_EQ((*bob)->welcome, c2.welcome);
  EXPECT_EQ((*bob)->chain_hash, chain_at(3));
  EXPECT_EQ((*bob)->stable_id, welcome_stable_id(c2.commit_hash, 0));
  auto carol = store_->latest_welcome(testing::room_jid("r@mls"), "carol@x");
  ASSERT_TRUE(carol);
  ASSERT_TRUE(carol->has_value());
  EXPECT_EQ((*carol)->epoch, 1u);
  EXPECT_EQ((*carol)->welcome, c0.welcome);
  // Only the recipient's own, in that room.
  auto dave = store_->latest_welcome(testing::room_jid("r@mls"), "dave@x");
  ASSERT_TRUE(dave);
  EXPECT_FALSE(dave->has_value());
  auto none = store_->latest_welcome(testing::room_jid("nothing@mls"), "bob@x");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST_P(MlsStoreTest, EveryCallerGetsTheFirstStoredExternalSenderKey) {
  std::vector<ExternalSenderKey> got(8);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      auto k = store_->external_sender_key(
          {bytes("priv" + std::to_string(t)), bytes("pub" + std::to_string(t)), in(int(t))});
      if (k) got[t] = *k;
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_FALSE(got[0].public_key.empty());
  for (const auto& k : got) {
    EXPECT_EQ(k.public_key, got[0].public_key);
    EXPECT_EQ(k.private_key, got[0].private_key);
    EXPECT_EQ(k.created, got[0].created);
  }
  // The winner's three fields belong together.
  const std::string n(got[0].public_key.begin() + 3, got[0].public_key.end());
  EXPECT_EQ(got[0].private_key, bytes("priv" + n));
  EXPECT_EQ(got[0].created, in(std::stoi(n)));
  auto later = store_->external_sender_key({bytes("new"), bytes("new"), in(100)});
  ASSERT_TRUE(later);
  EXPECT_EQ(later->public_key, got[0].public_key);
}

// Measurement for docs/architecture.md (Scale): rows a commit with an UpdatePath from one leaf
// writes, in a room of 100 and of 10,000 members. Node rows = log2(leaves) + 1; plus the commit
// log row and the group row.
TEST_P(MlsStoreTest, RowsPerCommitGrowWithLogN) {
  constexpr std::uint64_t kCommits = 5;
  for (std::uint32_t members : {100u, 10'000u}) {
    const std::string room = "big" + std::to_string(members) + "@mls";
    const std::uint32_t leaves = leaves_for(members);
    create(group(room, leaves, full_tree(members)));
    std::vector<long> micros;
    std::size_t path_size = 0;
    for (std::uint64_t e = 0; e < kCommits; ++e) {
      std::vector<MlsNodeChange> path;
      for (std::uint32_t i : path_of_leaf0(leaves)) {
        path.push_back({i, Blob(i % 2 == 0 ? 200 : 80, static_cast<std::uint8_t>(e))});
      }
      path_size = path.size();
      const auto start = std::chrono::steady_clock::now();
      CommitResult r =
          accept(room, e, commit(std::to_string(members) + "." + std::to_string(e)), path, leaves);
      micros.push_back(static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::steady_clock::now() - start)
                                             .count()));
      ASSERT_EQ(r.outcome, CommitOutcome::accepted);
      EXPECT_EQ(r.rows_written, path.size() + 2);
    }
    std::sort(micros.begin(), micros.end());
    std::cout << "[rows per commit] members=" << members << " leaves=" << leaves
              << " node_rows=" << path_size << " rows_written=" << path_size + 2
              << " accept_us_median_of_" << kCommits << "=" << micros[kCommits / 2] << "\n";
    RecordProperty("rows_per_commit_" + std::to_string(members), static_cast<int>(path_size + 2));
  }
  EXPECT_EQ(path_of_leaf0(leaves_for(100)).size(), 8u);      // 128 leaves: 7 parents + leaf
  EXPECT_EQ(path_of_leaf0(leaves_for(10'000)).size(), 15u);  // 16384 leaves: 14 parents + leaf
}

#ifdef CONCLAVE_MLS_STORE_PG
INSTANTIATE_TEST_SUITE_P(Pg, MlsStoreTest, ::testing::Values(Backend::pg));

// ---- PostgreSQL only ----

class PgMlsStoreTest : public MlsStoreTest {
 protected:
  // versions: each node row's xmin (the transaction that last wrote it).
  std::map<std::uint32_t, std::string> versions(const std::string& room) {
    pqxx::connection c(db_->conninfo());
    pqxx::read_transaction tx(c);
    std::map<std::uint32_t, std::string> out;
    for (const auto& row : tx.exec_params(
             "SELECT node_index, xmin::text FROM mls_tree_nodes WHERE room = $1", room)) {
      out[row[0].as<std::uint32_t>()] = row[1].as<std::string>();
    }
    return out;
  }
  std::int64_t count(const std::string& sql) {
    pqxx::connection c(db_->conninfo());
    pqxx::read_transaction tx(c);
    return tx.exec(sql)[0][0].as<std::int64_t>();
  }
};

TEST_P(PgMlsStoreTest, ACommitPhysicallyRewritesOnlyItsPath) {
  const std::uint32_t members = 10'000, leaves = leaves_for(members);
  create(group("big@mls", leaves, full_tree(members)));
  const auto before = versions("big@mls");
  ASSERT_EQ(before.size(), 2 * members - 1);
  std::vector<MlsNodeChange> path;
  for (std::uint32_t i : path_of_leaf0(leaves)) path.push_back({i, Blob(80, 0xee)});
  ASSERT_EQ(accept("big@mls", 0, commit("p"), path, leaves).outcome, CommitOutcome::accepted);
  const auto after = versions("big@mls");
  std::size_t rewritten = 0;
  for (const auto& [index, xmin] : after) {
    auto old = before.find(index);
    if (old == before.end() || old->second != xmin) ++rewritten;
  }
  EXPECT_EQ(rewritten, path.size());  // 15 of 20,000 node rows (nodes 16383.. are new)
  EXPECT_EQ(count("SELECT count(*) FROM mls_commits"), 1);
}

TEST_P(PgMlsStoreTest, AGroupNeedsItsRoomRowAndGoesWithIt) {
  auto orphan = store_->create_group(group("no-row@mls", 1, {{0, bytes("n0")}}));
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error(), StoreErrc::not_found);
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  ASSERT_EQ(accept("r@mls", 0, commit("c0", {"bob@x"})).outcome, CommitOutcome::accepted);
  ASSERT_TRUE(rooms_->destroy(testing::room_jid("r@mls")));
  auto gone = store_->load_group(testing::room_jid("r@mls"));
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  EXPECT_EQ(count("SELECT (SELECT count(*) FROM mls_tree_nodes) + (SELECT count(*) FROM "
                  "mls_commits) + (SELECT count(*) FROM mls_welcome_outbox)"),
            0);
}

TEST_P(PgMlsStoreTest, TheArchiveRowCommitsInTheAcceptTransaction) {
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  ASSERT_EQ(
      accept("r@mls", 0, with_archive(commit("c0"), "r@mls", "c0"), {{0, bytes("x")}}).outcome,
      CommitOutcome::accepted);
  // xmin: the id of the transaction that wrote a row. One transaction wrote the commit log row,
  // the moved group row, the changed node and the archive row.
  EXPECT_EQ(count("SELECT count(DISTINCT x) FROM (SELECT xmin::text AS x FROM mls_commits UNION "
                  "ALL SELECT xmin::text FROM rooms WHERE jid = 'r@mls' UNION ALL SELECT "
                  "xmin::text FROM mls_tree_nodes UNION ALL SELECT xmin::text FROM room_archive "
                  "WHERE stanza_id = 'sid-c0') t"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM room_archive"), 1);
}

TEST_P(PgMlsStoreTest, ADuplicateStanzaIdUndoesTheWholeCommit) {
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  ASSERT_EQ(accept("r@mls", 0, with_archive(commit("c0"), "r@mls", "same")).outcome,
            CommitOutcome::accepted);
  auto r = store_->accept_commit(testing::room_jid("r@mls"), Epoch(1),
                                 chained(with_archive(commit("c1"), "r@mls", "same"), 1),
                                 {{0, bytes("y")}}, 4);
  EXPECT_FALSE(r);  // room_archive_stanza_id: the archive write fails inside the transaction
  auto loaded = store_->load_group(testing::room_jid("r@mls"));
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->epoch, 1u);
  EXPECT_EQ((*loaded)->nodes, (std::vector<MlsNode>{{0, bytes("n0")}}));
  EXPECT_EQ(count("SELECT count(*) FROM mls_commits"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM room_archive"), 1);
}

TEST_P(PgMlsStoreTest, ACommitUnderADeposedLeaseIsFencedAndWritesNothing) {
  // docs/sequencing.md §A.4: a holder paused past its lease wakes up and tries to accept the
  // next epoch's commit after another instance took the shard over.
  using namespace std::chrono_literals;
  db::PgLeaseStore leases(*pool_);
  ASSERT_TRUE(leases.ensure_shards(4));
  const std::uint32_t shard = shard_of("r@mls", 4);
  auto a = leases.acquire("a#1", {shard}, 300ms);
  ASSERT_TRUE(a && a->size() == 1u);
  create(group("r@mls", 4, {{0, bytes("n0")}}));
  MlsCommitRecord c0 = commit("c0");
  c0.fence = Fence{"a#1", (*a)[0]};
  ASSERT_EQ(accept("r@mls", 0, c0).outcome, CommitOutcome::accepted);

  std::this_thread::sleep_for(500ms);  // a's lease expires in the database
  MlsCommitRecord late = chained(with_archive(commit("c1-a"), "r@mls", "c1-a"), 1);
  late.fence = Fence{"a#1", (*a)[0]};
  auto expired =
      store_->accept_commit(testing::room_jid("r@mls"), Epoch(1), late, {{0, bytes("a")}}, 4);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error(), StoreErrc::fenced);  // expired, even before anyone took it

  auto b = leases.acquire("b#1", {shard}, 10s);
  ASSERT_TRUE(b && b->size() == 1u);
  EXPECT_EQ((*b)[0].term, 2u);
  auto deposed =
      store_->accept_commit(testing::room_jid("r@mls"), Epoch(1), late, {{0, bytes("a")}}, 4);
  ASSERT_FALSE(deposed);
  EXPECT_EQ(deposed.error(), StoreErrc::fenced);
  // The right term under another holder's name is no fence either.
  MlsCommitRecord forged = chained(commit("c1-f"), 1);
  forged.fence = Fence{"a#1", (*b)[0]};
  auto wrong_holder = store_->accept_commit(testing::room_jid("r@mls"), Epoch(1), forged, {}, 4);
  ASSERT_FALSE(wrong_holder);
  EXPECT_EQ(wrong_holder.error(), StoreErrc::fenced);
  // Nothing of the fenced attempts was written.
  EXPECT_EQ(count("SELECT count(*) FROM mls_commits"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM room_archive"), 0);
  EXPECT_EQ(count("SELECT mls_epoch FROM rooms WHERE jid = 'r@mls'"), 1);

  MlsCommitRecord c1 = commit("c1-b");
  c1.fence = Fence{"b#1", (*b)[0]};
  EXPECT_EQ(accept("r@mls", 1, c1).outcome, CommitOutcome::accepted);
}

// docs/protocol.md BR-12: a room's group ends only with the room. Creating it makes the room
// persistent in the same transaction, and no later save or start-up purge makes it temporary.
TEST_P(PgMlsStoreTest, ARoomWithAGroupIsPersistentAndSurvivesThePurge) {
  RoomRecord temp;
  temp.jid = testing::room_jid("temp@mls");
  ASSERT_TRUE(rooms_->create(temp));  // a temporary room, as an instant room starts
  RoomRecord plain;
  plain.jid = testing::room_jid("plain@mls");
  ASSERT_TRUE(rooms_->create(plain));
  ASSERT_TRUE(store_->create_group(group("temp@mls", 1, {{0, bytes("n0")}})));

  ASSERT_TRUE(rooms_->save(temp));  // an owner's form with persistent=0 cannot undo it
  ASSERT_TRUE(rooms_->purge_temporary());
  auto loaded = rooms_->load_persistent();
  ASSERT_TRUE(loaded) << loaded.error().message();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].jid, temp.jid);
  EXPECT_TRUE((*loaded)[0].persistent);
  EXPECT_TRUE((*loaded)[0].has_group);
  auto g = store_->load_group(temp.jid);
  ASSERT_TRUE(g && *g);  // the group is still there
}

INSTANTIATE_TEST_SUITE_P(Pg, PgMlsStoreTest, ::testing::Values(Backend::pg));
#else
INSTANTIATE_TEST_SUITE_P(Fake, MlsStoreTest, ::testing::Values(Backend::fake));
#endif

}  // namespace
}  // namespace conclave::component
