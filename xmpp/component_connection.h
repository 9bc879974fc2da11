#pragma once
// ComponentConnection: the XEP-0114 link to the XMPP server over Boost.Asio.
//
// Connects, sends the stream header, answers the server's stream id with the SHA-1 handshake,
// waits for <handshake/>, then delivers every received stanza to `events.stanza` and writes the
// stanzas given to send(). It reconnects with exponential back-off when the server goes away,
// restarts, stalls, or breaks the stream; stanzas sent while offline wait in a bounded queue and
// go out after the next handshake, or are handed back through `events.undeliverable` once the
// queue's count or age bound is passed (never dropped silently).
//
// Threading: all work runs on one strand of the given io_context; callbacks run on that strand
// and receive owned values. send() and stop() may be called from any thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "xmpp/asio.h"
#include "xmpp/element.h"
#include "xmpp/stream_error.h"
#include "xmpp/stream_parser.h"

namespace conclave::xmpp {

struct ComponentConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5347;
  std::string domain;         // the component's own name (XEP-0114 `to`)
  std::string secret;         // shared with the server
  std::string server_domain;  // ping target; empty: `domain` without its first label
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30'000};
  std::chrono::milliseconds connect_timeout{10'000};  // TCP connect plus handshake
  std::chrono::milliseconds idle_ping{60'000};        // idle this long: whitespace + XEP-0199 ping
  std::chrono::milliseconds stall_timeout{30'000};    // no byte this long after a ping: reconnect
  std::chrono::milliseconds tick{250};                // resolution of all the deadlines above
  std::size_t max_queued = 10'000;                    // stanzas waiting while offline
  std::chrono::milliseconds max_queue_age{60'000};
  ParserLimits limits;
};

struct ComponentEvents {
  std::function<void(Element)> stanza;  // a received stanza (not pings' replies, not stream errors)
  std::function<void()> online;         // handshake accepted
  // The link went down: why (Errc), and the stream error received or sent, if any.
  std::function<void(std::error_code, std::optional<StreamError>)> offline;
  // A stanza that will never be sent: queue_full, queue_expired, or not_connected after stop().
  std::function<void(Element, std::error_code)> undeliverable;
};

enum class ConnectionState { idle, connecting, handshaking, online, waiting, stopped };

struct ConnectionStats {
  std::uint64_t connects = 0;    // TCP connections established
  std::uint64_t handshakes = 0;  // successful handshakes
  std::uint64_t stanzas_in = 0;
  std::uint64_t stanzas_out = 0;
  std::uint64_t pings_sent = 0;
};

class ComponentConnection {
 public:
  ComponentConnection(boost::asio::io_context& io, ComponentConfig config, ComponentEvents events);
  ~ComponentConnection();  // stops; callbacks end once the strand runs the shutdown
  ComponentConnection(const ComponentConnection&) = delete;
  ComponentConnection& operator=(const ComponentConnection&) = delete;

  void start();
  // Closes the stream and stops reconnecting; queued stanzas are reported undeliverable.
  void stop();
  void send(Element stanza);
  // send_to_each: a copy of every stanza of `stanzas` to each JID in `to` (their own `to` is
  // ignored), recipient by recipient: the copies for one recipient are adjacent on the wire,
  // in order. Each stanza is serialized once and only the `to` differs between the copies (a
  // MUC room's fan-out); the call crosses to the strand once.
  void send_to_each(std::vector<Element> stanzas, std::vector<std::string> to);

  // Snapshots, meaningful when read on the strand (e.g. from a callback) or after the
  // io_context stopped.
  ConnectionState state() const;
  std::size_t queued() const;
  ConnectionStats stats() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace conclave::xmpp
