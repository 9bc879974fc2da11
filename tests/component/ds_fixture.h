#pragma once
// A room service with the MLS delivery service enabled, over the fake stores, plus helpers that
// build real MLS inputs with the mls library (Group::create, make_key_package, commit).
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/base64.h"
#include "component/admin/admin_commands.h"
#include "component/ds/delivery_service.h"
#include "component/ds/identity.h"
#include "component/ds/mls_ns.h"
#include "fake_mls_store.h"
#include "fakes.h"
#include "mls/group/extensions.h"
#include "mls/group/group.h"

namespace conclave::component::testing {

inline const mls::CipherSuite& suite1() { return **mls::CipherSuite::get(std::uint16_t{1}); }

inline mls::Credential credential(const std::string& identity) {
  mls::Credential c;
  c.value = mls::BasicCredential{mls::Bytes(identity.begin(), identity.end())};
  return c;
}

// device_extension: the application_id leaf extension naming `device` (docs/protocol.md §6.1).
inline mls::Extension device_extension(const std::string& device) {
  return mls::Extension{mls::kExtApplicationId,
                        mls::encode(mls::Bytes(device.begin(), device.end()))};
}

// kNowSeconds: the fixture's clock (ServiceTest::clock_ms) in seconds. kWeek: the lifetime the
// reference client gives its packages (an hour back for clock skew, 7 days ahead), within the
// service's bound (mls.max_key_package_lifetime, KP-9).
inline constexpr std::uint64_t kNowSeconds = 1'700'000'000;
inline constexpr mls::Lifetime kWeek{kNowSeconds - 3600, kNowSeconds + 7 * 86400};

// bundle: a KeyPackage of `identity` on `device`; an empty device gives each call a device of
// its own ("dev1", "dev2", ...), so leaves made by separate calls never clash (BR-13).
inline mls::KeyPackageBundle bundle(const std::string& identity,
                                    const mls::CipherSuite& suite = suite1(),
                                    mls::Lifetime lifetime = kWeek, std::string device = "") {
  static int devices = 0;
  if (device.empty()) device = "dev" + std::to_string(++devices);
  auto keys = suite.generate_signature_key_pair();
  auto b = mls::make_key_package(suite, credential(identity), std::move(keys.private_key),
                                 mls::system_rng(), lifetime, {device_extension(device)});
  EXPECT_TRUE(b.has_value());
  return std::move(*b);
}

inline std::string b64(const mls::Bytes& b) { return base64_encode(b); }

template <class T>
std::string b64_message(T value) {
  mls::MlsMessage m;
  m.message = std::move(value);
  return b64(mls::encode(m));
}

inline std::string mls_error(const xmpp::Element& reply, const std::string& name) {
  const xmpp::Element* e = reply.child("error", xmpp::ns::kComponent);
  if (e == nullptr) return "";
  const xmpp::Element* app = e->child(name, "urn:xmpp:mls:0");
  return app == nullptr ? "" : (app->text().empty() ? "present" : app->text());
}

class DsTest : public ServiceTest {
 protected:
  FakeMlsStore mls_store;
  ds::DsConfig ds_config;
  std::unique_ptr<ds::DeliveryService> ds;
  std::vector<std::string> ds_log;  // "level: line", every line logged (services.log)
  // Several instances: set before rebuild() to give the delivery service a lease to store
  // commits under (DsEnv::fence_for); on_fenced calls are counted.
  std::function<std::optional<Fence>(const RoomJid&)> fence_for;
  int fenced_calls = 0;

  static constexpr const char* kAlice = "alice@example.org/phone";
  static constexpr const char* kBob = "bob@example.org/laptop";
  static constexpr const char* kCarol = "carol@example.org/pc";

  void SetUp() override {
    // The room service and the delivery service share the fixture's one Services, as in
    // main.cpp, so the log holds the room service's lines too.
    services.log = [this](LogLevel level, const std::string& line) {
      const std::string name(log_level_name(level));
      if (level != LogLevel::info) std::cerr << "[ds " << name << "] " << line << "\n";
      ds_log.push_back(name + ": " + line);
    };
    rebuild();
  }

  // rebuild: a fresh delivery service (empty cache) and room service over the same stores.
  void rebuild() {
    mls_store.attach_archive(&archive);  // the accept transaction writes the commit's MAM row
    ds::DsEnv denv;
    denv.domain = kService;
    denv.services = &services;
    denv.store = &mls_store;
    denv.archive = &archive;
    if (fence_for) {
      denv.fence_for = [this](const RoomJid& r) { return fence_for(r); };
      denv.on_fenced = [this] { ++fenced_calls; };
    }
    auto identity = ds::ServiceIdentity::load_or_create(mls_store, kService);
    ASSERT_TRUE(identity.has_value());
    ds = std::make_unique<ds::DeliveryService>(ds_config, std::move(denv), std::move(*identity));
    RoomEnv env;
    env.services = &services;
    env.rooms = &room_store;
    env.archive = &archive;
    env.extensions = {ds.get()};
    env.new_salt = [this] { return "salt" + std::to_string(++ids); };
    env.max_history = 50;
    env.mam_max_page = 100;
    service = std::make_unique<MucService>(ServiceInfo{kService, "Test rooms"}, std::move(env));
    ds->attach_rooms(
        [this](const RoomJid& room) -> GroupHost* { return service->find_room(room).get(); });
    register_admin_commands(service->commands(), *service, ds.get());
    ASSERT_TRUE(service->load().has_value());
  }

  // bundle: as the free bundle(), with the package's device listed for `identity` as its
  // upload would list it (CR-8, CM-13). Tests of unlisted devices call the free one.
  mls::KeyPackageBundle bundle(const std::string& identity,
                               const mls::CipherSuite& suite = suite1(),
                               mls::Lifetime lifetime = kWeek, std::string device = "") {
    auto b = testing::bundle(identity, suite, lifetime, std::move(device));
    auto named = ds::leaf_device(b.key_package.leaf_node);
    EXPECT_TRUE(named.has_value());
    if (named) mls_store.register_device(identity, *named);
    return b;
  }

  mls::Extension external_senders() const {
    std::vector<mls::ExternalSenderEntry> list{ds->identity().entry()};
    return mls::Extension{mls::kExtExternalSenders, mls::encode(list)};
  }

  // new_group: `who`'s one-member group, with the service as external sender.
  mls::Group new_group(const std::string& who, const std::string& group_id = "g1",
                       bool list_service = true) {
    auto b = bundle(who);
    std::vector<mls::Extension> ext;
    if (list_service) ext.push_back(external_senders());
    auto g = mls::Group::create(suite1(), mls::Bytes(group_id.begin(), group_id.end()), b,
                                std::move(ext));
    EXPECT_TRUE(g.has_value());
    return std::move(*g);
  }

  xmpp::Element create_iq(const std::string& from, const mls::Group& g) {
    return iq(from, room("r"), "set", xmpp::to_string(create_iq_payload(g)));
  }
  // create_iq_payload: the <create/> element for `g`'s group.
  xmpp::Element create_iq_payload(const mls::Group& g) {
    auto gi = g.group_info(false);
    EXPECT_TRUE(gi.has_value());
    return stanza("<create xmlns='urn:xmpp:mls:0'><group-info>" + b64_message(*gi) +
                  "</group-info><ratchet-tree>" + b64(g.tree().encode()) +
                  "</ratchet-tree></create>");
  }

  // commit_xml: the <commit/> payload for `out`.
  static std::string commit_xml(const mls::CommitOutput& c) {
    std::string x =
        "<commit xmlns='urn:xmpp:mls:0'><message>" + b64(mls::encode(c.message)) + "</message>";
    if (c.welcome) x += "<welcome>" + b64_message(*c.welcome) + "</welcome>";
    x += "<group-info>" + b64_message(c.group_info) + "</group-info></commit>";
    return x;
  }

  mls::CommitOutput commit_adding(mls::Group& g, const std::vector<mls::KeyPackage>& kps) {
    mls::CommitOptions o;
    for (const auto& kp : kps) o.proposals.push_back(mls::Proposal{mls::Add{kp}});
    auto c = g.commit(std::move(o));
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message());
    return std::move(*c);
  }

  std::uint64_t stored_epoch() {
    auto g = mls_store.load_group(room_jid(room("r")));
    return g && *g ? (*g)->epoch.value() : ~std::uint64_t{0};
  }

  // A room r (owner alice, joined) with alice's group created in it.
  mls::Group room_with_group(const std::map<std::string, std::string>& config = {}) {
    create("r", config);
    take();
    mls::Group g = new_group("alice@example.org");
    auto reply = create_iq(kAlice, g);
    EXPECT_EQ(reply.attr_or("type"), "result");
    return g;
  }
};

}  // namespace conclave::component::testing
