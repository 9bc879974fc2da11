// Integration: ComponentConnection against a real ejabberd 23.01 started from a throwaway
// directory by tests/harness/ejabberd.sh (an ejabberd_service listener), and a real client
// (slixmpp) talking to the component. The twin of component_prosody_test.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "xmpp/component_connection.h"
#include "xmpp/disco.h"
#include "xmpp/namespaces.h"
#include "xmpp/stanza.h"

namespace conclave::xmpp {
namespace {

using namespace std::chrono_literals;

const std::string kHarness = CONCLAVE_SOURCE_DIR "/tests/harness/ejabberd.sh";
const std::string kProbe = CONCLAVE_SOURCE_DIR "/tests/xmpp/disco_probe.py";
constexpr std::string_view kFeature = "urn:conclave:test:integration";

std::string run_capture(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    *status = -1;
    return out;
  }
  std::array<char, 256> buf{};
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  *status = ::pclose(p);
  return out;
}

std::uint16_t value_after(const std::string& text, const std::string& key) {
  const auto at = text.find(key + "=");
  if (at == std::string::npos) return 0;
  return static_cast<std::uint16_t>(std::stoi(text.substr(at + key.size() + 1)));
}

// Thread-safe record of what the connection reported, with waits.
struct Recorder {
  std::mutex m;
  std::condition_variable cv;
  int online = 0;
  int offline = 0;
  std::vector<std::pair<std::error_code, std::optional<StreamError>>> downs;
  std::vector<Element> stanzas;

  template <class Pred>
  bool wait_for(Pred pred, std::chrono::seconds limit = 20s) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, limit, [&] { return pred(); });
  }
  ComponentEvents events(std::function<void(Element)> on_stanza = {}) {
    ComponentEvents ev;
    ev.online = [this] {
      std::lock_guard lock(m);
      ++online;
      cv.notify_all();
    };
    ev.offline = [this](std::error_code why, std::optional<StreamError> err) {
      std::lock_guard lock(m);
      ++offline;
      downs.emplace_back(why, std::move(err));
      cv.notify_all();
    };
    ev.stanza = [this, on_stanza](Element s) {
      if (on_stanza) on_stanza(s);
      std::lock_guard lock(m);
      stanzas.push_back(std::move(s));
      cv.notify_all();
    };
    return ev;
  }
};

class EjabberdComponent : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/conclave-ejabberd-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    run_ = tmpl;
    start_server("");
    ASSERT_NE(component_, 0);
    int status = 0;
    run_capture(kHarness + " register " + run_ + " alice password", &status);
    ASSERT_EQ(status, 0);
  }

  void TearDown() override {
    // Always: the server must not outlive the test, whatever failed.
    stop_io();
    if (!run_.empty()) {
      int status = 0;
      run_capture(kHarness + " stop " + run_, &status);
      std::filesystem::remove_all(run_);
    }
  }

  // start_server: `ports` empty picks free ports; "C2S COMPONENT" restarts on the same ones.
  void start_server(const std::string& ports) {
    int status = 0;
    const std::string env = run_capture(kHarness + " start " + run_ + " " + ports, &status);
    ASSERT_EQ(status, 0) << env;
    c2s_ = value_after(env, "CONCLAVE_TEST_EJABBERD_C2S");
    component_ = value_after(env, "CONCLAVE_TEST_EJABBERD_COMPONENT");
  }

  ComponentConfig config(std::string secret = "secret") const {
    ComponentConfig c;
    c.port = component_;
    c.domain = "mls.localhost";
    c.secret = std::move(secret);
    c.backoff_initial = 100ms;
    c.backoff_max = 1000ms;
    c.tick = 50ms;
    return c;
  }

  void run_io() {
    work_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }
  void stop_io() {
    conn_.reset();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string run_;
  std::uint16_t c2s_ = 0;
  std::uint16_t component_ = 0;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::unique_ptr<ComponentConnection> conn_;
};

TEST_F(EjabberdComponent, HandshakeAndDiscoFromARealClient) {
  Recorder rec;
  DiscoResponder disco;
  DiscoInfo info;
  info.identities.push_back({"component", "generic", "Conclave test", {}});
  info.add_feature(ns::kDiscoInfo);
  info.add_feature(kFeature);
  disco.set_info("", info);
  conn_ =
      std::make_unique<ComponentConnection>(io_, config(), rec.events([this, &disco](Element s) {
        if (auto reply = disco.handle(s)) conn_->send(std::move(*reply));
      }));
  conn_->start();
  run_io();
  ASSERT_TRUE(rec.wait_for([&] { return rec.online == 1; })) << "no handshake";

  const int rc = std::system(("/usr/bin/python3 " + kProbe + " " + std::to_string(c2s_) +
                              " alice@localhost password mls.localhost " + std::string(kFeature))
                                 .c_str());
  EXPECT_EQ(rc, 0) << "slixmpp did not get our disco#info answer";
  std::lock_guard lock(rec.m);
  EXPECT_EQ(rec.offline, 0);
}

TEST_F(EjabberdComponent, WrongSecretIsReported) {
  Recorder rec;
  conn_ = std::make_unique<ComponentConnection>(io_, config("not-the-secret"), rec.events());
  conn_->start();
  run_io();
  ASSERT_TRUE(rec.wait_for([&] { return rec.offline >= 1; }));
  std::lock_guard lock(rec.m);
  EXPECT_EQ(rec.online, 0);
  EXPECT_EQ(rec.downs[0].first, Errc::handshake_failed);
  // ejabberd closes with a stream error that carries no text (docs/environment.md §3).
  ASSERT_TRUE(rec.downs[0].second.has_value());
  EXPECT_EQ(rec.downs[0].second->condition, StreamCondition::not_authorized);
}

TEST_F(EjabberdComponent, ReconnectsAfterServerRestartAndFlushesQueue) {
  Recorder rec;
  conn_ = std::make_unique<ComponentConnection>(io_, config(), rec.events());
  conn_->start();
  run_io();
  ASSERT_TRUE(rec.wait_for([&] { return rec.online == 1; }));

  int status = 0;
  const std::string ports = std::to_string(c2s_) + " " + std::to_string(component_);
  run_capture(kHarness + " stop " + run_, &status);
  ASSERT_EQ(status, 0);
  ASSERT_TRUE(rec.wait_for([&] { return rec.offline >= 1; })) << "shutdown not noticed";

  // Sent while the server is down: must wait in the queue and go out after the reconnect.
  for (int i = 0; i < 3; ++i) {
    Element iq = make_iq("get", "mls.localhost", "localhost", "queued-" + std::to_string(i));
    iq.add_child("query", std::string(ns::kDiscoInfo));
    conn_->send(std::move(iq));
  }
  start_server(ports);

  ASSERT_TRUE(rec.wait_for([&] { return rec.online == 2; }, 60s)) << "no reconnect";
  ASSERT_TRUE(rec.wait_for([&] { return rec.stanzas.size() >= 3; })) << "queued stanzas lost";
  std::lock_guard lock(rec.m);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(id_of(rec.stanzas[static_cast<std::size_t>(i)]), "queued-" + std::to_string(i));
    EXPECT_EQ(type_of(rec.stanzas[static_cast<std::size_t>(i)]), "result");
  }
}

}  // namespace
}  // namespace conclave::xmpp
