// ComponentConnection against a scripted in-process server: keepalive, stall detection, queue
// bounds. (The real servers are exercised in component_prosody_test.cpp.)
#include "xmpp/component_connection.h"

#include <gtest/gtest.h>

#include "xmpp/stanza.h"

namespace conclave::xmpp {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;

// Accepts connections, answers the header and the handshake, then records what it reads and
// never answers anything else (a server that has stalled).
struct SilentServer {
  explicit SilentServer(asio::io_context& io)
      : acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
  }
  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      ++accepted;
      auto sock = std::make_shared<tcp::socket>(std::move(s));
      auto buf = std::make_shared<std::array<char, 4096>>();
      const std::string header =
          "<stream:stream xmlns='jabber:component:accept' "
          "xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='mls.test'>";
      asio::write(*sock, asio::buffer(header));
      read(sock, buf);
      accept();
    });
  }
  void read(std::shared_ptr<tcp::socket> sock, std::shared_ptr<std::array<char, 4096>> buf) {
    sock->async_read_some(asio::buffer(*buf),
                          [this, sock, buf](boost::system::error_code ec, std::size_t n) {
                            if (ec) return;
                            received.append(buf->data(), n);
                            if (received.find("</handshake>") != std::string::npos && !handshaken) {
                              handshaken = true;
                              asio::write(*sock, asio::buffer(std::string_view("<handshake/>")));
                            }
                            read(sock, buf);
                          });
  }
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }

  tcp::acceptor acceptor;
  int accepted = 0;
  bool handshaken = false;
  std::string received;
};

TEST(ComponentConnection, PingsWhenIdleAndReconnectsAStalledLink) {
  asio::io_context io;
  SilentServer server(io);
  ComponentConfig c;
  c.port = server.port();
  c.domain = "mls.test";
  c.secret = "s";
  c.idle_ping = 200ms;
  c.stall_timeout = 200ms;
  c.tick = 20ms;
  c.backoff_initial = 50ms;
  std::vector<std::error_code> downs;
  int online = 0;
  ComponentEvents ev;
  ev.online = [&] { ++online; };
  ev.offline = [&](std::error_code why, std::optional<StreamError>) { downs.push_back(why); };
  ComponentConnection conn(io, c, ev);
  conn.start();
  io.run_for(1500ms);
  // The handshake digest for id 'abc' and secret 's' went out.
  EXPECT_NE(server.received.find("<handshake>"), std::string::npos);
  // Idle: a whitespace ping plus a XEP-0199 ping to the parent domain.
  EXPECT_NE(server.received.find(" <iq type='get' id='ping-1' from='mls.test' to='test'><ping "
                                 "xmlns='urn:xmpp:ping'/></iq>"),
            std::string::npos)
      << server.received;
  ASSERT_FALSE(downs.empty());
  EXPECT_EQ(downs.front(), Errc::timeout);
  EXPECT_GE(server.accepted, 2);
  EXPECT_GE(online, 1);
}

TEST(ComponentConnection, QueueBoundsReportUndeliverableStanzas) {
  asio::io_context io;
  // Nothing listens on this port: the acceptor is closed right away.
  std::uint16_t port;
  {
    tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  ComponentConfig c;
  c.port = port;
  c.domain = "mls.test";
  c.max_queued = 2;
  c.max_queue_age = 300ms;
  c.tick = 20ms;
  c.backoff_initial = 50ms;
  std::vector<std::pair<std::string, std::error_code>> failed;
  ComponentEvents ev;
  ev.undeliverable = [&](Element s, std::error_code why) {
    failed.emplace_back(std::string(id_of(s)), why);
  };
  ComponentConnection conn(io, c, ev);
  conn.start();
  for (int i = 0; i < 3; ++i)
    conn.send(make_stanza("message", "chat", "a@mls.test", "b@x", std::to_string(i)));
  io.run_for(100ms);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].first, "0");  // the oldest gives way
  EXPECT_EQ(failed[0].second, Errc::queue_full);
  io.restart();
  io.run_for(500ms);
  ASSERT_EQ(failed.size(), 3u);
  EXPECT_EQ(failed[1].second, Errc::queue_expired);
  EXPECT_EQ(failed[2].second, Errc::queue_expired);
  EXPECT_EQ(conn.queued(), 0u);
}

}  // namespace
}  // namespace conclave::xmpp
