#pragma once
// NotificationListener: LISTENs on PostgreSQL channels from a thread of its own, on a connection
// of its own, and calls `on_notify(channel)` for each notification (on that thread: post it to
// the I/O thread). A notification is a wake-up only (docs/sequencing.md: lost while
// disconnected); the listener reconnects after a failure and then reports every channel once,
// so nothing that happened while it was away is waited on for a whole poll interval.
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace conclave::db {

class NotificationListener {
 public:
  NotificationListener(std::string conninfo, std::vector<std::string> channels,
                       std::function<void(const std::string& channel)> on_notify,
                       std::function<void(const std::string& line)> log = {});
  ~NotificationListener();  // stops and joins the thread
  NotificationListener(const NotificationListener&) = delete;
  NotificationListener& operator=(const NotificationListener&) = delete;

  void stop();

 private:
  void run();

  std::string conninfo_;
  std::vector<std::string> channels_;
  std::function<void(const std::string&)> on_notify_;
  std::function<void(const std::string&)> log_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace conclave::db
