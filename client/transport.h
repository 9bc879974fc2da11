#pragma once
// Transport: what the client session needs from an XMPP c2s connection. One thread drives it
// (libstrophe has no locking, docs/style.md P12); everything is synchronous from the session's
// point of view: request() pumps the connection until the answer arrives and queues every other
// stanza received meanwhile, in order, for poll(). Tests substitute an in-memory fake.
#include <chrono>
#include <optional>
#include <string>

#include "client/errors.h"
#include "xmpp/element.h"

namespace conclave::client {

class Transport {
 public:
  virtual ~Transport() = default;
  // jid is the full JID the server bound for this session.
  virtual std::string jid() const = 0;
  // send queues a stanza (message, presence, IQ answer) for the server. A stanza without an id
  // gets one. Returns the id used.
  virtual std::string send(xmpp::Element stanza) = 0;
  // request sends an IQ (with a fresh id) and returns its answer, type result or error.
  // Errc::timeout after `timeout`, Errc::disconnected when the connection is gone.
  virtual Result<xmpp::Element> request(xmpp::Element iq, std::chrono::milliseconds timeout) = 0;
  // poll returns the next received stanza that no request() consumed, waiting up to `timeout`.
  // nullopt when none came; Errc::disconnected when the connection is gone.
  virtual Result<std::optional<xmpp::Element>> poll(std::chrono::milliseconds timeout) = 0;
};

}  // namespace conclave::client
