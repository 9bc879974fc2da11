#include "db/notification_listener.h"

#include <chrono>
#include <memory>
#include <pqxx/pqxx>

namespace conclave::db {
namespace {

// Re-delivers one channel's notifications to the listener's callback.
class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, const std::string& channel,
           const std::function<void(const std::string&)>& on_notify)
      : pqxx::notification_receiver(c, channel), on_notify_(on_notify) {}
  void operator()(const std::string&, int) override { on_notify_(channel()); }

 private:
  const std::function<void(const std::string&)>& on_notify_;
};

}  // namespace

NotificationListener::NotificationListener(std::string conninfo, std::vector<std::string> channels,
                                           std::function<void(const std::string&)> on_notify,
                                           std::function<void(const std::string&)> log)
    : conninfo_(std::move(conninfo)),
      channels_(std::move(channels)),
      on_notify_(std::move(on_notify)),
      log_(std::move(log)) {
  thread_ = std::thread([this] { run(); });
}

NotificationListener::~NotificationListener() { stop(); }

void NotificationListener::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void NotificationListener::run() {
  bool first = true;
  while (!stopping_) {
    try {
      pqxx::connection c(conninfo_);
      std::vector<std::unique_ptr<Receiver>> receivers;
      for (const std::string& ch : channels_) {
        receivers.push_back(std::make_unique<Receiver>(c, ch, on_notify_));
      }
      // After a reconnect, whatever was notified meanwhile is lost: report every channel.
      if (!first) {
        for (const std::string& ch : channels_) on_notify_(ch);
      }
      first = false;
      // Wake up at least every 200 ms to notice stop().
      while (!stopping_) c.await_notification(0, 200'000);
    } catch (const std::exception& e) {
      if (log_) log_(std::string("notification listener: ") + e.what() + "; reconnecting");
      first = false;
      for (int i = 0; i < 10 && !stopping_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
}

}  // namespace conclave::db
