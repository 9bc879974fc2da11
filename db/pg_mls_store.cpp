#include "db/pg_mls_store.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <pqxx/pqxx>
#include <set>
#include <utility>

#include "db/archive_row.h"

namespace conclave::db {

using component::Blob;
using component::CommitOutcome;
using component::CommitResult;
using component::Epoch;
using component::ExternalSenderKey;
using component::KeyPackageCount;
using component::KeyPackageRecord;
using component::KeyPackageUpload;
using component::MlsCommitEntry;
using component::MlsCommitPage;
using component::MlsCommitRecord;
using component::MlsGroupRecord;
using component::MlsNode;
using component::MlsNodeChange;
using component::MlsProposalRecord;
using component::ProposalResult;
using component::RoomJid;
using component::StoreErrc;
using component::TimePoint;
using component::WelcomeDelivery;

namespace {

// A named statement, prepared on each pooled connection the first time it runs there.
struct Statement {
  const char* name;
  const char* sql;
};

// Times cross the SQL boundary as microseconds since the Unix epoch (timestamptz's precision),
// converted exactly on both sides ("µs → timestamptz" below; extract() is numeric since PG 14).
#define CONCLAVE_US_TO_TS(p) "(to_timestamp(0) + " p "::bigint * interval '1 microsecond')"
#define CONCLAVE_TS_TO_US(c) "(extract(epoch FROM " c ") * 1000000)::bigint"

// ---- key packages ----
// One owner's uploads are serialized by a transaction-scoped advisory lock, so the limit check
// and the insert are atomic without locking a table.
constexpr Statement kKpLockOwner{
    "mls_kp_lock_owner",
    "SELECT pg_advisory_xact_lock(hashtext('conclave.mls_key_packages'), hashtext($1))"};
constexpr Statement kKpHeld{"mls_kp_held",
                            "SELECT count(*) FROM mls_key_packages WHERE owner = $1 AND NOT "
                            "last_resort AND not_after >= " CONCLAVE_US_TO_TS("$2")};
constexpr Statement kKpDropLastResort{
    "mls_kp_drop_last_resort",
    "DELETE FROM mls_key_packages WHERE owner = $1 AND device = $2 AND last_resort"};
constexpr Statement kKpInsert{
    "mls_kp_insert",
    "INSERT INTO mls_key_packages (owner, ref, key_package, last_resort, not_after, device) "
    "VALUES ($1, $2, $3, $4, " CONCLAVE_US_TO_TS("$5") ", $6) ON CONFLICT DO NOTHING"};
constexpr Statement kDeviceTouch{
    "mls_device_touch",
    "INSERT INTO mls_devices (owner, device, registered_at, last_upload) "
    "VALUES ($1, $2, " CONCLAVE_US_TO_TS("$3") ", " CONCLAVE_US_TO_TS(
        "$3") ") ON CONFLICT (owner, device) DO UPDATE SET last_upload = EXCLUDED.last_upload"};
constexpr Statement kKpDevices{"mls_kp_devices",
                               "SELECT DISTINCT device FROM mls_key_packages WHERE owner = $1 AND "
                               "not_after >= " CONCLAVE_US_TO_TS("$2") " ORDER BY device"};
constexpr Statement kKpDelete{
    "mls_kp_delete",
    "DELETE FROM mls_key_packages WHERE owner = $1 AND (ref = ANY ($2::bytea[]) OR device = $3)"};
constexpr Statement kKpDeleteRefs{
    "mls_kp_delete_refs",
    "DELETE FROM mls_key_packages WHERE owner = $1 AND ref = ANY ($2::bytea[])"};
constexpr Statement kDevicesList{
    "mls_devices_list",
    "SELECT d.device, " CONCLAVE_TS_TO_US(
        "d.last_upload") ", count(k.id) FILTER (WHERE NOT k.last_resort), "
                         "COALESCE(bool_or(k.last_resort), false) FROM mls_devices d "
                         "LEFT JOIN mls_key_packages k ON k.owner = d.owner AND k.device = d.device "
                         "AND k.not_after >= " CONCLAVE_US_TO_TS(
                             "$2") " WHERE d.owner = $1 GROUP BY d.device, d.last_upload "
                                   "ORDER BY d.device"};
constexpr Statement kDeviceRetire{"mls_device_retire",
                                  "DELETE FROM mls_devices WHERE owner = $1 AND device = $2"};
constexpr Statement kKpDeleteDevice{
    "mls_kp_delete_device", "DELETE FROM mls_key_packages WHERE owner = $1 AND device = $2"};
constexpr Statement kRoomsOf{
    "mls_rooms_of",
    "SELECT room, device FROM mls_members WHERE identity = $1 ORDER BY room, device"};
// CM-13, CR-8: how many of the given (owner, device) pairs are on the device list. FOR KEY
// SHARE holds the rows until the transaction ends, so a concurrent retire waits for the commit
// (and its follow-up finds the new leaf) instead of slipping in between.
constexpr Statement kDevicesListed{
    "mls_devices_listed",
    "SELECT count(*) FROM (SELECT 1 FROM mls_devices x JOIN unnest($1::text[], $2::text[]) AS w "
    "(o, d) ON x.owner = w.o AND x.device = w.d FOR KEY SHARE OF x) s"};
// BR-14: leaves whose device was retired (the unnamed device '' predates devices).
constexpr Statement kUnlistedLeaves{
    "mls_unlisted_leaves",
    "SELECT m.leaf_index FROM mls_members m WHERE m.room = $1 AND m.device <> '' AND NOT EXISTS "
    "(SELECT 1 FROM mls_devices x WHERE x.owner = m.identity AND x.device = m.device) "
    "ORDER BY m.leaf_index"};
// Groups stored before schema 0006 have no index rows until index_members writes them.
constexpr Statement kMembersAny{"mls_members_any",
                                "SELECT EXISTS (SELECT 1 FROM mls_members WHERE room = $1)"};
constexpr Statement kMembersBackfill{
    "mls_members_backfill",
    "INSERT INTO mls_members (room, leaf_index, identity, device) SELECT $1, l, i, d "
    "FROM unnest($2::integer[], $3::text[], $4::text[]) AS t (l, i, d) "
    "WHERE NOT EXISTS (SELECT 1 FROM mls_members WHERE room = $1) ON CONFLICT DO NOTHING"};
// The membership index (schema/0006_devices.sql), written with the tree rows.
constexpr Statement kMembersUpsert{
    "mls_members_upsert",
    "INSERT INTO mls_members (room, leaf_index, identity, device) SELECT $1, l, i, d "
    "FROM unnest($2::integer[], $3::text[], $4::text[]) AS t (l, i, d) "
    "ON CONFLICT (room, leaf_index) DO UPDATE SET identity = EXCLUDED.identity, "
    "device = EXCLUDED.device"};
constexpr Statement kMembersDelete{
    "mls_members_delete",
    "DELETE FROM mls_members WHERE room = $1 AND (leaf_index = ANY ($2::integer[]) OR "
    "leaf_index >= $3)"};
constexpr Statement kKpCount{
    "mls_kp_count",
    "SELECT count(*) FILTER (WHERE NOT last_resort), COALESCE(bool_or(last_resort), false) "
    "FROM mls_key_packages WHERE owner = $1 AND not_after >= " CONCLAVE_US_TO_TS("$2")};
constexpr Statement kKpCountDevice{
    "mls_kp_count_device",
    "SELECT count(*) FILTER (WHERE NOT last_resort), COALESCE(bool_or(last_resort), false) "
    "FROM mls_key_packages WHERE owner = $1 AND device = $3 AND not_after >= " CONCLAVE_US_TO_TS(
        "$2")};
// SKIP LOCKED: a concurrent claimer moves on to the next row instead of waiting for (and then
// missing) the one being taken, so two claimers never return the same package.
constexpr Statement kKpClaimOneTime{
    "mls_kp_claim_one_time",
    "DELETE FROM mls_key_packages WHERE id = (SELECT id FROM mls_key_packages WHERE owner = $1 "
    "AND device = $3 AND NOT last_resort AND not_after >= " CONCLAVE_US_TO_TS(
        "$2") " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) "
              "RETURNING ref, key_package, last_resort, " CONCLAVE_TS_TO_US("not_after") ", device"};
constexpr Statement kKpLastResort{
    "mls_kp_last_resort",
    "SELECT ref, key_package, last_resort, " CONCLAVE_TS_TO_US(
        "not_after") ", device FROM mls_key_packages WHERE owner = $1 AND device = $3 AND "
                     "last_resort AND not_after >= " CONCLAVE_US_TO_TS("$2")};
constexpr Statement kKpPurge{
    "mls_kp_purge", "DELETE FROM mls_key_packages WHERE not_after < " CONCLAVE_US_TO_TS("$1")};

// ---- groups ----
constexpr Statement kGroupCreate{
    "mls_group_create",
    "UPDATE rooms SET mls_group_id = $2, mls_cipher_suite = $3, mls_epoch = $4, "
    "mls_tree_hash = $5, mls_group_info = $6, mls_group_context = $7, mls_interim_hash = $8, "
    "mls_leaf_count = $9, mls_chain_hash = $10, persistent = true "
    "WHERE jid = $1 AND mls_group_id IS NULL"};
constexpr Statement kRoomExists{"mls_room_exists", "SELECT 1 FROM rooms WHERE jid = $1"};
constexpr Statement kGroupLoad{
    "mls_group_load",
    "SELECT mls_group_id, mls_cipher_suite, mls_epoch, mls_tree_hash, mls_group_info, "
    "mls_group_context, mls_interim_hash, mls_leaf_count, mls_chain_hash FROM rooms "
    "WHERE jid = $1 AND mls_group_id IS NOT NULL"};
constexpr Statement kNodesLoad{
    "mls_nodes_load",
    "SELECT node_index, data FROM mls_tree_nodes WHERE room = $1 ORDER BY node_index"};
// Node rows travel as two array parameters (indices, data), so a commit's O(log N) nodes, or a
// new group's whole tree, take one round trip.
constexpr Statement kNodesUpsert{
    "mls_nodes_upsert",
    "INSERT INTO mls_tree_nodes (room, node_index, data) SELECT $1, i, d "
    "FROM unnest($2::integer[], $3::bytea[]) AS t (i, d) "
    "ON CONFLICT (room, node_index) DO UPDATE SET data = EXCLUDED.data"};
constexpr Statement kNodesDelete{
    "mls_nodes_delete",
    "DELETE FROM mls_tree_nodes WHERE room = $1 AND node_index = ANY ($2::integer[])"};
constexpr Statement kNodesTruncate{
    "mls_nodes_truncate", "DELETE FROM mls_tree_nodes WHERE room = $1 AND node_index >= $2"};

// ---- accepting a commit (docs/sequencing.md §A.4) ----
// Compare-and-set: concurrent acceptors of one epoch queue on the row lock; after the winner
// commits, the others re-check `mls_epoch = $2` on the new row version and update nothing.
constexpr Statement kGroupCas{
    "mls_group_cas",
    "UPDATE rooms SET mls_epoch = $2::bigint + 1, mls_tree_hash = $3, mls_group_info = $4, "
    "mls_group_context = $5, mls_interim_hash = $6, mls_leaf_count = $7, mls_chain_hash = $8 "
    "WHERE jid = $1 AND mls_epoch = $2 AND mls_group_id IS NOT NULL AND mls_chain_hash = $9"};
// §A.4: the fence, FOR SHARE, so a takeover (an UPDATE of the lease row) waits until this
// transaction ends, and a holder deposed before this statement finds no row and writes nothing.
// clock_timestamp(), not now(): now() is the transaction's start, which a stalled transaction
// may have passed long ago.
constexpr Statement kFenceCheck{
    "lease_fence_check",
    "SELECT 1 FROM shard_lease WHERE shard = $1 AND holder = $2 AND term = $3 "
    "AND expires_at > clock_timestamp() FOR SHARE"};
constexpr Statement kGroupEpoch{
    "mls_group_epoch", "SELECT mls_epoch FROM rooms WHERE jid = $1 AND mls_group_id IS NOT NULL"};
constexpr Statement kCommitHashAt{
    "mls_commit_hash_at",
    "SELECT commit_hash, chain_hash FROM mls_commits WHERE room = $1 AND epoch = $2"};
constexpr Statement kCommitInsert{
    "mls_commit_insert",
    "INSERT INTO mls_commits (room, epoch, commit_hash, mls_message, welcome, group_info, "
    "sender_jid, chain_hash) VALUES ($1, $2, $3, $4, NULLIF($5, ''::bytea), $6, $7, $8) "
    "ON CONFLICT DO NOTHING"};
constexpr Statement kWelcomesQueue{
    "mls_welcomes_queue",
    "INSERT INTO mls_welcome_outbox (room, epoch, stable_id, recipient) SELECT $1, $2, s, r "
    "FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS t (s, r, n) ORDER BY n"};
constexpr Statement kProposalsClear{"mls_proposals_clear",
                                    "DELETE FROM mls_pending_proposals WHERE room = $1"};
constexpr Statement kCommitsSince{
    "mls_commits_since",
    "SELECT epoch, commit_hash, mls_message, sender_jid, chain_hash FROM mls_commits "
    "WHERE room = $1 AND epoch >= $2 ORDER BY epoch LIMIT $3"};

// ---- proposals, outbox, external sender ----
// FOR SHARE: a commit of this epoch cannot be accepted (and clear the proposals) between the
// epoch check and the insert.
constexpr Statement kGroupEpochShare{
    "mls_group_epoch_share",
    "SELECT mls_epoch FROM rooms WHERE jid = $1 AND mls_group_id IS NOT NULL FOR SHARE"};
constexpr Statement kProposalInsert{
    "mls_proposal_insert",
    "INSERT INTO mls_pending_proposals (room, epoch, proposal_ref, mls_message) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"};
constexpr Statement kProposalsPending{
    "mls_proposals_pending",
    "SELECT p.epoch, p.proposal_ref, p.mls_message FROM mls_pending_proposals p "
    "JOIN rooms r ON r.jid = p.room AND r.mls_epoch = p.epoch WHERE p.room = $1 ORDER BY p.id"};
constexpr Statement kWelcomesUnsent{
    "mls_welcomes_unsent",
    "SELECT o.id, o.stable_id, o.room, o.epoch, o.recipient, COALESCE(c.welcome, ''::bytea), "
    "c.chain_hash "
    "FROM mls_welcome_outbox o JOIN mls_commits c ON c.room = o.room AND c.epoch = o.epoch "
    "WHERE o.sent_at IS NULL ORDER BY o.id LIMIT $1"};
constexpr Statement kWelcomeLatest{
    "mls_welcome_latest",
    "SELECT o.id, o.stable_id, o.room, o.epoch, o.recipient, COALESCE(c.welcome, ''::bytea), "
    "c.chain_hash "
    "FROM mls_welcome_outbox o JOIN mls_commits c ON c.room = o.room AND c.epoch = o.epoch "
    "WHERE o.room = $1 AND o.recipient = $2 ORDER BY o.epoch DESC, o.id DESC LIMIT 1"};
constexpr Statement kFanoutQueue{
    "mls_fanout_queue",
    "INSERT INTO mls_fanout_outbox (room, epoch, stanza_id) VALUES ($1, $2, $3)"};
constexpr Statement kFanoutsUnsent{
    "mls_fanouts_unsent",
    "SELECT o.room, o.epoch, o.stanza_id, c.commit_hash, c.mls_message, c.chain_hash "
    "FROM mls_fanout_outbox o JOIN mls_commits c ON c.room = o.room AND c.epoch = o.epoch "
    "ORDER BY o.room, o.epoch LIMIT $1"};
constexpr Statement kFanoutSent{"mls_fanout_sent",
                                "DELETE FROM mls_fanout_outbox WHERE room = $1 AND epoch = $2"};
constexpr Statement kWelcomeSent{
    "mls_welcome_sent",
    "UPDATE mls_welcome_outbox SET sent_at = COALESCE(sent_at, now()) WHERE id = $1"};
constexpr Statement kExternalSenderInsert{
    "mls_external_sender_insert",
    "INSERT INTO mls_external_sender (private_key, public_key, created_at) "
    "VALUES ($1, $2, " CONCLAVE_US_TO_TS("$3") ") ON CONFLICT DO NOTHING"};
constexpr Statement kExternalSenderLoad{
    "mls_external_sender_load",
    "SELECT private_key, public_key, " CONCLAVE_TS_TO_US("created_at") " FROM mls_external_sender"};

#undef CONCLAVE_US_TO_TS
#undef CONCLAVE_TS_TO_US

template <class... Args>
pqxx::result exec(pqxx::transaction_base& tx, const Statement& s, Args&&... args) {
  // libpqxx 6.4 keeps definitions per connection: redefining a name with the same SQL is a
  // no-op, and the server-side PREPARE happens lazily on first execution on that connection.
  tx.conn().prepare(s.name, s.sql);
  return tx.exec_prepared(s.name, std::forward<Args>(args)...);
}

std::int64_t to_us(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
TimePoint from_us(std::int64_t us) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(us)));
}

// bytea parameters go in binary, without escaping.
pqxx::binarystring bin(const Blob& b) {
  static const std::uint8_t kEmpty = 0;
  return pqxx::binarystring(b.empty() ? &kEmpty : b.data(), b.size());
}
Blob blob(const pqxx::field& f) {
  const pqxx::binarystring s(f);
  return Blob(s.data(), s.data() + s.size());
}

// Array parameters in PostgreSQL's text form (docs: "Array Value Input").
std::string int_array(const std::vector<std::uint32_t>& v) {
  std::string out = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != 0) out += ',';
    out += std::to_string(v[i]);
  }
  return out + "}";
}
// Each element quoted; inside quotes a backslash escapes the next character, so "\\x0a" is the
// bytea text `\x0a`.
std::string bytea_array(const std::vector<const Blob*>& v) {
  constexpr char kHex[] = "0123456789abcdef";
  std::size_t size = 2;
  for (const Blob* b : v) size += 2 * b->size() + 6;
  std::string out;
  out.reserve(size);
  out += '{';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != 0) out += ',';
    out += "\"\\\\x";
    for (std::uint8_t c : *v[i]) {
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
    out += '"';
  }
  return out + "}";
}
std::string text_array(const std::vector<std::string>& v) {
  std::string out = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != 0) out += ',';
    out += '"';
    for (char c : v[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// valid_nodes: distinct indices, all inside a tree of `leaf_count` leaves (checked before any
// write; the fake checks the same).
template <class Node>
bool valid_nodes(const std::vector<Node>& nodes, std::uint32_t leaf_count) {
  if (leaf_count == 0) return false;
  const std::uint64_t width = 2 * static_cast<std::uint64_t>(leaf_count) - 1;
  std::set<std::uint32_t> seen;
  for (const Node& n : nodes) {
    if (n.index >= width || !seen.insert(n.index).second) return false;
  }
  return true;
}

std::int64_t as_bigint(std::uint64_t v) {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(v, std::numeric_limits<std::int64_t>::max()));
}
// Epochs cross into SQL as bigint and back as the component's Epoch.
std::int64_t as_bigint(Epoch e) { return as_bigint(e.value()); }
Epoch epoch_from(const pqxx::field& f) { return Epoch(f.as<std::uint64_t>()); }

// upsert_nodes: writes the given nodes in one statement; returns the rows written.
std::size_t upsert_nodes(pqxx::transaction_base& tx, const std::string& room,
                         const std::vector<std::uint32_t>& indices,
                         const std::vector<const Blob*>& data) {
  if (indices.empty()) return 0;
  return exec(tx, kNodesUpsert, room, int_array(indices), bytea_array(data)).affected_rows();
}

// all_listed: CM-13, CR-8: whether every (identity, device) of `leaves` is on its device list.
bool all_listed(pqxx::transaction_base& tx, const std::vector<component::MemberLeaf>& leaves) {
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& m : leaves) pairs.emplace(m.identity, m.device);
  if (pairs.empty()) return true;
  std::vector<std::string> owners, devices;
  for (const auto& [o, d] : pairs) {
    owners.push_back(o);
    devices.push_back(d);
  }
  auto r = exec(tx, kDevicesListed, text_array(owners), text_array(devices));
  return r[0][0].as<std::size_t>() == pairs.size();
}

// write_members: the membership index rows of the leaves in `changes`, and none at or beyond
// `leaf_count`; returns the rows written.
std::size_t write_members(pqxx::transaction_base& tx, const std::string& room,
                          const std::vector<component::MemberChange>& changes,
                          std::uint32_t leaf_count) {
  std::vector<std::uint32_t> set_leaves, blank_leaves;
  std::vector<std::string> identities, devices;
  for (const auto& m : changes) {
    if (m.now) {
      set_leaves.push_back(m.leaf);
      identities.push_back(m.now->identity);
      devices.push_back(m.now->device);
    } else {
      blank_leaves.push_back(m.leaf);
    }
  }
  std::size_t n =
      exec(tx, kMembersDelete, room, int_array(blank_leaves), static_cast<std::int64_t>(leaf_count))
          .affected_rows();
  if (!set_leaves.empty()) {
    n += exec(tx, kMembersUpsert, room, int_array(set_leaves), text_array(identities),
              text_array(devices))
             .affected_rows();
  }
  return n;
}

KeyPackageRecord row_to_key_package(const pqxx::row& row) {
  KeyPackageRecord kp;
  kp.ref = blob(row[0]);
  kp.key_package = blob(row[1]);
  kp.last_resort = row[2].as<bool>();
  kp.not_after = from_us(row[3].as<std::int64_t>());
  kp.device = row[4].as<std::string>();
  return kp;
}

}  // namespace

component::Result<KeyPackageUpload> PgMlsStore::store_key_packages(
    const std::string& owner, const std::vector<KeyPackageRecord>& batch, std::size_t limit,
    TimePoint now) {
  std::size_t new_last_resort = 0;
  for (const auto& kp : batch) new_last_resort += kp.last_resort ? 1 : 0;
  if (new_last_resort > 1) return fail(std::make_error_code(std::errc::invalid_argument));
  const std::size_t new_one_time = batch.size() - new_last_resort;
  return pool_.run<KeyPackageUpload>([&](pqxx::connection_base& c) -> Result<KeyPackageUpload> {
    pqxx::work tx(c);
    exec(tx, kKpLockOwner, owner);
    const auto held = exec(tx, kKpHeld, owner, to_us(now))[0][0].as<std::size_t>();
    if (held + new_one_time > limit) return KeyPackageUpload::limit_exceeded;
    // The replaced last-resort package (of the same device) goes first, so re-uploading it is
    // not a duplicate.
    for (const auto& kp : batch) {
      if (kp.last_resort) exec(tx, kKpDropLastResort, owner, kp.device);
    }
    std::set<std::string> devices;
    for (const auto& kp : batch) {
      // ON CONFLICT DO NOTHING also skips a ref repeated within the batch.
      auto r = exec(tx, kKpInsert, owner, bin(kp.ref), bin(kp.key_package), kp.last_resort,
                    to_us(kp.not_after), kp.device);
      if (r.affected_rows() != 1) return KeyPackageUpload::duplicate_ref;  // rolled back
      devices.insert(kp.device);
    }
    for (const std::string& d : devices) exec(tx, kDeviceTouch, owner, d, to_us(now));
    tx.commit();
    return KeyPackageUpload::stored;
  });
}

component::Result<KeyPackageCount> PgMlsStore::count_device_key_packages(const std::string& owner,
                                                                         const std::string& device,
                                                                         TimePoint now) {
  return pool_.run<KeyPackageCount>([&](pqxx::connection_base& c) -> Result<KeyPackageCount> {
    pqxx::read_transaction tx(c);
    const auto row = exec(tx, kKpCountDevice, owner, to_us(now), device)[0];
    return KeyPackageCount{row[0].as<std::size_t>(), row[1].as<bool>()};
  });
}

component::Result<KeyPackageCount> PgMlsStore::count_key_packages(const std::string& owner,
                                                                  TimePoint now) {
  return pool_.run<KeyPackageCount>([&](pqxx::connection_base& c) -> Result<KeyPackageCount> {
    pqxx::read_transaction tx(c);
    const auto row = exec(tx, kKpCount, owner, to_us(now))[0];
    return KeyPackageCount{row[0].as<std::size_t>(), row[1].as<bool>()};
  });
}

component::Result<std::vector<KeyPackageRecord>> PgMlsStore::claim_key_packages(
    const std::string& owner, TimePoint now) {
  using Out = std::vector<KeyPackageRecord>;
  return pool_.run<Out>([&](pqxx::connection_base& c) -> Result<Out> {
    pqxx::work tx(c);
    Out out;
    for (const auto& d : exec(tx, kKpDevices, owner, to_us(now))) {
      const std::string device = d[0].as<std::string>();
      auto taken = exec(tx, kKpClaimOneTime, owner, to_us(now), device);
      if (!taken.empty()) {
        out.push_back(row_to_key_package(taken[0]));
        continue;
      }
      auto last = exec(tx, kKpLastResort, owner, to_us(now), device);
      if (!last.empty()) out.push_back(row_to_key_package(last[0]));
    }
    tx.commit();  // the one-time packages are deleted durably before anyone sees them
    return out;
  });
}

component::Result<std::size_t> PgMlsStore::delete_key_packages(
    const std::string& owner, const std::vector<Blob>& refs,
    const std::optional<std::string>& device) {
  std::vector<const Blob*> ref_ptrs;
  for (const Blob& r : refs) ref_ptrs.push_back(&r);
  return pool_.run<std::size_t>([&](pqxx::connection_base& c) -> Result<std::size_t> {
    pqxx::work tx(c);
    const std::size_t n =
        device ? exec(tx, kKpDelete, owner, bytea_array(ref_ptrs), *device).affected_rows()
               : exec(tx, kKpDeleteRefs, owner, bytea_array(ref_ptrs)).affected_rows();
    tx.commit();
    return n;
  });
}

component::Result<std::vector<component::DeviceRecord>> PgMlsStore::devices(
    const std::string& owner, TimePoint now) {
  using Out = std::vector<component::DeviceRecord>;
  return pool_.run<Out>([&](pqxx::connection_base& c) -> Result<Out> {
    pqxx::read_transaction tx(c);
    Out out;
    for (const auto& row : exec(tx, kDevicesList, owner, to_us(now))) {
      component::DeviceRecord d;
      d.device = row[0].as<std::string>();
      d.last_upload = from_us(row[1].as<std::int64_t>());
      d.one_time = row[2].as<std::size_t>();
      d.last_resort = row[3].as<bool>();
      out.push_back(std::move(d));
    }
    return out;
  });
}

component::Result<bool> PgMlsStore::retire_device(const std::string& owner,
                                                  const std::string& device) {
  return pool_.run<bool>([&](pqxx::connection_base& c) -> Result<bool> {
    pqxx::work tx(c);
    exec(tx, kKpLockOwner, owner);  // not in the middle of an upload of the same owner
    const auto listed = exec(tx, kDeviceRetire, owner, device).affected_rows();
    const auto deleted = exec(tx, kKpDeleteDevice, owner, device).affected_rows();
    tx.commit();
    return listed + deleted != 0;
  });
}

component::Result<std::vector<component::RoomDevice>> PgMlsStore::rooms_of(
    const std::string& identity) {
  using Out = std::vector<component::RoomDevice>;
  return pool_.run<Out>([&](pqxx::connection_base& c) -> Result<Out> {
    pqxx::read_transaction tx(c);
    Out out;
    for (const auto& row : exec(tx, kRoomsOf, identity)) {
      auto room = RoomJid::parse(row[0].as<std::string>());
      if (!room) continue;  // not written by this store
      out.push_back({std::move(*room), row[1].as<std::string>()});
    }
    return out;
  });
}

component::Result<std::vector<std::uint32_t>> PgMlsStore::unlisted_leaves(const RoomJid& room) {
  using Out = std::vector<std::uint32_t>;
  return pool_.run<Out>([&](pqxx::connection_base& c) -> Result<Out> {
    pqxx::read_transaction tx(c);
    Out out;
    for (const auto& row : exec(tx, kUnlistedLeaves, room.str())) {
      out.push_back(row[0].as<std::uint32_t>());
    }
    return out;
  });
}

component::Result<std::size_t> PgMlsStore::purge_expired_key_packages(TimePoint now) {
  return pool_.run<std::size_t>([&](pqxx::connection_base& c) -> Result<std::size_t> {
    pqxx::work tx(c);
    const std::size_t n = exec(tx, kKpPurge, to_us(now)).affected_rows();
    tx.commit();
    return n;
  });
}

component::Status PgMlsStore::create_group(const MlsGroupRecord& g) {
  if (!valid_nodes(g.nodes, g.leaf_count)) {
    return fail(std::make_error_code(std::errc::invalid_argument));
  }
  return pool_.run([&](pqxx::connection_base& c) -> Status {
    pqxx::work tx(c);
    try {
      auto r = exec(tx, kGroupCreate, g.room.str(), bin(g.group_id),
                    static_cast<int>(g.cipher_suite), as_bigint(g.epoch), bin(g.tree_hash),
                    bin(g.group_info), bin(g.group_context), bin(g.interim_transcript_hash),
                    static_cast<std::int64_t>(g.leaf_count), bin(g.chain_hash));
      if (r.affected_rows() != 1) {
        if (exec(tx, kRoomExists, g.room.str()).empty()) return fail(StoreErrc::not_found);
        return fail(StoreErrc::conflict);
      }
    } catch (const pqxx::unique_violation&) {
      return fail(StoreErrc::conflict);  // another room holds this group_id
    }
    std::vector<std::uint32_t> indices;
    std::vector<const Blob*> data;
    for (const MlsNode& n : g.nodes) {
      indices.push_back(n.index);
      data.push_back(&n.data);
    }
    upsert_nodes(tx, g.room.str(), indices, data);
    if (!all_listed(tx, g.members)) return fail(StoreErrc::unknown_device);
    std::vector<component::MemberChange> members;
    for (const auto& m : g.members) members.push_back({m.leaf, m});
    write_members(tx, g.room.str(), members, g.leaf_count);
    tx.commit();
    return {};
  });
}

component::Result<std::optional<MlsGroupRecord>> PgMlsStore::load_group(const RoomJid& room_jid) {
  const std::string& room = room_jid.str();  // SQL parameters are text
  using Out = std::optional<MlsGroupRecord>;
  return pool_.run<Out>([&](pqxx::connection_base& c) -> Result<Out> {
    // One snapshot for the group row and its nodes: a commit landing in between must not mix
    // two epochs' trees.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
    auto rows = exec(tx, kGroupLoad, room);
    if (rows.empty()) return Out();
    const auto& row = rows[0];
    MlsGroupRecord g;
    g.room = room_jid;
    g.group_id = blob(row[0]);
    g.cipher_suite = row[1].as<std::uint16_t>();
    g.epoch = epoch_from(row[2]);
    g.tree_hash = blob(row[3]);
    g.group_info = blob(row[4]);
    g.group_context = blob(row[5]);
    g.interim_transcript_hash = blob(row[6]);
    g.leaf_count = row[7].as<std::uint32_t>();
    if (!row[8].is_null()) g.chain_hash = blob(row[8]);
    g.members_indexed = exec(tx, kMembersAny, room)[0][0].as<bool>();
    auto nodes = exec(tx, kNodesLoad, room);
    g.nodes.reserve(nodes.size());
    for (const auto& n : nodes) g.nodes.push_back({n[0].as<std::uint32_t>(), blob(n[1])});
    return Out(std::move(g));
  });
}

component::Result<std::size_t> PgMlsStore::index_members(
    const RoomJid& room_jid, const std::vector<component::MemberLeaf>& members) {
  return pool_.run<std::size_t>([&](pqxx::connection_base& c) -> Result<std::size_t> {
    pqxx::work tx(c);
    std::vector<std::uint32_t> leaves;
    std::vector<std::string> identities, devices;
    for (const auto& m : members) {
      leaves.push_back(m.leaf);
      identities.push_back(m.identity);
      devices.push_back(m.device);
    }
    // Only a group that still exists gets rows (the foreign key would refuse a gone room).
    if (exec(tx, kGroupEpoch, room_jid.str()).empty()) return std::size_t{0};
    const std::size_t n = exec(tx, kMembersBackfill, room_jid.str(), int_array(leaves),
                               text_array(identities), text_array(devices))
                              .affected_rows();
    tx.commit();
    return n;
  });
}

component::Result<CommitResult> PgMlsStore::accept_commit(
    const RoomJid& room_jid, Epoch expected_epoch, const MlsCommitRecord& commit,
    const std::vector<MlsNodeChange>& changed_nodes, std::uint32_t leaf_count) {
  const std::string& room = room_jid.str();  // SQL parameters are text
  if (!valid_nodes(changed_nodes, leaf_count) ||
      (commit.archived && commit.archived->room != room_jid)) {
    return fail(std::make_error_code(std::errc::invalid_argument));
  }
  const std::int64_t epoch = as_bigint(expected_epoch);
  return pool_.run<CommitResult>([&](pqxx::connection_base& c) -> Result<CommitResult> {
    pqxx::work tx(c);
    if (commit.fence) {
      const component::Fence& f = *commit.fence;
      if (exec(tx, kFenceCheck, static_cast<std::int64_t>(f.lease.shard), f.holder,
               as_bigint(f.lease.term))
              .empty()) {
        return fail(StoreErrc::fenced);
      }
    }
    auto cas = exec(tx, kGroupCas, room, epoch, bin(commit.tree_hash), bin(commit.group_info),
                    bin(commit.group_context), bin(commit.interim_transcript_hash),
                    static_cast<std::int64_t>(leaf_count), bin(commit.chain_hash),
                    bin(commit.prev_chain_hash));
    if (cas.affected_rows() != 1) {
      // Lost the race or stale: nothing was written; the transaction rolls back on return.
      auto current = exec(tx, kGroupEpoch, room);
      if (current.empty()) return fail(StoreErrc::not_found);
      auto logged = exec(tx, kCommitHashAt, room, epoch);
      if (!logged.empty() && blob(logged[0][0]) == commit.commit_hash) {
        return CommitResult{CommitOutcome::duplicate, expected_epoch.next(), blob(logged[0][1]), 0};
      }
      const Epoch now_at = epoch_from(current[0][0]);
      // At the expected epoch but another chain: the caller's state is not this log's.
      if (now_at == expected_epoch) return fail(StoreErrc::conflict);
      return CommitResult{CommitOutcome::wrong_epoch, now_at, {}, 0};
    }
    // After the epoch check, so a re-sent commit still gets its original answer above.
    if (!all_listed(tx, commit.devices)) return fail(StoreErrc::unknown_device);
    CommitResult out{CommitOutcome::accepted, expected_epoch.next(), commit.chain_hash,
                     cas.affected_rows()};
    auto logged = exec(tx, kCommitInsert, room, epoch, bin(commit.commit_hash),
                       bin(commit.mls_message), bin(commit.welcome), bin(commit.group_info),
                       commit.sender_jid, bin(commit.chain_hash));
    // The group row was at this epoch, so the log cannot hold it yet unless the two disagree
    // (edited by hand): refuse rather than overwrite history.
    if (logged.affected_rows() != 1) return fail(StoreErrc::conflict);
    out.rows_written += logged.affected_rows();
    std::vector<std::uint32_t> set_indices, blank_indices;
    std::vector<const Blob*> set_data;
    for (const MlsNodeChange& n : changed_nodes) {
      if (n.data) {
        set_indices.push_back(n.index);
        set_data.push_back(&*n.data);
      } else {
        blank_indices.push_back(n.index);
      }
    }
    out.rows_written += upsert_nodes(tx, room, set_indices, set_data);
    if (!blank_indices.empty()) {
      out.rows_written += exec(tx, kNodesDelete, room, int_array(blank_indices)).affected_rows();
    }
    // A shrinking tree (RFC 9420 §7.7 truncation) leaves nodes beyond its new width.
    out.rows_written +=
        exec(tx, kNodesTruncate, room, 2 * static_cast<std::int64_t>(leaf_count) - 1)
            .affected_rows();
    if (!commit.welcome_recipients.empty()) {
      std::vector<std::string> ids;
      for (std::size_t i = 0; i < commit.welcome_recipients.size(); ++i) {
        ids.push_back(component::welcome_stable_id(commit.commit_hash, i));
      }
      out.rows_written += exec(tx, kWelcomesQueue, room, epoch, text_array(ids),
                               text_array(commit.welcome_recipients))
                              .affected_rows();
    }
    out.rows_written += exec(tx, kProposalsClear, room).affected_rows();
    out.rows_written += write_members(tx, room, commit.members, leaf_count);
    if (commit.archived) {
      // After the compare-and-set, which holds the room row until commit: the next epoch's
      // commit cannot take an archive id before this one, so MAM keeps epoch order.
      insert_archive_row(tx, *commit.archived);
      exec(tx, kFanoutQueue, room, epoch, commit.archived->stanza_id);
      out.rows_written += 2;
    }
    tx.commit();  // the answer (and any Welcome) goes out only after this
    return out;
  });
}

component::Result<MlsCommitPage> PgMlsStore::commits_since(const RoomJid& room_jid, Epoch since,
                                                           std::size_t limit) {
  const std::string& room = room_jid.str();  // SQL parameters are text
  return pool_.run<MlsCommitPage>([&](pqxx::connection_base& c) -> Result<MlsCommitPage> {
    pqxx::read_transaction tx(c);
    const std::int64_t max_rows =
        as_bigint(std::min<std::uint64_t>(limit, std::numeric_limits<std::int64_t>::max() - 1)) + 1;
    auto rows = exec(tx, kCommitsSince, room, as_bigint(since), max_rows);
    MlsCommitPage page;
    page.more = rows.size() > limit;
    const std::size_t n = std::min<std::size_t>(rows.size(), limit);
    page.commits.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& row = rows[i];
      page.commits.push_back(
          {epoch_from(row[0]), blob(row[1]), blob(row[2]), row[3].as<std::string>(), blob(row[4])});
    }
    return page;
  });
}

component::Result<ProposalResult> PgMlsStore::add_proposal(const RoomJid& room_jid,
                                                           const MlsProposalRecord& p) {
  const std::string& room = room_jid.str();  // SQL parameters are text
  return pool_.run<ProposalResult>([&](pqxx::connection_base& c) -> Result<ProposalResult> {
    pqxx::work tx(c);
    auto current = exec(tx, kGroupEpochShare, room);
    if (current.empty()) return fail(StoreErrc::not_found);
    const Epoch epoch = epoch_from(current[0][0]);
    if (epoch != p.epoch) return ProposalResult{false, epoch};
    exec(tx, kProposalInsert, room, as_bigint(p.epoch), bin(p.proposal_ref), bin(p.mls_message));
    tx.commit();
    return ProposalResult{true, epoch};
  });
}

component::Result<std::vector<MlsProposalRecord>> PgMlsStore::pending_proposals(
    const RoomJid& room_jid) {
  const std::string& room = room_jid.str();  // SQL parameters are text
  using Out = std::vector<MlsProposalRecord>;
  return pool_.run<Out>([&](pqxx::connection_base& c) -> Result<Out> {
    pqxx::read_transaction tx(c);
    Out out;
    for (const auto& row : exec(tx, kProposalsPending, room)) {
      out.push_back({epoch_from(row[0]), blob(row[1]), blob(row[2])});
    }
    return out;
  });
}

component::Result<std::vector<WelcomeDelivery>> PgMlsStore::unsent_welcomes(std::size_t limit) {
  using Out = std::vector<WelcomeDelivery>;
  return pool_.run<Out>([&](pqxx::connection_base& c) -> Result<Out> {
    pqxx::read_transaction tx(c);
    Out out;
    for (const auto& row : exec(tx, kWelcomesUnsent, as_bigint(limit))) {
      // The room column references rooms.jid, which only ever holds rooms' bare JIDs.
      auto room = RoomJid::parse(row[2].as<std::string>());
      if (!room) return fail(room.error());
      out.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(), std::move(*room),
                     epoch_from(row[3]).next(), row[4].as<std::string>(), blob(row[5]),
                     blob(row[6])});
    }
    return out;
  });
}

component::Result<std::optional<WelcomeDelivery>> PgMlsStore::latest_welcome(
    const RoomJid& room, const std::string& recipient) {
  using Out = std::optional<WelcomeDelivery>;
  return pool_.run<Out>([&](pqxx::connection_base& c) -> Result<Out> {
    pqxx::read_transaction tx(c);
    const auto rows = exec(tx, kWelcomeLatest, room.str(), recipient);
    if (rows.empty()) return Out{};
    const auto& row = rows[0];
    return Out(WelcomeDelivery{row[0].as<std::int64_t>(), row[1].as<std::string>(), room,
                               epoch_from(row[3]).next(), row[4].as<std::string>(), blob(row[5]),
                               blob(row[6])});
  });
}

component::Status PgMlsStore::mark_welcome_sent(std::int64_t id) {
  return pool_.run([&](pqxx::connection_base& c) -> Status {
    pqxx::work tx(c);
    if (exec(tx, kWelcomeSent, id).affected_rows() != 1) return fail(StoreErrc::not_found);
    tx.commit();
    return {};
  });
}

component::Result<std::vector<component::FanoutDelivery>> PgMlsStore::unsent_fanouts(
    std::size_t limit) {
  using Out = std::vector<component::FanoutDelivery>;
  return pool_.run<Out>([&](pqxx::connection_base& c) -> Result<Out> {
    pqxx::read_transaction tx(c);
    Out out;
    for (const auto& row : exec(tx, kFanoutsUnsent, as_bigint(limit))) {
      auto room = RoomJid::parse(row[0].as<std::string>());
      if (!room) return fail(room.error());
      out.push_back({std::move(*room), epoch_from(row[1]), row[2].as<std::string>(), blob(row[3]),
                     blob(row[4]), blob(row[5])});
    }
    return out;
  });
}

component::Status PgMlsStore::mark_fanout_sent(const RoomJid& room, Epoch epoch) {
  return pool_.run([&](pqxx::connection_base& c) -> Status {
    pqxx::work tx(c);
    exec(tx, kFanoutSent, room.str(), as_bigint(epoch));
    tx.commit();
    return {};
  });
}

component::Result<ExternalSenderKey> PgMlsStore::external_sender_key(
    const ExternalSenderKey& candidate) {
  return pool_.run<ExternalSenderKey>([&](pqxx::connection_base& c) -> Result<ExternalSenderKey> {
    pqxx::work tx(c);
    // Racing inserters: the loser's INSERT waits for the winner's row, then does nothing.
    exec(tx, kExternalSenderInsert, bin(candidate.private_key), bin(candidate.public_key),
         to_us(candidate.created));
    auto rows = exec(tx, kExternalSenderLoad);
    if (rows.size() != 1) return fail(StoreErrc::not_found);
    ExternalSenderKey key{blob(rows[0][0]), blob(rows[0][1]),
                          from_us(rows[0][2].as<std::int64_t>())};
    tx.commit();
    return key;
  });
}

}  // namespace conclave::db
