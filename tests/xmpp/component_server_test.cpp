// Integration: ComponentConnection against a real Prosody 0.12 and a real ejabberd 23.01, each
// started from a throwaway directory by its tests/harness script (ejabberd through an
// ejabberd_service listener), and a real client (slixmpp) talking to the component. One fixture
// runs the same tests against both servers; only how a server goes down differs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "xmpp/component_connection.h"
#include "xmpp/disco.h"
#include "xmpp/namespaces.h"
#include "xmpp/stanza.h"

namespace conclave::xmpp {
namespace {

using namespace std::chrono_literals;

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

// What differs between the servers.
struct Server {
  std::string name;
  std::string harness;     // tests/harness script: start/stop/register
  std::string env_prefix;  // of the ports `start` prints
  std::string take_down;   // harness command that brings the server down under the component
  std::chrono::seconds reconnect_limit;
};

const Server kProsody{"prosody", CONCLAVE_SOURCE_DIR "/tests/harness/prosody.sh",
                      "CONCLAVE_TEST_PROSODY", "kill", 20s};
// ejabberd's harness has no `kill` (an Erlang node is stopped through ejabberdctl); it also
// takes longer to come back.
const Server kEjabberd{"ejabberd", CONCLAVE_SOURCE_DIR "/tests/harness/ejabberd.sh",
                       "CONCLAVE_TEST_EJABBERD", "stop", 60s};

// For test names and failure messages (instead of gtest's byte dump).
void PrintTo(const Server& s, std::ostream* os) { *os << s.name; }

class ComponentServer : public ::testing::TestWithParam<Server> {
 protected:
  void SetUp() override {
    std::string tmpl_s = "/tmp/conclave-" + GetParam().name + "-XXXXXX";
    std::vector<char> tmpl(tmpl_s.begin(), tmpl_s.end());
    tmpl.push_back('\0');
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    run_ = tmpl.data();
    start_server("");
    ASSERT_NE(component_, 0);
    int status = 0;
    run_capture(harness() + " register " + run_ + " alice password", &status);
    ASSERT_EQ(status, 0);
  }

  void TearDown() override {
    // Always: the server must not outlive the test, whatever failed.
    stop_io();
    if (!run_.empty()) {
      int status = 0;
      run_capture(harness() + " stop " + run_, &status);
      std::filesystem::remove_all(run_);
    }
  }

  const std::string& harness() const { return GetParam().harness; }

  // start_server: `ports` empty picks free ports; "C2S COMPONENT" restarts on the same ones.
  void start_server(const std::string& ports) {
    int status = 0;
    const std::string env = run_capture(harness() + " start " + run_ + " " + ports, &status);
    ASSERT_EQ(status, 0) << env;
    c2s_ = value_after(env, GetParam().env_prefix + "_C2S");
    component_ = value_after(env, GetParam().env_prefix + "_COMPONENT");
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

TEST_P(ComponentServer, HandshakeAndDiscoFromARealClient) {
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

TEST_P(ComponentServer, WrongSecretIsReported) {
  Recorder rec;
  conn_ = std::make_unique<ComponentConnection>(io_, config("not-the-secret"), rec.events());
  conn_->start();
  run_io();
  ASSERT_TRUE(rec.wait_for([&] { return rec.offline >= 1; }));
  std::lock_guard lock(rec.m);
  EXPECT_EQ(rec.online, 0);
  EXPECT_EQ(rec.downs[0].first, Errc::handshake_failed);
  ASSERT_TRUE(rec.downs[0].second.has_value());
  EXPECT_EQ(rec.downs[0].second->condition, StreamCondition::not_authorized);
}

TEST_P(ComponentServer, ReconnectsAfterServerGoesDownAndFlushesQueue) {
  Recorder rec;
  conn_ = std::make_unique<ComponentConnection>(io_, config(), rec.events());
  conn_->start();
  run_io();
  ASSERT_TRUE(rec.wait_for([&] { return rec.online == 1; }));

  int status = 0;
  const std::string ports = std::to_string(c2s_) + " " + std::to_string(component_);
  run_capture(harness() + " " + GetParam().take_down + " " + run_, &status);
  ASSERT_EQ(status, 0);
  ASSERT_TRUE(rec.wait_for([&] { return rec.offline >= 1; })) << "server going down not noticed";

  // Sent while the server is down: must wait in the queue and go out after the reconnect.
  for (int i = 0; i < 3; ++i) {
    Element iq = make_iq("get", "mls.localhost", "localhost", "queued-" + std::to_string(i));
    iq.add_child("query", std::string(ns::kDiscoInfo));
    conn_->send(std::move(iq));
  }
  std::this_thread::sleep_for(300ms);  // a few failed reconnect attempts
  start_server(ports);

  ASSERT_TRUE(rec.wait_for([&] { return rec.online == 2; }, GetParam().reconnect_limit))
      << "no reconnect";
  ASSERT_TRUE(rec.wait_for([&] { return rec.stanzas.size() >= 3; })) << "queued stanzas lost";
  std::lock_guard lock(rec.m);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(id_of(rec.stanzas[static_cast<std::size_t>(i)]), "queued-" + std::to_string(i));
    EXPECT_EQ(type_of(rec.stanzas[static_cast<std::size_t>(i)]), "result");
  }
}

// Prosody refuses a second stream for a component name that is already connected. ejabberd
// 23.01 does not (its ejabberd_service keeps the second stream open beside the first; tried
// with this test), so there is nothing to assert for it.
class ProsodyOnly : public ComponentServer {};

TEST_P(ProsodyOnly, ASecondConnectionReplacesTheFirstWhichGetsConflict) {
  // The harness's Prosody (deploy/prosody/prosody.cfg.lua.in) sets component_conflict_resolve =
  // "kick_old" on mls.localhost, as several Conclave instances need (docs/cluster.md): the
  // newest connection wins, and the one it replaced is told with <conflict/>. (Under Prosody's
  // default, kick_new, the second would be refused instead.) The replaced side must not simply
  // reconnect, or two instances would evict each other forever: Conclave reconnects only while
  // it holds the leader lease; here the first is stopped once it was told.
  Recorder first;
  Recorder second;
  conn_ = std::make_unique<ComponentConnection>(io_, config(), first.events());
  ComponentConnection other(io_, config(), second.events());
  conn_->start();
  run_io();
  ASSERT_TRUE(first.wait_for([&] { return first.online == 1; }));
  other.start();
  ASSERT_TRUE(first.wait_for([&] { return first.offline >= 1; }));
  conn_->stop();
  ASSERT_TRUE(second.wait_for([&] { return second.online >= 1; }));
  {
    std::lock_guard lock(first.m);
    ASSERT_TRUE(first.downs[0].second.has_value());
    EXPECT_EQ(first.downs[0].second->condition, StreamCondition::conflict);
  }
  other.stop();
}

std::string server_name(const ::testing::TestParamInfo<Server>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Servers, ComponentServer, ::testing::Values(kProsody, kEjabberd),
                         server_name);
INSTANTIATE_TEST_SUITE_P(Servers, ProsodyOnly, ::testing::Values(kProsody), server_name);

}  // namespace
}  // namespace conclave::xmpp
