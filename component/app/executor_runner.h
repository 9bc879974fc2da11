#pragma once
// ExecutorRunner: the production BlockingRunner (component/core/blocking_runner.h). Store calls
// run on the database executor; their continuations come back to the I/O thread.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "component/core/blocking_runner.h"
#include "db/executor.h"

namespace conclave::component {

class ExecutorRunner : public BlockingRunner {
 public:
  ExecutorRunner(db::Executor& executor, boost::asio::io_context& io)
      : executor_(executor), io_(io) {}
  void run(std::function<void()> blocking, std::function<void()> then) override {
    auto b = std::make_shared<std::function<void()>>(std::move(blocking));
    auto t = std::make_shared<std::function<void()>>(std::move(then));
    ++in_flight_;
    if (!executor_.post([this, b, t] {
          (*b)();
          boost::asio::post(io_, [t] { (*t)(); });
          --in_flight_;
        })) {
      --in_flight_;
      // Shutting down: finish here rather than leave the room waiting forever.
      (*b)();
      (*t)();
    }
  }

  void defer(std::function<void()> next) override { boost::asio::post(io_, std::move(next)); }

  // wait_idle: after the I/O loop stopped, waits (bounded) for store calls still running, so
  // none outlives the stores or the io_context it posts to. True if all finished.
  bool wait_idle(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (in_flight_.load() != 0) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

 private:
  db::Executor& executor_;
  boost::asio::io_context& io_;
  std::atomic<int> in_flight_{0};
};

}  // namespace conclave::component
