#pragma once
// ConnectionPool: a fixed number of PostgreSQL connections shared by the database threads.
// Only db/ sees pqxx: callers outside it get repositories, never a connection (docs/style.md P2).
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "db/result.h"

namespace pqxx {
class connection_base;
}  // namespace pqxx

namespace conclave::db {

struct PoolOptions {
  std::string conninfo;  // libpq connection string or URI
  std::size_t size = 4;  // connections, opened lazily on first use
  std::chrono::milliseconds acquire_timeout{5000};
  Log log = {};  // server messages of failures; optional
  // The server ends a session that sits in an open transaction this long (PostgreSQL
  // idle_in_transaction_session_timeout), releasing its locks: a client cut off in the middle
  // of a transaction must not hold rows others need (the lease rows at a takeover,
  // docs/cluster.md §3). 0: the server's setting.
  std::chrono::milliseconds idle_in_transaction_timeout{0};
};

class ConnectionPool {
 public:
  // Lease: exclusive use of one pooled connection until destroyed. Move-only; must not outlive
  // its pool.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    pqxx::connection_base& connection() const;
    // mark_broken: the connection must not be reused; the pool opens a new one in its place.
    void mark_broken() noexcept { broken_ = true; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::size_t slot) noexcept : pool_(pool), slot_(slot) {}
    void release() noexcept;

    ConnectionPool* pool_ = nullptr;
    std::size_t slot_ = 0;
    bool broken_ = false;
  };

  explicit ConnectionPool(PoolOptions options);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  // Every Lease must have been destroyed before the pool.
  ~ConnectionPool();

  // acquire: a live connection, waiting up to the timeout for one to be free. A connection
  // found closed by the server (e.g. after a PostgreSQL restart) is replaced by a new one.
  // Errors: pool_timeout, connection_failed.
  Result<Lease> acquire() { return acquire(options_.acquire_timeout); }
  Result<Lease> acquire(std::chrono::milliseconds timeout);

  // run: acquires a connection and calls `work` with it. `work` must be one transaction (or
  // read-only): if the connection turns out to be broken before it commits, the server has
  // rolled it back, so run retries once on a fresh connection. Exceptions from `work` become
  // errors: connection_lost (broken twice, or lost during commit: outcome unknown),
  // query_failed (any other exception); `work`'s own error is returned as is.
  Status run(const std::function<Status(pqxx::connection_base&)>& work);

  template <class T>
  Result<T> run(const std::function<Result<T>(pqxx::connection_base&)>& work) {
    std::optional<Result<T>> out;
    Status s = run([&](pqxx::connection_base& c) -> Status {
      out.emplace(work(c));
      if (!*out) return fail(out->error());
      return {};
    });
    if (!s) return fail(s.error());
    return std::move(*out);
  }

  std::size_t size() const noexcept { return slots_.size(); }
  std::size_t idle() const;
  // discarded: connections dropped as broken since construction (each is replaced by a new one
  // on the next acquire of its slot); for tests and metrics.
  std::size_t discarded() const;

 private:
  void give_back(std::size_t slot, bool broken) noexcept;
  Status ensure_open(std::size_t slot);
  void log(const std::string& line) const;

  // The concrete pqxx::connection is a template alias that cannot be forward-declared, and
  // connection_base has no virtual destructor: the deleter (in the .cpp) knows the real type.
  struct CloseConnection {
    void operator()(pqxx::connection_base* c) const noexcept;
  };

  PoolOptions options_;
  std::vector<std::unique_ptr<pqxx::connection_base, CloseConnection>> slots_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::size_t> idle_;  // slots free to lease, used LIFO so warm connections go first
  std::size_t discarded_ = 0;
};

}  // namespace conclave::db
