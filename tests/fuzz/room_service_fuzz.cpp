// libFuzzer target: the whole room service (component/muc_service.h with the MLS delivery
// service and the admins' ad-hoc commands) on hostile stanzas, over the in-memory fakes of
// tests/component/fake_stores.h.
//
// Each input is stream content (after a component stream header) parsed by the real stream
// parser; every stanza is dispatched as the XMPP server would deliver it. Before the input, a
// fixed prelude builds state worth attacking: alice creates and configures room r, bob joins,
// and alice is a service admin. Stanzas without `from` come from alice, without `to` go to the
// service. Seeds (tests/fuzz/room_service/) and a dictionary steer it to MUC, MAM, data forms,
// ad-hoc commands and urn:xmpp:mls:0.
//
// Checks, besides no crash and no sanitizer report: every stanza the service sends is addressed
// (a parsable `to`) and comes from the service or one of its rooms (never from a user JID it
// could be tricked into impersonating), and serializes to XML the parser reads back.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "component/ds/delivery_service.h"
#include "component/muc_service.h"
#include "component/stanza_util.h"
#include "tests/component/fake_mls_store.h"
#include "tests/component/fake_stores.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"
#include "xmpp/stream_parser.h"

namespace {

using namespace conclave;
using component::testing::FakeArchiveStore;
using component::testing::FakeMlsStore;
using component::testing::FakeRoomStore;
using component::testing::InlineRunner;
using component::testing::RecordingSender;

constexpr std::string_view kService = "rooms.example.org";
constexpr std::string_view kAlice = "alice@example.org/phone";
constexpr std::string_view kHeader =
    "<stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='fuzz'>";
constexpr std::string_view kPrelude =
    "<presence from='alice@example.org/phone' to='r@rooms.example.org/Alice'>"
    "<x xmlns='http://jabber.org/protocol/muc'/></presence>"
    "<iq type='set' id='cfg' from='alice@example.org/phone' to='r@rooms.example.org'>"
    "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/>"
    "</query></iq>"
    "<presence from='bob@example.org/laptop' to='r@rooms.example.org/Bob'>"
    "<x xmlns='http://jabber.org/protocol/muc'/></presence>";

void check(bool ok) {
  if (!ok) std::abort();
}

// The service may only speak as itself or as one of its rooms or occupants.
void check_sent(const xmpp::Element& s) {
  auto from = xmpp::Jid::parse(s.attr_or("from"));
  check(from.has_value() && from->domain() == kService);
  check(xmpp::Jid::parse(s.attr_or("to")).has_value());
  std::string xml;
  xmpp::serialize(s, xml);
  check(component::parse_stanza_xml(xml).has_value());
}

struct World {
  FakeRoomStore rooms;
  FakeArchiveStore archive{rooms};
  FakeMlsStore mls;
  InlineRunner runner;
  RecordingSender out;
  std::int64_t clock_ms = 1'700'000'000'000;
  int ids = 0;
  std::unique_ptr<component::ds::DeliveryService> ds;
  std::unique_ptr<component::MucService> service;

  World() {
    auto now = [this] {
      clock_ms += 1000;  // time moves, so rate limits and expiries are reached too
      return component::TimePoint(std::chrono::milliseconds(clock_ms));
    };
    mls.attach_archive(&archive);
    component::ds::DsEnv denv;
    denv.domain = std::string(kService);
    denv.out = &out;
    denv.runner = &runner;
    denv.store = &mls;
    denv.now = now;
    denv.new_id = [this] { return "id" + std::to_string(++ids); };
    auto identity = component::ds::ServiceIdentity::load_or_create(mls, std::string(kService));
    check(identity.has_value());
    ds = std::make_unique<component::ds::DeliveryService>(component::ds::DsConfig{},
                                                          std::move(denv), std::move(*identity));
    component::RoomEnv env;
    env.out = &out;
    env.runner = &runner;
    env.rooms = &rooms;
    env.archive = &archive;
    env.mls = ds.get();
    env.now = now;
    env.new_id = [this] { return "id" + std::to_string(++ids); };
    env.new_salt = [this] { return "salt" + std::to_string(++ids); };
    env.service_admins = {"alice@example.org"};
    env.room_gone = [this](const std::string& r) { ds->forget(r); };
    service = std::make_unique<component::MucService>(
        component::ServiceInfo{std::string(kService), "Fuzz rooms"}, std::move(env));
  }

  // feed: parses `content` as stream content and dispatches each stanza; false once the
  // parser fails (the connection would be closed).
  bool feed(xmpp::StreamParser& parser, std::string_view content) {
    std::vector<xmpp::StreamEvent> events;
    parser.feed(content, events);
    for (auto& e : events) {
      if (auto* st = std::get_if<xmpp::StanzaReceived>(&e)) {
        xmpp::Element s = std::move(st->stanza);
        if (s.attr("from") == nullptr) s.set_attr("from", std::string(kAlice));
        if (s.attr("to") == nullptr) s.set_attr("to", std::string(kService));
        service->dispatch(std::move(s));
        for (const auto& sent : out.sent) check_sent(sent);
        out.sent.clear();
      } else if (std::holds_alternative<xmpp::StreamFailed>(e) ||
                 std::holds_alternative<xmpp::StreamClosed>(e)) {
        return false;
      }
    }
    return true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  xmpp::ParserLimits limits;
  limits.max_stanza_bytes = 16 * 1024;
  xmpp::StreamParser parser(limits);
  World w;
  check(w.feed(parser, kHeader));
  check(w.feed(parser, kPrelude));
  check(w.service->room_count() == 1);
  w.feed(parser, std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
