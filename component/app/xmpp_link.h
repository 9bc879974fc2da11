#pragma once
// XmppLink: the component's XEP-0114 connection as `conclave run` manages it. One instance
// alone connects at start and stays connected (the connection reconnects by itself). With
// several instances (docs/cluster.md) the link exists only while the instance is active: a
// connection object is made per activation and stopped at demotion (stopped ones are kept until
// exit, since their strand may still run a callback), and a connection replaced by another
// instance's (<conflict/>, Prosody kick_old) is not blindly re-established, which would evict
// that one in turn, forever: it comes back only if `may_reconnect` still says so.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "component/core/log.h"
#include "component/core/stanza_sender.h"
#include "xmpp/component_connection.h"

namespace conclave::component {

// ConnectionSender: the StanzaSender the services write to; nothing is sent while unlinked.
class ConnectionSender : public StanzaSender {
 public:
  void send(xmpp::Element stanza) override {
    if (connection != nullptr) connection->send(std::move(stanza));
  }
  void send_to_each(std::vector<xmpp::Element> stanzas, std::vector<std::string> to) override {
    if (connection != nullptr) connection->send_to_each(std::move(stanzas), std::move(to));
  }
  xmpp::ComponentConnection* connection = nullptr;
};

class XmppLink {
 public:
  struct Hooks {
    std::function<void(xmpp::Element)> stanza;
    std::function<void()> online;
    std::function<void(LogLevel, const std::string&)> log;
    // Set with several instances: whether to come back after being replaced.
    std::function<bool()> may_reconnect;
  };

  XmppLink(boost::asio::io_context& io, xmpp::ComponentConfig config, ConnectionSender& sender,
           Hooks hooks)
      : io_(io), config_(std::move(config)), sender_(sender), hooks_(std::move(hooks)), retry_(io) {
    events_.stanza = [this](xmpp::Element s) { hooks_.stanza(std::move(s)); };
    events_.online = [this] { hooks_.online(); };
    events_.offline = [this](std::error_code why, std::optional<xmpp::StreamError> error) {
      if (hooks_.may_reconnect && error && error->condition == xmpp::StreamCondition::conflict) {
        hooks_.log(LogLevel::warn, "connection replaced by another instance");
        boost::asio::post(io_, [this] { replaced(); });
        return;
      }
      hooks_.log(LogLevel::warn, "connection down: " + why.message() + "; reconnecting");
    };
    events_.undeliverable = [this](xmpp::Element, std::error_code why) {
      hooks_.log(LogLevel::warn, "stanza dropped: " + why.message());
    };
  }

  void connect() {
    if (connection_) return;
    connection_ = std::make_unique<xmpp::ComponentConnection>(io_, config_, events_);
    sender_.connection = connection_.get();
    connection_->start();
  }

  void disconnect() {
    retry_.cancel();
    sender_.connection = nullptr;
    if (connection_) {
      connection_->stop();
      retired_.push_back(std::move(connection_));
    }
  }

 private:
  void replaced() {
    disconnect();
    retry_.expires_after(std::chrono::seconds(1));
    retry_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && hooks_.may_reconnect()) connect();
    });
  }

  boost::asio::io_context& io_;
  xmpp::ComponentConfig config_;
  ConnectionSender& sender_;
  Hooks hooks_;
  xmpp::ComponentEvents events_;
  boost::asio::steady_timer retry_;
  std::unique_ptr<xmpp::ComponentConnection> connection_;
  std::vector<std::unique_ptr<xmpp::ComponentConnection>> retired_;
};

}  // namespace conclave::component
