#pragma once
// SerialQueue: the work of one room (or channel), one item at a time, in arrival order. While a
// blocking store call is out (await), later items wait, so every occupant sees the room's
// events in one order and nothing is acknowledged before it is durable (docs/style.md P9:
// stage, persist, then apply). This is the room's equivalent of a process with a mailbox.
//
// Threading: I/O thread only; `blocking` of await runs on a worker thread (BlockingRunner).
// Lifetime: the queue belongs to its host (the room). bind() gives it a weak reference to the
// host; while an item runs or a store call is out, the queue holds the host alive, so a host the
// service forgot meanwhile (destroyed, empty temporary room) finishes what it started.
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "component/core/blocking_runner.h"

namespace conclave::component {

class SerialQueue {
 public:
  // on_error: a line for the log when a queued item or a continuation throws (a bug: errors are
  // values here); the queue goes on with the next item.
  SerialQueue(BlockingRunner& runner, std::function<void(const std::string&)> on_error)
      : runner_(runner), on_error_(std::move(on_error)) {}
  SerialQueue(const SerialQueue&) = delete;
  SerialQueue& operator=(const SerialQueue&) = delete;

  void bind(std::weak_ptr<void> host) { host_ = std::move(host); }

  // push: `task` runs after every item queued before it, once no store call is out.
  void push(std::function<void()> task) {
    items_.push_back(std::move(task));
    drain();
  }

  // await: called from inside a running item. `blocking` runs on a worker thread, then
  // `then(value)` on the I/O thread; no other item of this queue runs in between, and the host
  // stays alive until `then` has returned.
  template <class T>
  void await(std::function<T()> blocking, std::function<void(T)> then) {
    busy_ = true;
    run_blocking<T>(runner_, std::move(blocking),
                    [this, keep = host_.lock(), then = std::move(then)](T value) {
                      busy_ = false;
                      guarded([&] { then(std::move(value)); }, "a store continuation");
                      drain();
                    });
  }

  // defer: called from inside a running item. `then` runs on the I/O thread after the handler
  // running now returns (BlockingRunner::defer), before any other item of this queue: the item
  // waits one turn of the loop, so the stanzas read with it can queue up behind it.
  void defer(std::function<void()> then) {
    busy_ = true;
    runner_.defer([this, keep = host_.lock(), then = std::move(then)] {
      busy_ = false;
      guarded(then, "a deferred item");
      drain();
    });
  }

  bool busy() const { return busy_; }
  std::size_t size() const { return items_.size(); }

 private:
  void drain() {
    if (draining_) return;  // a completion inside a running item: the outer loop continues
    draining_ = true;
    auto keep = host_.lock();
    while (!busy_ && !items_.empty()) {
      std::function<void()> task = std::move(items_.front());
      items_.pop_front();
      guarded(task, "a queued item");
    }
    draining_ = false;
  }

  template <class F>
  void guarded(F&& f, const char* what) {
    try {
      f();
    } catch (const std::exception& e) {
      if (on_error_) on_error_(std::string(what) + " threw: " + e.what());
    }
  }

  BlockingRunner& runner_;
  std::function<void(const std::string&)> on_error_;
  std::weak_ptr<void> host_;
  std::deque<std::function<void()>> items_;
  bool busy_ = false;
  bool draining_ = false;
};

}  // namespace conclave::component
