#pragma once
// Executor: a few threads that run blocking work (libpqxx calls) off the XMPP I/O thread
// (docs/architecture.md, Runtime). Callers hand over the work and a completion callback; the
// callback runs on an executor thread and is expected to post the result back to the caller's
// own strand, e.g. `[strand](Result<T> r) { boost::asio::post(strand, [r] { ... }); }`.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "db/result.h"

namespace conclave::db {

class Executor {
 public:
  using Task = std::function<void()>;

  explicit Executor(std::size_t threads);
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  // Runs what is already queued, then joins the threads.
  ~Executor();

  // post: queues `task`. After shutdown() it is dropped and post returns false. A task must not
  // throw (an escaping exception ends the process: it is a bug, not an outcome).
  bool post(Task task);

  // submit: runs `work` on an executor thread and hands its result to `done` there. If the
  // executor is shutting down, `done` receives Errc::shutting_down on the calling thread.
  template <class T>
  void submit(std::function<Result<T>()> work, std::function<void(Result<T>)> done) {
    auto shared_done = std::make_shared<std::function<void(Result<T>)>>(std::move(done));
    if (!post([work = std::move(work), shared_done] { (*shared_done)(work()); })) {
      (*shared_done)(fail(Errc::shutting_down));
    }
  }

  // shutdown: stops accepting work; queued tasks still run. Idempotent.
  void shutdown();
  std::size_t threads() const noexcept { return threads_.size(); }

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace conclave::db
