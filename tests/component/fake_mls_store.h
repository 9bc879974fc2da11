#pragma once
// FakeMlsStore: component::MlsStore in memory, with the PostgreSQL store's semantics (the same
// behavioural tests run against both: tests/component/pg_mls_store_test.cpp). Thread-safe, so
// concurrency tests can use it too. Unlike db::PgMlsStore it needs no room row. A commit's
// archive row goes to the attached ArchiveStore (attach_archive), which stands for the archive
// table PostgreSQL writes in the same transaction.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "component/store/mls_store.h"
#include "test_room_jid.h"

namespace conclave::component::testing {

class FakeMlsStore : public MlsStore {
 public:
  // fail_next: when set, the next call returns this error and changes nothing.
  void fail_next(std::error_code e) {
    std::lock_guard lock(mutex_);
    fail_next_ = e;
  }

  // The fence of the last commit that carried one, and whether fences still hold (unset: all
  // do). Set by tests of several instances.
  std::optional<Fence> last_fence;
  std::function<bool(const Fence&)> fence_valid;

  // attach_archive: where accept_commit appends MlsCommitRecord::archived. Without one, a
  // commit that carries an archive row is refused (invalid_argument), so none is lost silently.
  void attach_archive(ArchiveStore* archive) {
    std::lock_guard lock(mutex_);
    archive_ = archive;
  }

  Result<KeyPackageUpload> store_key_packages(const std::string& owner,
                                              const std::vector<KeyPackageRecord>& batch,
                                              std::size_t limit, TimePoint now) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    std::size_t new_last_resort = 0, new_one_time = 0;
    for (const auto& kp : batch) (kp.last_resort ? new_last_resort : new_one_time)++;
    if (new_last_resort > 1) return fail(std::make_error_code(std::errc::invalid_argument));
    std::size_t held = 0;
    for (const auto& row : key_packages_) {
      if (row.owner == owner && !row.kp.last_resort && row.kp.not_after >= now) ++held;
    }
    if (held + new_one_time > limit) return KeyPackageUpload::limit_exceeded;
    // The replaced last-resort package (of the same device) goes first, so re-uploading it
    // is not a duplicate.
    auto kept = key_packages_;
    for (const auto& kp : batch) {
      if (!kp.last_resort) continue;
      std::erase_if(kept, [&](const Row& r) {
        return r.owner == owner && r.kp.last_resort && r.kp.device == kp.device;
      });
    }
    std::set<Blob> refs;
    for (const auto& r : kept) refs.insert(r.kp.ref);
    for (const auto& kp : batch) {
      if (!refs.insert(kp.ref).second) return KeyPackageUpload::duplicate_ref;
      kept.push_back({next_id_++, owner, kp});
    }
    key_packages_ = std::move(kept);
    for (const auto& kp : batch) {
      auto& d = devices_[{owner, kp.device}];
      d.device = kp.device;
      d.last_upload = now;
    }
    return KeyPackageUpload::stored;
  }

  Result<KeyPackageCount> count_device_key_packages(const std::string& owner,
                                                    const std::string& device,
                                                    TimePoint now) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    KeyPackageCount out;
    for (const auto& r : key_packages_) {
      if (r.owner != owner || r.kp.device != device || r.kp.not_after < now) continue;
      if (r.kp.last_resort) {
        out.last_resort = true;
      } else {
        ++out.count;
      }
    }
    return out;
  }

  Result<KeyPackageCount> count_key_packages(const std::string& owner, TimePoint now) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    KeyPackageCount out;
    for (const auto& r : key_packages_) {
      if (r.owner != owner || r.kp.not_after < now) continue;
      if (r.kp.last_resort) {
        out.last_resort = true;
      } else {
        ++out.count;
      }
    }
    return out;
  }

  Result<std::vector<KeyPackageRecord>> claim_key_packages(const std::string& owner,
                                                           TimePoint now) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    std::set<std::string> devices;
    for (const auto& r : key_packages_) {
      if (r.owner == owner && r.kp.not_after >= now) devices.insert(r.kp.device);
    }
    std::vector<KeyPackageRecord> out;
    for (const std::string& device : devices) {
      auto live = [&](const Row& r) {
        return r.owner == owner && r.kp.device == device && r.kp.not_after >= now;
      };
      // Rows are kept in insertion order, so the first match is the oldest.
      auto it = std::find_if(key_packages_.begin(), key_packages_.end(),
                             [&](const Row& r) { return live(r) && !r.kp.last_resort; });
      if (it != key_packages_.end()) {
        out.push_back(it->kp);
        key_packages_.erase(it);
        continue;
      }
      it = std::find_if(key_packages_.begin(), key_packages_.end(),
                        [&](const Row& r) { return live(r) && r.kp.last_resort; });
      if (it != key_packages_.end()) out.push_back(it->kp);
    }
    return out;
  }

  Result<std::size_t> delete_key_packages(const std::string& owner, const std::vector<Blob>& refs,
                                          const std::optional<std::string>& device) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    return static_cast<std::size_t>(std::erase_if(key_packages_, [&](const Row& r) {
      if (r.owner != owner) return false;
      if (device && r.kp.device == *device) return true;
      return std::find(refs.begin(), refs.end(), r.kp.ref) != refs.end();
    }));
  }

  Result<std::vector<DeviceRecord>> devices(const std::string& owner, TimePoint now) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    std::vector<DeviceRecord> out;
    for (const auto& [key, d] : devices_) {
      if (key.first != owner) continue;
      DeviceRecord rec = d;
      for (const auto& r : key_packages_) {
        if (r.owner != owner || r.kp.device != d.device || r.kp.not_after < now) continue;
        if (r.kp.last_resort) {
          rec.last_resort = true;
        } else {
          ++rec.one_time;
        }
      }
      out.push_back(std::move(rec));
    }
    return out;
  }

  Result<bool> retire_device(const std::string& owner, const std::string& device) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    const bool listed = devices_.erase({owner, device}) != 0;
    const auto deleted = std::erase_if(
        key_packages_, [&](const Row& r) { return r.owner == owner && r.kp.device == device; });
    return listed || deleted != 0;
  }

  Result<std::vector<RoomDevice>> rooms_of(const std::string& identity) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    std::vector<RoomDevice> out;
    for (const auto& [room, leaves] : members_) {
      for (const auto& [leaf, m] : leaves) {
        if (m.identity == identity) out.push_back({room, m.device});
      }
    }
    std::sort(out.begin(), out.end(), [](const RoomDevice& a, const RoomDevice& b) {
      return std::tie(a.room, a.device) < std::tie(b.room, b.device);
    });
    return out;
  }

  Result<std::vector<std::uint32_t>> unlisted_leaves(const RoomJid& room) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    std::vector<std::uint32_t> out;
    auto it = members_.find(room);
    if (it == members_.end()) return out;
    for (const auto& [leaf, m] : it->second) {
      if (!m.device.empty() && devices_.count({m.identity, m.device}) == 0) out.push_back(leaf);
    }
    return out;
  }

  // register_device: lists `device` of `owner` as an upload would (tests that build leaves
  // without uploading their key packages).
  void register_device(const std::string& owner, const std::string& device) {
    std::lock_guard lock(mutex_);
    auto& d = devices_[{owner, device}];
    d.device = device;
  }

  // members_of: the membership index rows of `room` (tests).
  std::vector<MemberLeaf> members_of(const RoomJid& room) {
    std::lock_guard lock(mutex_);
    std::vector<MemberLeaf> out;
    auto it = members_.find(room);
    if (it == members_.end()) return out;
    for (const auto& [leaf, m] : it->second) out.push_back(m);
    return out;
  }

  Result<std::size_t> purge_expired_key_packages(TimePoint now) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    return static_cast<std::size_t>(
        std::erase_if(key_packages_, [&](const Row& r) { return r.kp.not_after < now; }));
  }

  Status create_group(const MlsGroupRecord& group) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    std::vector<MlsNodeChange> nodes;
    for (const auto& n : group.nodes) nodes.push_back({n.index, std::nullopt});
    if (!valid_changes(nodes, group.leaf_count)) {
      return fail(std::make_error_code(std::errc::invalid_argument));
    }
    if (groups_.count(group.room) != 0) return fail(StoreErrc::conflict);
    for (const auto& [room, g] : groups_) {
      if (g.group_id == group.group_id) return fail(StoreErrc::conflict);
    }
    if (!all_listed(group.members)) return fail(StoreErrc::unknown_device);
    MlsGroupRecord stored = group;
    std::sort(stored.nodes.begin(), stored.nodes.end(),
              [](const MlsNode& a, const MlsNode& b) { return a.index < b.index; });
    auto& index = members_[group.room];
    for (const auto& m : group.members) index[m.leaf] = m;
    stored.members.clear();  // load_group does not return them
    groups_[group.room] = std::move(stored);
    return {};
  }

  Result<std::optional<MlsGroupRecord>> load_group(const RoomJid& room) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    auto it = groups_.find(room);
    if (it == groups_.end()) return std::optional<MlsGroupRecord>();
    MlsGroupRecord g = it->second;
    auto index = members_.find(room);
    g.members_indexed = index != members_.end() && !index->second.empty();
    return std::optional<MlsGroupRecord>(std::move(g));
  }

  Result<std::size_t> index_members(const RoomJid& room,
                                    const std::vector<MemberLeaf>& members) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    if (groups_.count(room) == 0) return std::size_t{0};
    auto& index = members_[room];
    if (!index.empty()) return std::size_t{0};
    for (const auto& m : members) index[m.leaf] = m;
    return members.size();
  }

  // drop_members: forgets the membership index of `room` (tests: a group stored before it).
  void drop_members(const RoomJid& room) {
    std::lock_guard lock(mutex_);
    members_.erase(room);
  }

  Result<CommitResult> accept_commit(const RoomJid& room, Epoch expected_epoch,
                                     const MlsCommitRecord& commit,
                                     const std::vector<MlsNodeChange>& changed_nodes,
                                     std::uint32_t leaf_count) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    if (commit.fence) {
      // Stands in for the lease row check of the PostgreSQL store (docs/cluster.md §3).
      last_fence = commit.fence;
      if (fence_valid && !fence_valid(*commit.fence)) return fail(StoreErrc::fenced);
    }
    if (!valid_changes(changed_nodes, leaf_count) ||
        (commit.archived && (commit.archived->room != room || archive_ == nullptr))) {
      return fail(std::make_error_code(std::errc::invalid_argument));
    }
    auto it = groups_.find(room);
    if (it == groups_.end()) return fail(StoreErrc::not_found);
    MlsGroupRecord& g = it->second;
    auto& log = commits_[room];
    if (g.epoch != expected_epoch) {
      auto logged = log.find(expected_epoch);
      if (logged != log.end() && logged->second.commit_hash == commit.commit_hash) {
        return CommitResult{CommitOutcome::duplicate, expected_epoch.next(),
                            logged->second.chain_hash, 0};
      }
      return CommitResult{CommitOutcome::wrong_epoch, g.epoch, {}, 0};
    }
    if (g.chain_hash != commit.prev_chain_hash) return fail(StoreErrc::conflict);
    if (!all_listed(commit.devices)) return fail(StoreErrc::unknown_device);
    CommitResult out{CommitOutcome::accepted, expected_epoch.next(), commit.chain_hash,
                     2};  // log row + group row
    // The archive row first: it is the only step that can fail from here on, so a failure
    // leaves everything unchanged, as PostgreSQL's rollback would.
    if (commit.archived) {
      if (auto s = archive_->append(*commit.archived); !s) return fail(s.error());
      fanouts_[{room, expected_epoch}] = {room,
                                          expected_epoch,
                                          commit.archived->stanza_id,
                                          commit.commit_hash,
                                          commit.mls_message,
                                          commit.chain_hash};
      out.rows_written += 2;  // archive row + fan-out outbox row
    }
    log[expected_epoch] = {expected_epoch, commit.commit_hash, commit.mls_message,
                           commit.sender_jid, commit.chain_hash};
    g.chain_hash = commit.chain_hash;
    g.epoch = expected_epoch.next();
    g.tree_hash = commit.tree_hash;
    g.group_info = commit.group_info;
    g.group_context = commit.group_context;
    g.interim_transcript_hash = commit.interim_transcript_hash;
    g.leaf_count = leaf_count;
    std::map<std::uint32_t, Blob> nodes;
    for (auto& n : g.nodes) nodes[n.index] = std::move(n.data);
    for (const auto& c : changed_nodes) {
      if (c.data) {
        nodes[c.index] = *c.data;
        ++out.rows_written;
      } else {
        out.rows_written += nodes.erase(c.index);
      }
    }
    const std::uint32_t width = 2 * leaf_count - 1;
    out.rows_written += std::erase_if(nodes, [&](const auto& kv) { return kv.first >= width; });
    g.nodes.clear();
    for (auto& [index, data] : nodes) g.nodes.push_back({index, std::move(data)});
    for (std::size_t i = 0; i < commit.welcome_recipients.size(); ++i) {
      welcomes_.push_back(
          {{next_id_++, welcome_stable_id(commit.commit_hash, i), room, expected_epoch.next(),
            commit.welcome_recipients[i], commit.welcome, commit.chain_hash},
           false});
      ++out.rows_written;
    }
    out.rows_written += std::erase_if(proposals_, [&](const auto& p) { return p.first == room; });
    auto& index = members_[room];
    for (const auto& m : commit.members) {
      if (m.now) {
        index[m.leaf] = *m.now;
      } else {
        index.erase(m.leaf);
      }
    }
    std::erase_if(index, [&](const auto& kv) { return kv.first >= leaf_count; });
    return out;
  }

  Result<MlsCommitPage> commits_since(const RoomJid& room, Epoch since,
                                      std::size_t limit) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    MlsCommitPage page;
    auto log = commits_.find(room);
    if (log == commits_.end()) return page;
    for (auto it = log->second.lower_bound(since); it != log->second.end(); ++it) {
      if (page.commits.size() == limit) {
        page.more = true;
        break;
      }
      page.commits.push_back(it->second);
    }
    return page;
  }

  Result<ProposalResult> add_proposal(const RoomJid& room,
                                      const MlsProposalRecord& proposal) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    auto it = groups_.find(room);
    if (it == groups_.end()) return fail(StoreErrc::not_found);
    if (it->second.epoch != proposal.epoch) return ProposalResult{false, it->second.epoch};
    bool known = std::any_of(proposals_.begin(), proposals_.end(), [&](const auto& p) {
      return p.first == room && p.second.epoch == proposal.epoch &&
             p.second.proposal_ref == proposal.proposal_ref;
    });
    if (!known) proposals_.push_back({room, proposal});
    return ProposalResult{true, it->second.epoch};
  }

  Result<std::vector<MlsProposalRecord>> pending_proposals(const RoomJid& room) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    std::vector<MlsProposalRecord> out;
    auto g = groups_.find(room);
    if (g == groups_.end()) return out;
    for (const auto& [r, p] : proposals_) {
      if (r == room && p.epoch == g->second.epoch) out.push_back(p);
    }
    return out;
  }

  Result<std::vector<WelcomeDelivery>> unsent_welcomes(std::size_t limit) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    std::vector<WelcomeDelivery> out;
    for (const auto& w : welcomes_) {
      if (out.size() == limit) break;
      if (!w.sent) out.push_back(w.delivery);
    }
    return out;
  }

  Result<std::optional<WelcomeDelivery>> latest_welcome(const RoomJid& room,
                                                        const std::string& recipient) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    std::optional<WelcomeDelivery> out;
    for (const auto& w : welcomes_) {
      if (w.delivery.room == room && w.delivery.recipient == recipient &&
          (!out || w.delivery.epoch >= out->epoch)) {
        out = w.delivery;
      }
    }
    return out;
  }

  Status mark_welcome_sent(std::int64_t id) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    for (auto& w : welcomes_) {
      if (w.delivery.id == id) {
        w.sent = true;
        return {};
      }
    }
    return fail(StoreErrc::not_found);
  }

  Result<std::vector<FanoutDelivery>> unsent_fanouts(std::size_t limit) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    std::vector<FanoutDelivery> out;
    for (const auto& [key, f] : fanouts_) {
      if (out.size() == limit) break;
      out.push_back(f);
    }
    return out;
  }

  Status mark_fanout_sent(const RoomJid& room, Epoch epoch) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    fanouts_.erase({room, epoch});
    return {};
  }

  Result<ExternalSenderKey> external_sender_key(const ExternalSenderKey& candidate) override {
    std::lock_guard lock(mutex_);
    if (auto e = take_failure()) return fail(*e);
    if (!external_sender_) external_sender_ = candidate;
    return *external_sender_;
  }

  // valid_changes: the preconditions both stores check before writing (distinct node indices,
  // all inside the tree; db/pg_mls_store.cpp valid_nodes).
  static bool valid_changes(const std::vector<MlsNodeChange>& changes, std::uint32_t leaf_count) {
    if (leaf_count == 0) return false;
    std::set<std::uint32_t> seen;
    for (const auto& c : changes) {
      if (c.index >= 2 * static_cast<std::uint64_t>(leaf_count) - 1) return false;
      if (!seen.insert(c.index).second) return false;
    }
    return true;
  }

 private:
  struct Row {
    std::int64_t id = 0;
    std::string owner;
    KeyPackageRecord kp;
  };
  struct OutboxRow {
    WelcomeDelivery delivery;
    bool sent = false;
  };

  std::optional<std::error_code> take_failure() {
    auto e = fail_next_;
    fail_next_.reset();
    return e;
  }

  std::mutex mutex_;
  std::optional<std::error_code> fail_next_;
  std::int64_t next_id_ = 1;
  std::vector<Row> key_packages_;  // insertion order
  // all_listed: CM-13, CR-8 (the mutex is held).
  bool all_listed(const std::vector<MemberLeaf>& leaves) const {
    return std::all_of(leaves.begin(), leaves.end(), [&](const MemberLeaf& m) {
      return devices_.count({m.identity, m.device}) != 0;
    });
  }

  std::map<std::pair<std::string, std::string>, DeviceRecord> devices_;  // (owner, device)
  std::map<RoomJid, std::map<std::uint32_t, MemberLeaf>> members_;       // room -> leaf -> row
  std::map<RoomJid, MlsGroupRecord> groups_;
  std::map<RoomJid, std::map<Epoch, MlsCommitEntry>> commits_;
  std::vector<std::pair<RoomJid, MlsProposalRecord>> proposals_;
  std::vector<OutboxRow> welcomes_;
  std::map<std::pair<RoomJid, Epoch>, FanoutDelivery> fanouts_;
  std::optional<ExternalSenderKey> external_sender_;
  ArchiveStore* archive_ = nullptr;
};

}  // namespace conclave::component::testing
