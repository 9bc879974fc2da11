#include "client/strophe_transport.h"

#include <strophe.h>

#include <deque>
#include <map>
#include <mutex>

#include "client/protocol.h"
#include "mls/codec/hex.h"
#include "mls/crypto/rng.h"
#include "xmpp/serializer.h"
#include "xmpp/stanza.h"

namespace conclave::client {

using xmpp::Element;

namespace {

enum class State { connecting, connected, closed };

struct StanzaRelease {
  void operator()(xmpp_stanza_t* s) const noexcept { xmpp_stanza_release(s); }
};
using StanzaPtr = std::unique_ptr<xmpp_stanza_t, StanzaRelease>;

// to_element copies a libstrophe stanza tree into an owned Element. libstrophe gives each
// element its namespace when it has one; children inherit their parent's otherwise.
Element to_element(xmpp_stanza_t* s, const std::string& parent_ns) {
  const char* name = xmpp_stanza_get_name(s);
  const char* ns_attr = xmpp_stanza_get_ns(s);
  Element e(name != nullptr ? name : "", ns_attr != nullptr ? ns_attr : parent_ns);
  const int count = xmpp_stanza_get_attribute_count(s);
  if (count > 0) {
    std::vector<const char*> attrs(static_cast<std::size_t>(count) * 2);
    const int n = xmpp_stanza_get_attributes(s, attrs.data(), count * 2);
    for (int i = 0; i + 1 < n; i += 2) {
      const std::string_view key = attrs[static_cast<std::size_t>(i)];
      if (key == "xmlns") continue;
      e.set_attr(key, attrs[static_cast<std::size_t>(i) + 1]);
    }
  }
  for (xmpp_stanza_t* c = xmpp_stanza_get_children(s); c != nullptr; c = xmpp_stanza_get_next(c)) {
    if (xmpp_stanza_is_text(c)) {
      const char* t = xmpp_stanza_get_text_ptr(c);
      if (t == nullptr) continue;
      if (e.children().empty()) {
        e.mutable_text() += t;
      } else {
        e.children().back().mutable_tail() += t;
      }
    } else {
      e.add_child(to_element(c, e.ns()));
    }
  }
  return e;
}

}  // namespace

struct StropheTransport::Impl {
  xmpp_ctx_t* ctx = nullptr;
  xmpp_conn_t* conn = nullptr;
  State state = State::connecting;
  std::string bound;
  std::deque<Element> inbox;
  std::map<std::string, std::optional<Element>> pending;  // IQ id -> answer
  std::string id_prefix;
  std::uint64_t next_id = 0;

  ~Impl() {
    if (conn != nullptr) xmpp_conn_release(conn);
    if (ctx != nullptr) xmpp_ctx_free(ctx);
  }

  std::string new_id() { return id_prefix + "-" + std::to_string(++next_id); }

  static int on_stanza(xmpp_conn_t*, xmpp_stanza_t* stanza, void* ud) {
    auto* self = static_cast<Impl*>(ud);
    Element e = to_element(stanza, std::string(ns::kClient));
    if (e.name() == "iq") {
      const xmpp::IqType type = xmpp::iq_type_of(e);
      auto it = self->pending.find(std::string(e.attr_or("id")));
      if ((type == xmpp::IqType::result || type == xmpp::IqType::error) &&
          it != self->pending.end() && !it->second) {
        it->second = std::move(e);
        return 1;
      }
    }
    self->inbox.push_back(std::move(e));
    return 1;  // keep the handler
  }

  static void on_conn(xmpp_conn_t* c, xmpp_conn_event_t event, int, xmpp_stream_error_t*,
                      void* ud) {
    auto* self = static_cast<Impl*>(ud);
    if (event == XMPP_CONN_CONNECT) {
      self->state = State::connected;
      const char* j = xmpp_conn_get_bound_jid(c);
      self->bound = j != nullptr ? j : "";
      // Added once the session is up: user handlers see only post-authentication stanzas.
      xmpp_handler_add(c, &Impl::on_stanza, nullptr, nullptr, nullptr, self);
    } else if (event == XMPP_CONN_DISCONNECT || event == XMPP_CONN_FAIL) {
      self->state = State::closed;
    }
  }

  void run(std::chrono::milliseconds slice) {
    xmpp_run_once(ctx, static_cast<unsigned long>(std::max<std::int64_t>(1, slice.count())));
  }
};

StropheTransport::StropheTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StropheTransport::~StropheTransport() { disconnect(); }

Result<std::unique_ptr<StropheTransport>> StropheTransport::connect(
    const StropheOptions& options, std::chrono::milliseconds timeout) {
  static std::once_flag init;
  std::call_once(init, [] { xmpp_initialize(); });
  auto impl = std::make_unique<Impl>();
  std::uint8_t prefix[6];
  mls::system_rng().fill(prefix);
  impl->id_prefix = "t" + mls::to_hex(prefix);
  impl->ctx =
      xmpp_ctx_new(nullptr, options.debug ? xmpp_get_default_logger(XMPP_LEVEL_DEBUG) : nullptr);
  if (impl->ctx == nullptr) return fail(Errc::disconnected);
  impl->conn = xmpp_conn_new(impl->ctx);
  if (impl->conn == nullptr) return fail(Errc::disconnected);
  long flags = XMPP_CONN_FLAG_DISABLE_SM;  // state lives in MAM and the service, not in SM
  if (options.tls == TlsMode::off) flags |= XMPP_CONN_FLAG_DISABLE_TLS;
  if (options.tls == TlsMode::required) flags |= XMPP_CONN_FLAG_MANDATORY_TLS;
  if (options.trust_tls) flags |= XMPP_CONN_FLAG_TRUST_TLS;
  if (xmpp_conn_set_flags(impl->conn, flags) != XMPP_EOK) return fail(Errc::disconnected);
  xmpp_conn_set_jid(impl->conn, options.jid.c_str());
  xmpp_conn_set_pass(impl->conn, options.password.c_str());
  if (xmpp_connect_client(impl->conn, options.host.empty() ? nullptr : options.host.c_str(),
                          options.port, &Impl::on_conn, impl.get()) != XMPP_EOK) {
    return fail(Errc::disconnected);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (impl->state == State::connecting) {
    if (std::chrono::steady_clock::now() >= deadline) return fail(Errc::timeout);
    impl->run(std::chrono::milliseconds(50));
  }
  if (impl->state != State::connected) return fail(Errc::disconnected);
  return std::unique_ptr<StropheTransport>(new StropheTransport(std::move(impl)));
}

std::string StropheTransport::jid() const { return impl_->bound; }

std::string StropheTransport::send(Element stanza) {
  std::string id(stanza.attr_or("id"));
  if (id.empty()) {
    id = impl_->new_id();
    stanza.set_attr("id", id);
  }
  if (impl_->state != State::connected) return id;
  const std::string text = xmpp::to_string(stanza, ns::kClient);
  StanzaPtr s(xmpp_stanza_new_from_string(impl_->ctx, text.c_str()));
  if (s) xmpp_send(impl_->conn, s.get());
  // Flush now: the caller may block on something else before the next poll.
  impl_->run(std::chrono::milliseconds(1));
  return id;
}

Result<Element> StropheTransport::request(Element iq, std::chrono::milliseconds timeout) {
  if (impl_->state != State::connected) return fail(Errc::disconnected);
  const std::string id = impl_->new_id();
  iq.set_attr("id", id);
  impl_->pending[id] = std::nullopt;
  send(std::move(iq));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto it = impl_->pending.find(id);
    if (it->second) {
      Element answer = std::move(*it->second);
      impl_->pending.erase(it);
      return answer;
    }
    if (impl_->state != State::connected) {
      impl_->pending.erase(it);
      return fail(Errc::disconnected);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      impl_->pending.erase(it);  // a late answer goes to the inbox and is ignored there
      return fail(Errc::timeout);
    }
    impl_->run(std::chrono::milliseconds(50));
  }
}

Result<std::optional<Element>> StropheTransport::poll(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (!impl_->inbox.empty()) {
      Element e = std::move(impl_->inbox.front());
      impl_->inbox.pop_front();
      return std::optional<Element>(std::move(e));
    }
    if (impl_->state != State::connected) return fail(Errc::disconnected);
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      impl_->run(std::chrono::milliseconds(1));  // one non-waiting turn to pick up input
      if (!impl_->inbox.empty()) continue;
      return std::optional<Element>();
    }
    impl_->run(std::min(std::chrono::milliseconds(50),
                        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)));
  }
}

void StropheTransport::disconnect() {
  if (!impl_ || impl_->state != State::connected) return;
  xmpp_disconnect(impl_->conn);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (impl_->state == State::connected && std::chrono::steady_clock::now() < deadline) {
    impl_->run(std::chrono::milliseconds(50));
  }
}

}  // namespace conclave::client
