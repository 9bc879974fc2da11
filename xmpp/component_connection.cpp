#include "xmpp/component_connection.h"

#include <deque>
#include <set>
#include <vector>

#include "xmpp/handshake.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"
#include "xmpp/stanza.h"

namespace conclave::xmpp {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kReadBuffer = 16 * 1024;
constexpr std::size_t kWriteBatch = 64 * 1024;  // stanzas are coalesced into writes up to this

// A stanza serialized once at enqueue time, shared by the copies of a fan-out.
struct Outgoing {
  Element stanza;
  std::string bytes;  // serialized in the stream's default namespace; without `to` if fan-out
};

// One stanza to write: the shared bytes, with ` to='to'` spliced in after the element name when
// `to` is set (the fan-out case).
struct Queued {
  std::shared_ptr<const Outgoing> out;
  std::string to;
  Clock::time_point since;

  void write_to(std::string& buf) const {
    if (to.empty()) {
      buf += out->bytes;
      return;
    }
    const std::size_t name_end = 1 + out->stanza.name().size();  // after "<name"
    buf.append(out->bytes, 0, name_end);
    buf += " to='";
    append_escaped_attr(buf, to);
    buf += '\'';
    buf.append(out->bytes, name_end, std::string::npos);
  }
  Element element() const {
    Element e = out->stanza;
    if (!to.empty()) e.set_attr("to", to);
    return e;
  }
};

std::string default_server_domain(const std::string& domain) {
  const auto dot = domain.find('.');
  return dot == std::string::npos ? domain : domain.substr(dot + 1);
}

}  // namespace

class ComponentConnection::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, ComponentConfig config, ComponentEvents events)
      : strand_(asio::make_strand(io)),
        resolver_(strand_),
        socket_(strand_),
        tick_timer_(strand_),
        retry_timer_(strand_),
        config_(std::move(config)),
        events_(std::move(events)),
        parser_(config_.limits),
        backoff_(config_.backoff_initial) {
    if (config_.server_domain.empty())
      config_.server_domain = default_server_domain(config_.domain);
  }

  void start() {
    asio::dispatch(strand_, [self = shared_from_this()] {
      if (self->state_ != ConnectionState::idle) return;
      self->schedule_tick();
      self->connect();
    });
  }

  void stop() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->stop_now(true); });
  }

  // Called from the destructor of the owner: no callbacks any more, then shut down.
  void detach() {
    asio::dispatch(strand_, [self = shared_from_this()] {
      self->events_ = ComponentEvents{};
      self->stop_now(false);
    });
  }

  void send(Element stanza) {
    asio::dispatch(strand_, [self = shared_from_this(), s = std::move(stanza)]() mutable {
      auto out = std::make_shared<Outgoing>();
      out->stanza = std::move(s);
      // The root takes the stream's default namespace (jabber:component:accept), whichever
      // stanza namespace it was built in.
      serialize(out->stanza, out->bytes, out->stanza.ns());
      self->enqueue(Queued{std::move(out), {}, Clock::now()});
    });
  }

  void send_to_each(std::vector<Element> stanzas, std::vector<std::string> to) {
    if (to.empty() || stanzas.empty()) return;
    asio::dispatch(strand_, [self = shared_from_this(), stanzas = std::move(stanzas),
                             to = std::move(to)]() mutable {
      std::vector<std::shared_ptr<const Outgoing>> shared;
      shared.reserve(stanzas.size());
      for (Element& s : stanzas) {
        auto out = std::make_shared<Outgoing>();
        out->stanza = std::move(s);
        out->stanza.remove_attr("to");
        serialize(out->stanza, out->bytes, out->stanza.ns());
        shared.push_back(std::move(out));
      }
      const auto now = Clock::now();
      for (const std::string& t : to) {
        for (const auto& out : shared) self->enqueue(Queued{out, t, now});
      }
    });
  }

  ConnectionState state() const { return state_; }
  std::size_t queued() const { return pending_.size() + inflight_.size(); }
  ConnectionStats stats() const { return stats_; }

 private:
  // ---- Connection lifecycle ---------------------------------------------------------------
  void connect() {
    state_ = ConnectionState::connecting;
    phase_start_ = Clock::now();
    const std::uint64_t gen = ++generation_;
    resolver_.async_resolve(config_.host, std::to_string(config_.port),
                            [self = shared_from_this(), gen](boost::system::error_code ec,
                                                             tcp::resolver::results_type r) {
                              if (gen != self->generation_) return;
                              if (ec) return self->drop(Errc::connection_closed, std::nullopt);
                              asio::async_connect(
                                  self->socket_, r,
                                  [self, gen](boost::system::error_code ec2, const tcp::endpoint&) {
                                    if (gen != self->generation_) return;
                                    if (ec2)
                                      return self->drop(Errc::connection_closed, std::nullopt);
                                    self->on_connected();
                                  });
                            });
  }

  void on_connected() {
    ++stats_.connects;
    state_ = ConnectionState::handshaking;
    parser_.reset();
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    // XEP-0114 §3: the header names the component itself in `to`.
    std::string header = "<stream:stream xmlns='";
    header += ns::kComponent;
    header += "' xmlns:stream='";
    header += ns::kStream;
    header += "' to='";
    append_escaped_attr(header, config_.domain);
    header += "'>";
    control_ += header;
    last_rx_ = last_tx_ = Clock::now();
    read();
    pump();
  }

  void read() {
    const std::uint64_t gen = generation_;
    socket_.async_read_some(
        asio::buffer(read_buf_),
        [self = shared_from_this(), gen](boost::system::error_code ec, std::size_t n) {
          if (gen != self->generation_) return;
          if (ec) return self->drop(Errc::connection_closed, std::nullopt);
          self->last_rx_ = Clock::now();
          self->on_bytes(std::string_view(self->read_buf_.data(), n));
          if (gen == self->generation_ && !self->closing_) self->read();
        });
  }

  void on_bytes(std::string_view bytes) {
    std::vector<StreamEvent> events;
    parser_.feed(bytes, events);
    const std::uint64_t gen = generation_;
    for (StreamEvent& ev : events) {
      if (gen != generation_ || closing_) return;
      if (auto* opened = std::get_if<StreamOpened>(&ev)) {
        on_stream_opened(opened->header);
      } else if (auto* got = std::get_if<StanzaReceived>(&ev)) {
        on_stanza(std::move(got->stanza));
      } else if (std::holds_alternative<StreamClosed>(ev)) {
        // The server ended the stream: close our side too (RFC 6120 §4.4), then reconnect.
        control_ += "</stream:stream>";
        close_after_write(Errc::connection_closed, std::nullopt);
      } else if (auto* failed = std::get_if<StreamFailed>(&ev)) {
        StreamError err{failed->condition, {}};
        control_ += stream_error_bytes(err);
        close_after_write(Errc::stream_error, err);
      }
    }
  }

  void on_stream_opened(const Element& header) {
    const std::string* id = header.attr("id");
    if (state_ != ConnectionState::handshaking || id == nullptr || id->empty()) {
      StreamError err{StreamCondition::invalid_xml, "stream header without id"};
      control_ += stream_error_bytes(err);
      return close_after_write(Errc::stream_error, err);
    }
    auto digest = handshake_digest(*id, config_.secret);
    if (!digest) return drop(digest.error(), std::nullopt);
    control_ += "<handshake>" + *digest + "</handshake>";
    pump();
  }

  void on_stanza(Element stanza) {
    if (is_stream_error(stanza)) {
      StreamError err = parse_stream_error(stanza);
      // XEP-0114 §3: a refused handshake arrives as <not-authorized/> before <handshake/>.
      const bool auth = state_ == ConnectionState::handshaking;
      control_ += "</stream:stream>";
      return close_after_write(auth ? Errc::handshake_failed : Errc::stream_error, err);
    }
    if (state_ == ConnectionState::handshaking) {
      if (stanza.name() == "handshake") return on_online();
      return;  // nothing else is meaningful before the handshake
    }
    if (state_ != ConnectionState::online) return;
    if (stanza.name() == "iq" && pings_.erase(std::string(id_of(stanza))) > 0) return;
    ++stats_.stanzas_in;
    if (events_.stanza) events_.stanza(std::move(stanza));
  }

  void on_online() {
    state_ = ConnectionState::online;
    ++stats_.handshakes;
    backoff_ = config_.backoff_initial;
    expire_queue();
    if (events_.online) events_.online();
    pump();
  }

  void close_after_write(std::error_code why, std::optional<StreamError> err) {
    if (closing_) return;
    closing_ = true;
    close_reason_ = why;
    close_error_ = std::move(err);
    phase_start_ = Clock::now();
    pump();
  }

  // Tears the connection down and schedules a reconnect (unless stopped).
  void drop(std::error_code why, std::optional<StreamError> err) {
    if (state_ == ConnectionState::stopped || state_ == ConnectionState::waiting ||
        state_ == ConnectionState::idle) {
      return;
    }
    ++generation_;
    close_socket();
    requeue_inflight();
    state_ = ConnectionState::waiting;
    if (events_.offline) events_.offline(why, std::move(err));
    if (state_ == ConnectionState::stopped) return;  // the callback stopped us
    const std::uint64_t gen = generation_;
    retry_timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, config_.backoff_max);
    retry_timer_.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
      if (ec || gen != self->generation_ || self->state_ != ConnectionState::waiting) return;
      self->connect();
    });
  }

  void close_socket() {
    boost::system::error_code ignored;
    resolver_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    control_.clear();
    out_.clear();
    writing_ = false;
    closing_ = false;
    pings_.clear();
  }

  void stop_now(bool report) {
    if (state_ == ConnectionState::stopped) return;
    if (state_ == ConnectionState::online && socket_.is_open()) {
      // Best effort: tell the server we are leaving; the write may not finish before close.
      boost::system::error_code ignored;
      asio::write(socket_, asio::buffer(std::string_view("</stream:stream>")), ignored);
    }
    ++generation_;
    state_ = ConnectionState::stopped;
    close_socket();
    tick_timer_.cancel();
    retry_timer_.cancel();
    requeue_inflight();
    std::deque<Queued> left;
    left.swap(pending_);
    for (Queued& q : left) {
      if (report && events_.undeliverable) {
        events_.undeliverable(q.element(), make_error_code(Errc::not_connected));
      }
    }
  }

  // ---- Outgoing --------------------------------------------------------------------------
  void enqueue(Queued item) {
    if (state_ == ConnectionState::stopped) {
      if (events_.undeliverable) {
        events_.undeliverable(item.element(), make_error_code(Errc::not_connected));
      }
      return;
    }
    pending_.push_back(std::move(item));
    if (state_ != ConnectionState::online) {
      // Over the count bound, the oldest stanza gives way (it is the likeliest to be stale).
      while (pending_.size() > config_.max_queued) {
        Queued q = std::move(pending_.front());
        pending_.pop_front();
        if (events_.undeliverable) {
          events_.undeliverable(q.element(), make_error_code(Errc::queue_full));
        }
      }
      return;
    }
    pump();
  }

  void requeue_inflight() {
    // Stanzas whose write did not complete go back to the front, in order (at-least-once).
    for (auto it = inflight_.rbegin(); it != inflight_.rend(); ++it) {
      pending_.push_front(std::move(*it));
    }
    inflight_.clear();
  }

  void expire_queue() {
    const auto now = Clock::now();
    while (!pending_.empty() && now - pending_.front().since > config_.max_queue_age) {
      Queued q = std::move(pending_.front());
      pending_.pop_front();
      if (events_.undeliverable) {
        events_.undeliverable(q.element(), make_error_code(Errc::queue_expired));
      }
    }
  }

  void pump() {
    if (writing_ || !socket_.is_open()) return;
    out_.clear();
    out_.swap(control_);
    if (state_ == ConnectionState::online && !closing_) {
      while (!pending_.empty() && out_.size() < kWriteBatch) {
        Queued& q = pending_.front();
        q.write_to(out_);
        inflight_.push_back(std::move(q));
        pending_.pop_front();
      }
    }
    if (out_.empty()) {
      if (closing_) drop(close_reason_, close_error_);
      return;
    }
    writing_ = true;
    const std::uint64_t gen = generation_;
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this(), gen](boost::system::error_code ec, std::size_t) {
                        if (gen != self->generation_) return;
                        self->writing_ = false;
                        if (ec) return self->drop(Errc::connection_closed, std::nullopt);
                        self->last_tx_ = Clock::now();
                        self->stats_.stanzas_out += self->inflight_.size();
                        self->inflight_.clear();
                        self->pump();
                      });
  }

  // ---- Timers ----------------------------------------------------------------------------
  void schedule_tick() {
    tick_timer_.expires_after(config_.tick);
    tick_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->state_ == ConnectionState::stopped) return;
      self->on_tick();
      self->schedule_tick();
    });
  }

  void on_tick() {
    const auto now = Clock::now();
    if (state_ != ConnectionState::online) expire_queue();
    switch (state_) {
      case ConnectionState::connecting:
      case ConnectionState::handshaking:
        if (now - phase_start_ > config_.connect_timeout) drop(Errc::timeout, std::nullopt);
        return;
      case ConnectionState::online:
        break;
      default:
        return;
    }
    if (closing_) {
      if (now - phase_start_ > config_.connect_timeout) drop(close_reason_, close_error_);
      return;
    }
    // A link that has been silent through a ping and its grace period is stalled.
    if (now - last_rx_ > config_.idle_ping + config_.stall_timeout) {
      return drop(Errc::timeout, std::nullopt);
    }
    if (now - last_rx_ >= config_.idle_ping && now - last_ping_ >= config_.idle_ping) {
      send_ping();
    }
  }

  void send_ping() {
    last_ping_ = Clock::now();
    ++stats_.pings_sent;
    // A whitespace ping keeps NATs and the server's idle timer happy; the XEP-0199 ping proves
    // the server is still processing (any reply, even an error, is proof of life).
    const std::string id = "ping-" + std::to_string(++ping_counter_);
    pings_.insert(id);
    Element ping = make_iq("get", config_.domain, config_.server_domain, id);
    ping.add_child("ping", std::string(ns::kPing));
    control_ += ' ';
    serialize(ping, control_, ns::kComponent);
    pump();
  }

  asio::strand<asio::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer tick_timer_;
  asio::steady_timer retry_timer_;
  ComponentConfig config_;
  ComponentEvents events_;
  StreamParser parser_;

  ConnectionState state_ = ConnectionState::idle;
  std::uint64_t generation_ = 0;  // handlers of an older connection see a different value
  std::chrono::milliseconds backoff_;
  Clock::time_point phase_start_{};
  Clock::time_point last_rx_{};
  Clock::time_point last_tx_{};
  Clock::time_point last_ping_{};
  std::uint64_t ping_counter_ = 0;
  std::set<std::string> pings_;

  std::array<char, kReadBuffer> read_buf_{};
  std::deque<Queued> pending_;
  std::vector<Queued> inflight_;
  std::string control_;  // stream-level bytes, written before any stanza
  std::string out_;      // the write in progress
  bool writing_ = false;
  bool closing_ = false;
  std::error_code close_reason_;
  std::optional<StreamError> close_error_;
  ConnectionStats stats_;
};

ComponentConnection::ComponentConnection(boost::asio::io_context& io, ComponentConfig config,
                                         ComponentEvents events)
    : impl_(std::make_shared<Impl>(io, std::move(config), std::move(events))) {}

ComponentConnection::~ComponentConnection() { impl_->detach(); }

void ComponentConnection::start() { impl_->start(); }
void ComponentConnection::stop() { impl_->stop(); }
void ComponentConnection::send(Element stanza) { impl_->send(std::move(stanza)); }
void ComponentConnection::send_to_each(std::vector<Element> stanzas, std::vector<std::string> to) {
  impl_->send_to_each(std::move(stanzas), std::move(to));
}
ConnectionState ComponentConnection::state() const { return impl_->state(); }
std::size_t ComponentConnection::queued() const { return impl_->queued(); }
ConnectionStats ComponentConnection::stats() const { return impl_->stats(); }

}  // namespace conclave::xmpp
