#pragma once
// In-memory fakes behind the room service's interfaces: stores with the PostgreSQL stores'
// semantics, an inline BlockingRunner and a recording StanzaSender. No GoogleTest here, so the
// fuzz targets (tests/fuzz/) use them too; tests/component/fakes.h adds the test fixtures.
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "component/core/blocking_runner.h"
#include "component/core/stanza_sender.h"
#include "component/store/archive_store.h"
#include "component/store/room_store.h"
#include "test_room_jid.h"

namespace conclave::component::testing {
class FakeRoomStore : public RoomStore {
 public:
  std::map<RoomJid, RoomRecord> rows;
  bool fail_next = false;

  Status maybe_fail() {
    if (!fail_next) return {};
    fail_next = false;
    return fail(std::make_error_code(std::errc::io_error));
  }
  Result<std::vector<RoomRecord>> load_persistent() override {
    std::vector<RoomRecord> out;
    for (const auto& [k, r] : rows) {
      if (r.persistent || r.has_group) out.push_back(r);
    }
    return out;
  }
  Status purge_temporary() override {
    std::erase_if(rows,
                  [](const auto& kv) { return !kv.second.persistent && !kv.second.has_group; });
    return {};
  }
  Status create(const RoomRecord& room) override {
    if (auto s = maybe_fail(); !s) return s;
    if (rows.count(room.jid) != 0) return fail(StoreErrc::conflict);
    rows[room.jid] = room;
    return {};
  }
  Status save(const RoomRecord& room) override {
    if (auto s = maybe_fail(); !s) return s;
    auto it = rows.find(room.jid);
    if (it == rows.end()) return fail(StoreErrc::not_found);
    it->second.persistent = room.persistent || it->second.has_group;  // as PostgreSQL does
    it->second.mode = room.mode;
    it->second.settings = room.settings;
    return {};
  }
  Status set_affiliations(const RoomJid& room,
                          const std::vector<AffiliationRecord>& changes) override {
    if (auto s = maybe_fail(); !s) return s;
    auto it = rows.find(room);
    if (it == rows.end()) return fail(StoreErrc::not_found);
    auto& affs = it->second.affiliations;
    for (const auto& c : changes) {
      std::erase_if(affs, [&](const AffiliationRecord& a) { return a.jid == c.jid; });
      if (c.affiliation != Affiliation::none) affs.push_back(c);
    }
    return {};
  }
  Status destroy(const RoomJid& room) override {
    if (auto s = maybe_fail(); !s) return s;
    rows.erase(room);
    return {};
  }
  Result<std::string> tombstone_message(const RoomJid& room, const std::string& stanza_id,
                                        const Tombstoner& make,
                                        const ArchivedMessage& notice) override {
    if (auto s = maybe_fail(); !s) return fail(s.error());
    if (archive_rows == nullptr) return fail(StoreErrc::not_found);
    for (ArchivedMessage& m : *archive_rows) {
      if (m.room != room || m.stanza_id != stanza_id) continue;
      auto replaced = make(m.stanza);
      if (!replaced) return fail(StoreErrc::conflict);
      for (const ArchivedMessage& other : *archive_rows) {
        if (other.room == room && other.stanza_id == notice.stanza_id) {
          return fail(StoreErrc::conflict);
        }
      }
      m.stanza = *replaced;
      archive_rows->push_back(notice);  // invalidates `m`: done with it
      return *replaced;
    }
    return fail(StoreErrc::not_found);
  }

  std::vector<ArchivedMessage>* archive_rows = nullptr;  // the FakeArchiveStore's, once built
};

class FakeArchiveStore : public ArchiveStore {
 public:
  explicit FakeArchiveStore(FakeRoomStore& rooms) : rooms_(rooms) { rooms.archive_rows = &rows; }
  std::vector<ArchivedMessage> rows;  // archive order
  bool fail_next = false;

  Status append(const ArchivedMessage& m) override {
    if (fail_next) {
      fail_next = false;
      return fail(std::make_error_code(std::errc::io_error));
    }
    if (rooms_.rows.count(m.room) == 0) return fail(StoreErrc::not_found);
    rows.push_back(m);
    return {};
  }
  Result<ArchivePage> query(const ArchiveQuery& q) override {
    std::vector<std::size_t> match;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& m = rows[i];
      if (m.room != q.room || rooms_.rows.count(m.room) == 0) continue;
      if (q.start && m.ts < *q.start) continue;
      if (q.end && m.ts > *q.end) continue;
      if (q.with_nick && m.from_nick != *q.with_nick) continue;
      match.push_back(i);
    }
    auto pos = [&](const std::string& id) -> std::optional<std::size_t> {
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].room == q.room && rows[i].stanza_id == id) return i;
      }
      return std::nullopt;
    };
    std::size_t after = 0, before = rows.size() + 1;  // positions shifted by one
    if (q.after_id) {
      auto p = pos(*q.after_id);
      if (!p) return fail(StoreErrc::not_found);
      after = *p + 1;
    }
    if (q.before_id) {
      auto p = pos(*q.before_id);
      if (!p) return fail(StoreErrc::not_found);
      before = *p + 1;
    }
    ArchivePage page;
    page.count = match.size();
    std::vector<std::size_t> window;
    for (std::size_t i : match) {
      if (i + 1 > after && i + 1 < before) window.push_back(i);
    }
    const bool backwards = q.last_page || (q.before_id && !q.after_id);
    page.complete = window.size() <= q.max;
    if (backwards) {
      const std::size_t skip = window.size() > q.max ? window.size() - q.max : 0;
      window.erase(window.begin(), window.begin() + static_cast<std::ptrdiff_t>(skip));
    } else if (window.size() > q.max) {
      window.resize(q.max);
    }
    for (std::size_t i : window) page.messages.push_back(rows[i]);
    return page;
  }
  Result<std::vector<ArchivedMessage>> recent(const RoomJid& room, std::size_t max) override {
    std::vector<ArchivedMessage> out;
    for (const auto& m : rows) {
      if (m.room == room) out.push_back(m);
    }
    if (out.size() > max) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(max));
    return out;
  }

 private:
  FakeRoomStore& rooms_;
};

// Runs store work inline, or holds it until release() to test the queue.
class InlineRunner : public BlockingRunner {
 public:
  bool hold = false;
  std::vector<std::pair<std::function<void()>, std::function<void()>>> held;
  void run(std::function<void()> blocking, std::function<void()> then) override {
    if (hold) {
      held.emplace_back(std::move(blocking), std::move(then));
      return;
    }
    blocking();
    then();
  }
  void release() {
    hold = false;
    auto h = std::move(held);
    held.clear();
    for (auto& [b, t] : h) {
      b();
      t();
    }
  }
};

class RecordingSender : public StanzaSender {
 public:
  std::vector<xmpp::Element> sent;
  void send(xmpp::Element stanza) override { sent.push_back(std::move(stanza)); }
};

}  // namespace conclave::component::testing
