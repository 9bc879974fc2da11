#pragma once
// parallel_for: run fn(i) for every i in [0, count) on up to `threads` threads (the caller's
// thread is one of them), handing out indices in small batches from a shared counter so that
// uneven items (a blank subtree next to a full one) still spread evenly. Whole-tree validation
// of a joiner uses it (tree_validation.cpp); one call starts and joins its own threads, so
// nothing outlives it and there is no pool to configure or shut down.
//
// fn must be safe to call concurrently for different indices; it must not throw (the MLS code
// reports errors as values, docs/style.md). threads <= 1 runs everything inline, in order.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

namespace conclave::mls {

template <class F>
void parallel_for(std::size_t count, unsigned threads, std::size_t batch, F&& fn) {
  if (batch == 0) batch = 1;
  const std::size_t batches = (count + batch - 1) / batch;
  const std::size_t workers = std::min<std::size_t>(threads == 0 ? 1 : threads, batches);
  if (workers <= 1) {
    for (std::size_t i = 0; i < count; ++i) fn(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (;;) {
      const std::size_t first = next.fetch_add(batch, std::memory_order_relaxed);
      if (first >= count) return;
      const std::size_t end = std::min(count, first + batch);
      for (std::size_t i = first; i < end; ++i) fn(i);
    }
  };
  std::vector<std::jthread> helpers;
  helpers.reserve(workers - 1);
  for (std::size_t t = 1; t < workers; ++t) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the ones running (and this one) do all the items
    }
  }
  work();
  // The jthreads join here; their writes are visible to the caller after the join.
}

}  // namespace conclave::mls
