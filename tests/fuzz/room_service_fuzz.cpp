// libFuzzer target: the whole room service (component/muc/muc_service.h with the MLS delivery
// service and the admins' ad-hoc commands) on hostile stanzas, over the in-memory fakes of
// tests/component/fake_stores.h.
//
// Each input is stream content (after a component stream header) parsed by the real stream
// parser; every stanza is dispatched as the XMPP server would deliver it. Before the input, a
// fixed prelude builds state worth attacking: alice creates and configures room r, bob joins,
// alice is a service admin, and r has a real MLS group (alice created it and added bob: epoch
// 1, two members, a Welcome in the outbox). Stanzas without `from` come from alice, without `to`
// go to the service. Seeds (tests/fuzz/room_service/) and a dictionary steer it to MUC, MAM,
// data forms, ad-hoc commands and urn:xmpp:mls:0.
//
// Valid MLS payloads cannot be found by mutation (they are signed), so the input may name some,
// made once at start-up for epoch 1 of that group, by placeholders replaced before parsing:
// @COMMIT@ (alice's commit to epoch 2, base64 PublicMessage), @GI@ (its GroupInfo), @APP@
// (alice's PrivateMessage at epoch 1), @KP@ (carol's KeyPackage as an MLSMessage).
//
// Checks, besides no crash and no sanitizer report: every stanza the service sends is addressed
// (a parsable `to`) and comes from the service or one of its rooms (never from a user JID it
// could be tricked into impersonating), and serializes to XML the parser reads back; and only
// alice is ever told a create or commit was <accepted/>, since every valid MLS payload here is
// hers (whoever else sends one does not own its leaf).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/base64.h"
#include "component/admin/admin_commands.h"
#include "component/core/stanza_util.h"
#include "component/ds/delivery_service.h"
#include "component/ds/service_identity.h"
#include "component/muc/muc_service.h"
#include "mls/group/extensions.h"
#include "mls/group/group.h"
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

const mls::CipherSuite& suite1() { return **mls::CipherSuite::get(std::uint16_t{1}); }

template <class T>
std::string b64_message(T value) {
  mls::MlsMessage m;
  m.message = std::move(value);
  return base64_encode(mls::encode(m));
}

// bundle_of: a KeyPackage of `jid` whose leaf names its device (docs/protocol.md §6.1: the
// service refuses leaves without an application_id, CR-7 and CM-12), and whose lifetime ends
// 7 days after the World's clock starts (KP-9 refuses uploads beyond mls.max_key_package_lifetime).
mls::KeyPackageBundle bundle_of(const std::string& jid) {
  constexpr std::uint64_t kStart = 1'700'000'000;  // World::clock_ms, in seconds
  mls::Credential c;
  c.value = mls::BasicCredential{mls::Bytes(jid.begin(), jid.end())};
  const std::string device = "fuzz";
  auto b = mls::make_key_package(
      suite1(), c, suite1().generate_signature_key_pair().private_key, mls::system_rng(),
      {kStart - 3600, kStart + 7 * 86400},
      {mls::Extension{mls::kExtApplicationId,
                      mls::encode(mls::Bytes(device.begin(), device.end()))}});
  check(b.has_value());
  return std::move(*b);
}

std::string commit_iq(const std::string& id, const mls::CommitOutput& c) {
  std::string x = "<iq type='set' id='" + id +
                  "' from='alice@example.org/phone' to='r@rooms.example.org'>"
                  "<commit xmlns='urn:xmpp:mls:0'><message>" +
                  base64_encode(mls::encode(c.message)) + "</message>";
  if (c.welcome) x += "<welcome>" + b64_message(*c.welcome) + "</welcome>";
  return x + "<group-info>" + b64_message(c.group_info) + "</group-info></commit></iq>";
}

// Made once: the service's key, the stanzas that give room r its group, and the payloads the
// placeholders stand for. Every World uses the same key, so the same stanzas are valid in each.
struct MlsFixture {
  mls::Secret service_key;
  std::string prelude;  // create (epoch 0) and the commit adding bob (epoch 1)
  std::vector<std::pair<std::string, std::string>> placeholders;
};

const MlsFixture& mls_fixture() {
  static const MlsFixture f = [] {
    MlsFixture out;
    out.service_key = suite1().generate_signature_key_pair().private_key;
    auto service =
        component::ds::ServiceIdentity::from_key(out.service_key.view(), std::string(kService));
    check(service.has_value());
    std::vector<mls::ExternalSenderEntry> senders{service->entry()};
    auto g =
        mls::Group::create(suite1(), mls::Bytes{'f', 'u', 'z', 'z'}, bundle_of("alice@example.org"),
                           {mls::Extension{mls::kExtExternalSenders, mls::encode(senders)}});
    check(g.has_value());
    auto gi = g->group_info(false);
    check(gi.has_value());
    out.prelude =
        "<iq type='set' id='g0' from='alice@example.org/phone' to='r@rooms.example.org'>"
        "<create xmlns='urn:xmpp:mls:0'><group-info>" +
        b64_message(*gi) + "</group-info><ratchet-tree>" + base64_encode(g->tree().encode()) +
        "</ratchet-tree></create></iq>";
    mls::CommitOptions add;
    add.proposals.push_back(mls::Proposal{mls::Add{bundle_of("bob@example.org").key_package}});
    auto c1 = g->commit(std::move(add));
    check(c1.has_value());
    out.prelude += commit_iq("g1", *c1);
    mls::Group epoch1 = std::move(c1->staged).merge();
    auto app = epoch1.protect(mls::Bytes{'h', 'i'});
    check(app.has_value());
    auto c2 = epoch1.commit();
    check(c2.has_value());
    out.placeholders = {
        {"@COMMIT@", base64_encode(mls::encode(c2->message))},
        {"@GI@", b64_message(c2->group_info)},
        {"@APP@", base64_encode(mls::encode(*app))},
        {"@KP@", b64_message(bundle_of("carol@example.org").key_package)},
    };
    return out;
  }();
  return f;
}

std::string expand(std::string_view input) {
  std::string s(input);
  for (const auto& [name, value] : mls_fixture().placeholders) {
    for (std::size_t at = s.find(name); at != std::string::npos;
         at = s.find(name, at + value.size())) {
      s.replace(at, name.size(), value);
    }
  }
  return s;
}

// The service may only speak as itself or as one of its rooms or occupants.
void check_sent(const xmpp::Element& s) {
  auto from = xmpp::Jid::parse(s.attr_or("from"));
  check(from.has_value() && from->domain() == kService);
  check(xmpp::Jid::parse(s.attr_or("to")).has_value());
  std::string xml;
  xmpp::serialize(s, xml);
  check(component::parse_stanza_xml(xml).has_value());
  if (s.child("accepted", "urn:xmpp:mls:0") != nullptr) {
    check(xmpp::Jid::parse(s.attr_or("to"))->bare_string() == "alice@example.org");
  }
}

struct World {
  FakeRoomStore rooms;
  FakeArchiveStore archive{rooms};
  FakeMlsStore mls;
  InlineRunner runner;
  RecordingSender out;
  std::int64_t clock_ms = 1'700'000'000'000;
  int ids = 0;
  component::Services services;  // one for both services, as in main.cpp
  std::unique_ptr<component::ds::DeliveryService> ds;
  std::unique_ptr<component::MucService> service;
  bool dump = std::getenv("CONCLAVE_FUZZ_DUMP") != nullptr;

  World() {
    auto now = [this] {
      clock_ms += 1000;  // time moves, so rate limits and expiries are reached too
      return component::TimePoint(std::chrono::milliseconds(clock_ms));
    };
    mls.attach_archive(&archive);
    services.out = &out;
    services.runner = &runner;
    services.now = now;
    services.new_id = [this] { return "id" + std::to_string(++ids); };
    component::ds::DsEnv denv;
    denv.services = &services;
    denv.domain = std::string(kService);
    denv.store = &mls;
    denv.archive = &archive;
    auto identity = component::ds::ServiceIdentity::from_key(mls_fixture().service_key.view(),
                                                             std::string(kService));
    check(identity.has_value());
    ds = std::make_unique<component::ds::DeliveryService>(component::ds::DsConfig{},
                                                          std::move(denv), std::move(*identity));
    component::RoomEnv env;
    env.services = &services;
    env.rooms = &rooms;
    env.archive = &archive;
    env.extensions = {ds.get()};
    env.new_salt = [this] { return "salt" + std::to_string(++ids); };
    env.service_admins = {"alice@example.org"};
    service = std::make_unique<component::MucService>(
        component::ServiceInfo{std::string(kService), "Fuzz rooms"}, std::move(env));
    component::register_admin_commands(service->commands(), *service, ds.get());
    ds->attach_rooms([this](const component::RoomJid& room) -> component::GroupHost* {
      return service->find_room(room).get();
    });
    // The prelude's and placeholders' leaves name device "fuzz" (bundle_of); listed as their
    // uploads would list them (CR-8, CM-13), so commits can be accepted.
    for (const char* who : {"alice@example.org", "bob@example.org", "carol@example.org"}) {
      mls.register_device(who, "fuzz");
    }
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
        for (const auto& sent : out.sent) {
          check_sent(sent);
          if (dump) {  // CONCLAVE_FUZZ_DUMP=1: what the service answered, to debug an input
            std::string xml;
            xmpp::serialize(sent, xml);
            std::fprintf(stderr, "sent: %s\n", xml.substr(0, 400).c_str());
          }
        }
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
  check(w.feed(parser, mls_fixture().prelude));
  check(w.ds->epoch_of("r@rooms.example.org") == std::optional<std::uint64_t>(1));
  w.feed(parser, expand(std::string_view(reinterpret_cast<const char*>(data), size)));
  return 0;
}
