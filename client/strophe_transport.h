#pragma once
// StropheTransport: the Transport over a libstrophe 0.12 c2s connection (docs/environment.md
// §2: client mode only). libstrophe types stay inside strophe_transport.cpp; stanzas cross as
// xmpp::Element values. One thread owns the connection (libstrophe has no locking).
#include <chrono>
#include <memory>
#include <string>

#include "client/transport.h"

namespace conclave::client {

enum class TlsMode {
  off,       // never STARTTLS (loopback test servers)
  optional,  // STARTTLS when offered
  required,  // fail without TLS
};

struct StropheOptions {
  std::string jid;       // bare or full; a resource is bound by the server when absent
  std::string password;  // never logged
  std::string host;      // empty: from the JID's domain (SRV, then the domain)
  unsigned short port = 0;
  TlsMode tls = TlsMode::optional;
  bool trust_tls = false;  // accept certificates that do not verify (self-signed test servers)
  bool debug = false;      // libstrophe's debug log on stderr (shows stanzas, never the password
                           // in clear with SCRAM; PLAIN would be base64 in it: test use only)
};

class StropheTransport final : public Transport {
 public:
  // connect logs in and waits for the session (resource bound). Errc::disconnected when the
  // connection or the authentication fails, Errc::timeout when it takes longer than `timeout`.
  static Result<std::unique_ptr<StropheTransport>> connect(const StropheOptions& options,
                                                           std::chrono::milliseconds timeout);
  ~StropheTransport() override;
  StropheTransport(const StropheTransport&) = delete;
  StropheTransport& operator=(const StropheTransport&) = delete;

  std::string jid() const override;
  std::string send(xmpp::Element stanza) override;
  Result<xmpp::Element> request(xmpp::Element iq, std::chrono::milliseconds timeout) override;
  Result<std::optional<xmpp::Element>> poll(std::chrono::milliseconds timeout) override;
  // disconnect closes the stream and waits (bounded) until it is closed.
  void disconnect();

  struct Impl;

 private:
  explicit StropheTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace conclave::client
