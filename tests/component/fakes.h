#pragma once
// The room service's unit-test fixture and helpers, over the fakes of fake_stores.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "component/core/stanza_util.h"
#include "component/muc/muc_service.h"
#include "fake_stores.h"
#include "xmpp/jid.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::component::testing {

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
  // The one Services of the fixture's services (main.cpp has one per process): the recording
  // sender, the inline runner, the fixture's clock and ids.
  Services services = make_services();
  std::unique_ptr<MucService> service;

  void SetUp() override { service = make_service(); }

  Services make_services() {
    Services s;
    s.out = &out;
    s.runner = &runner;
    s.now = [this] { return TimePoint(std::chrono::milliseconds(clock_ms)); };
    s.new_id = [this] { return "id" + std::to_string(++ids); };
    return s;
  }

  std::unique_ptr<MucService> make_service(std::set<std::string> admins = {}) {
    RoomEnv env;
    env.services = &services;
    env.rooms = &room_store;
    env.archive = &archive;
    env.new_salt = [this] { return "salt" + std::to_string(++ids); };
    env.service_admins = std::move(admins);
    env.max_history = 50;
    env.mam_max_page = 100;
    return std::make_unique<MucService>(ServiceInfo{kService, "Test rooms"}, std::move(env));
  }

  virtual ~ServiceTest() = default;
  // One stanza from a user to the service (a fixture with several services routes it).
  virtual void send(const std::string& xml) { service->dispatch(stanza(xml)); }
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

  // The owner's configuration submit (id 'cfg') of the given fields.
  static std::string config_submit(const std::string& owner, const std::string& room_jid,
                                   const std::map<std::string, std::string>& fields) {
    std::string f;
    for (const auto& [k, v] : fields) {
      f += "<field var='" + k + "'><value>" + v + "</value></field>";
    }
    return "<iq type='set' id='cfg' from='" + owner + "' to='" + room_jid +
           "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
           "type='submit'>" +
           f + "</x></query></iq>";
  }

  // configure: an owner's submit of the given fields; returns the iq reply's type.
  std::string configure(const std::string& owner, const std::string& room_jid,
                        const std::map<std::string, std::string>& fields = {}) {
    send(config_submit(owner, room_jid, fields));
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
