#pragma once
// In-memory fakes for the room service's unit tests: stores with the PostgreSQL stores'
// semantics, an inline BlockingRunner, a recording StanzaSender, and a service fixture.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "component/muc_service.h"
#include "component/stanza_util.h"
#include "xmpp/jid.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::component::testing {

class FakeRoomStore : public RoomStore {
 public:
  std::map<std::string, RoomRecord> rows;
  bool fail_next = false;

  Status maybe_fail() {
    if (!fail_next) return {};
    fail_next = false;
    return fail(std::make_error_code(std::errc::io_error));
  }
  Result<std::vector<RoomRecord>> load_persistent() override {
    std::vector<RoomRecord> out;
    for (const auto& [k, r] : rows) {
      if (r.persistent) out.push_back(r);
    }
    return out;
  }
  Status purge_temporary() override {
    std::erase_if(rows, [](const auto& kv) { return !kv.second.persistent; });
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
    it->second.persistent = room.persistent;
    it->second.settings = room.settings;
    return {};
  }
  Status set_affiliations(const std::string& room,
                          const std::vector<AffiliationRecord>& changes) override {
    if (auto s = maybe_fail(); !s) return s;
    auto it = rows.find(room);
    if (it == rows.end()) return fail(StoreErrc::not_found);
    auto& affs = it->second.affiliations;
    for (const auto& c : changes) {
      std::erase_if(affs, [&](const AffiliationRecord& a) { return a.jid == c.jid; });
      if (c.affiliation != "none") affs.push_back(c);
    }
    return {};
  }
  Status destroy(const std::string& room) override {
    if (auto s = maybe_fail(); !s) return s;
    rows.erase(room);
    return {};
  }
  Result<std::string> tombstone_message(const std::string& room, const std::string& stanza_id,
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
  Result<std::vector<ArchivedMessage>> recent(const std::string& room, std::size_t max) override {
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

inline constexpr const char* kService = "rooms.example.org";

// Parses one stanza written in the component namespace (as the server sends it).
inline xmpp::Element stanza(const std::string& xml) {
  auto e = parse_stanza_xml(xml);
  EXPECT_TRUE(e.has_value()) << xml;
  return with_namespace(e.value_or(xmpp::Element()), "jabber:client", xmpp::ns::kComponent);
}

inline std::vector<int> status_codes(const xmpp::Element& s) {
  std::vector<int> out;
  const xmpp::Element* x = s.child("x", "http://jabber.org/protocol/muc#user");
  if (x == nullptr) return out;
  for (const auto* st : x->children_named("status", "http://jabber.org/protocol/muc#user")) {
    out.push_back(std::stoi(std::string(st->attr_or("code"))));
  }
  return out;
}

inline bool has_code(const xmpp::Element& s, int code) {
  auto c = status_codes(s);
  return std::find(c.begin(), c.end(), code) != c.end();
}

inline std::string error_condition(const xmpp::Element& s) {
  auto e = xmpp::parse_stanza_error(s);
  return e ? std::string(xmpp::to_string(e->condition)) : std::string();
}

class ServiceTest : public ::testing::Test {
 protected:
  FakeRoomStore room_store;
  FakeArchiveStore archive{room_store};
  InlineRunner runner;
  RecordingSender out;
  std::int64_t clock_ms = 1'700'000'000'000;
  int ids = 0;
  std::unique_ptr<MucService> service;

  void SetUp() override { service = make_service(); }

  std::unique_ptr<MucService> make_service(std::set<std::string> admins = {}) {
    RoomEnv env;
    env.out = &out;
    env.runner = &runner;
    env.rooms = &room_store;
    env.archive = &archive;
    env.now = [this] { return TimePoint(std::chrono::milliseconds(clock_ms)); };
    env.new_id = [this] { return "id" + std::to_string(++ids); };
    env.new_salt = [this] { return "salt" + std::to_string(++ids); };
    env.service_admins = std::move(admins);
    env.max_history = 50;
    env.mam_max_page = 100;
    return std::make_unique<MucService>(ServiceInfo{kService, "Test rooms"}, std::move(env));
  }

  void send(const std::string& xml) { service->dispatch(stanza(xml)); }
  std::vector<xmpp::Element> take() {
    auto s = std::move(out.sent);
    out.sent.clear();
    return s;
  }
  std::vector<xmpp::Element> sent_to(const std::vector<xmpp::Element>& all, const std::string& to) {
    std::vector<xmpp::Element> r;
    for (const auto& s : all) {
      if (s.attr_or("to") == to) r.push_back(s);
    }
    return r;
  }

  static std::string room(const std::string& name) { return name + "@" + kService; }

  // join: a MUC join presence; returns what was sent.
  std::vector<xmpp::Element> join(const std::string& who, const std::string& room_nick,
                                  const std::string& inner = "") {
    send("<presence from='" + who + "' to='" + room_nick +
         "'><x xmlns='http://jabber.org/protocol/muc'>" + inner + "</x></presence>");
    return take();
  }

  // configure: an owner's submit of the given fields; returns the iq reply's type.
  std::string configure(const std::string& owner, const std::string& room_jid,
                        const std::map<std::string, std::string>& fields = {}) {
    std::string f;
    for (const auto& [k, v] : fields) {
      f += "<field var='" + k + "'><value>" + v + "</value></field>";
    }
    send("<iq type='set' id='cfg' from='" + owner + "' to='" + room_jid +
         "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
         "type='submit'>" +
         f + "</x></query></iq>");
    auto s = take();
    for (const auto& e : s) {
      if (e.name() == "iq" && e.attr_or("id") == "cfg") return std::string(e.attr_or("type"));
    }
    return "none";
  }

  // create: alice@example.org/phone creates and configures `name` as Alice.
  void create(const std::string& name, const std::map<std::string, std::string>& fields = {}) {
    join("alice@example.org/phone", room(name) + "/Alice");
    ASSERT_EQ(configure("alice@example.org/phone", room(name), fields), "result");
  }

  // One iq round trip; returns the reply.
  xmpp::Element iq(const std::string& from, const std::string& to, const std::string& type,
                   const std::string& payload) {
    send("<iq type='" + type + "' id='q' from='" + from + "' to='" + to + "'>" + payload + "</iq>");
    auto s = take();
    for (const auto& e : s) {
      if (e.name() == "iq" && e.attr_or("id") == "q") return e;
    }
    ADD_FAILURE() << "no iq reply";
    return {};
  }
};

}  // namespace conclave::component::testing
