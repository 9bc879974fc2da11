#pragma once
// Database: the connection pool and the executor together, as the component uses them: SQL work
// submitted from the I/O thread runs on a pooled connection on an executor thread, and its
// result comes back through a callback (see Executor for where that callback runs).
#include <cstddef>
#include <functional>
#include <utility>

#include "db/connection_pool.h"
#include "db/executor.h"

namespace conclave::db {

class Database {
 public:
  // threads == 0: one thread per pooled connection, so no thread waits for a connection.
  explicit Database(PoolOptions options, std::size_t threads = 0)
      : pool_(std::move(options)), executor_(threads == 0 ? pool_.size() : threads) {}

  // async: `work` runs on an executor thread with a pooled connection (ConnectionPool::run
  // rules: one transaction, retried once if the connection was broken); `done` gets its result.
  template <class T>
  void async(std::function<Result<T>(pqxx::connection_base&)> work,
             std::function<void(Result<T>)> done) {
    executor_.submit<T>([this, w = std::move(work)] { return pool_.run<T>(w); }, std::move(done));
  }

  ConnectionPool& pool() noexcept { return pool_; }
  Executor& executor() noexcept { return executor_; }

 private:
  ConnectionPool pool_;
  Executor executor_;  // declared last: destroyed first, so its threads finish before the pool
};

}  // namespace conclave::db
