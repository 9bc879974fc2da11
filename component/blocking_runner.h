#pragma once
// BlockingRunner: runs a blocking store call away from the XMPP I/O thread and continues on it
// (docs/architecture.md, Runtime). The production runner (ExecutorRunner, main.cpp) runs
// `blocking` on the database executor and posts `then` back to the io_context; unit tests run
// both inline.
#include <functional>
#include <memory>
#include <optional>
#include <utility>

namespace conclave::component {

class BlockingRunner {
 public:
  virtual ~BlockingRunner() = default;
  // run: `blocking` on a worker thread, then `then` on the I/O thread. Both always run, in order.
  virtual void run(std::function<void()> blocking, std::function<void()> then) = 0;
  // defer: `next` on the I/O thread after the handler running now returns (so after the rest
  // of the stanzas read with the current one have been queued). Lets a room wait one turn of
  // the loop before starting a group commit. The default runs it at once.
  virtual void defer(std::function<void()> next) { next(); }
};

// run_blocking: `work`'s value handed to `done` on the I/O thread.
template <class R>
void run_blocking(BlockingRunner& runner, std::function<R()> work, std::function<void(R)> done) {
  auto slot = std::make_shared<std::optional<R>>();
  runner.run([slot, w = std::move(work)] { slot->emplace(w()); },
             [slot, d = std::move(done)] { d(std::move(**slot)); });
}

}  // namespace conclave::component
