#include "db/connection_pool.h"

#include <cassert>
#include <pqxx/pqxx>
#include <utility>

namespace conclave::db {

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), slot_(other.slot_), broken_(other.broken_) {}

ConnectionPool::Lease& ConnectionPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    slot_ = other.slot_;
    broken_ = other.broken_;
  }
  return *this;
}

ConnectionPool::Lease::~Lease() { release(); }

pqxx::connection_base& ConnectionPool::Lease::connection() const {
  assert(pool_ != nullptr && "use of a moved-from Lease");
  return *pool_->slots_[slot_];
}

void ConnectionPool::Lease::release() noexcept {
  if (pool_ != nullptr) std::exchange(pool_, nullptr)->give_back(slot_, broken_);
}

ConnectionPool::ConnectionPool(PoolOptions options) : options_(std::move(options)) {
  if (options_.size == 0) options_.size = 1;
  slots_.resize(options_.size);
  idle_.reserve(options_.size);
  for (std::size_t i = options_.size; i > 0; --i) idle_.push_back(i - 1);
}

ConnectionPool::~ConnectionPool() {
  std::lock_guard lock(mutex_);
  assert(idle_.size() == slots_.size() && "a Lease outlived its ConnectionPool");
}

Result<ConnectionPool::Lease> ConnectionPool::acquire(std::chrono::milliseconds timeout) {
  std::size_t slot = 0;
  {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, timeout, [this] { return !idle_.empty(); })) {
      return fail(Errc::pool_timeout);
    }
    slot = idle_.back();
    idle_.pop_back();
  }
  Lease lease(this, slot);  // from here on the slot returns to the pool on every path
  if (Status s = ensure_open(slot); !s) {
    lease.mark_broken();
    return fail(s.error());
  }
  return lease;
}

// ensure_open runs without the pool lock: connecting takes a round trip or more, and the slot is
// ours alone while leased.
Status ConnectionPool::ensure_open(std::size_t slot) {
  auto& conn = slots_[slot];
  if (conn) {
    try {
      // Reads what the server sent while the connection sat idle, without a round trip. A
      // server that ended this backend (shutdown, pg_terminate_backend) sent a FATAL notice and
      // closed the socket: the first read consumes the notice, the second meets the end of the
      // stream and throws. A connection that died silently is caught by run()'s retry instead.
      conn->get_notifs();
      conn->get_notifs();
      if (conn->is_open()) return {};
    } catch (const pqxx::broken_connection&) {
    }
    conn.reset();
    std::lock_guard lock(mutex_);
    ++discarded_;
  }
  try {
    conn.reset(new pqxx::connection(options_.conninfo));
    if (options_.idle_in_transaction_timeout.count() > 0) {
      pqxx::nontransaction tx(*conn);
      tx.exec("SET idle_in_transaction_session_timeout = " +
              std::to_string(options_.idle_in_transaction_timeout.count()));
    }
    return {};
  } catch (const std::exception& e) {
    conn.reset();
    log(std::string("connect failed: ") + e.what());
    return fail(Errc::connection_failed);
  }
}

void ConnectionPool::CloseConnection::operator()(pqxx::connection_base* c) const noexcept {
  delete static_cast<pqxx::connection*>(c);  // every slot holds a pqxx::connection
}

void ConnectionPool::give_back(std::size_t slot, bool broken) noexcept {
  const bool discard = broken && slots_[slot] != nullptr;
  if (discard) slots_[slot].reset();  // reopened by the next acquire of this slot
  {
    std::lock_guard lock(mutex_);
    if (discard) ++discarded_;
    idle_.push_back(slot);
  }
  freed_.notify_one();
}

Status ConnectionPool::run(const std::function<Status(pqxx::connection_base&)>& work) {
  for (int attempt = 0;; ++attempt) {
    Result<Lease> lease = acquire();
    if (!lease) return fail(lease.error());
    try {
      return work(lease->connection());
    } catch (const pqxx::broken_connection& e) {
      // Raised before a commit was sent (pqxx reports a loss during commit as in_doubt_error),
      // so the transaction did not happen and one retry on a new connection is safe.
      lease->mark_broken();
      log(std::string("connection broken: ") + e.what());
      if (attempt == 1) return fail(Errc::connection_lost);
    } catch (const pqxx::in_doubt_error& e) {
      lease->mark_broken();
      log(std::string("connection lost during commit: ") + e.what());
      return fail(Errc::connection_lost);
    } catch (const std::exception& e) {
      log(std::string("statement failed: ") + e.what());
      return fail(Errc::query_failed);
    }
  }
}

std::size_t ConnectionPool::idle() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

std::size_t ConnectionPool::discarded() const {
  std::lock_guard lock(mutex_);
  return discarded_;
}

void ConnectionPool::log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

}  // namespace conclave::db
