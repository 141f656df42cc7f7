#include "server/store/connection_pool.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"

namespace lift::store {

ConnectionPool::ConnectionPool(std::string connection_string, size_t max_connections)
    : connection_string_(std::move(connection_string)),
      max_connections_(std::max<size_t>(1, max_connections)) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {}

ConnectionPool::Lease::~Lease() {
  if (connection_ != nullptr) pool_->Release(std::move(connection_));
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire(std::chrono::milliseconds wait) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!available_.wait_for(lock, wait,
                             [&] { return !idle_.empty() || open_ < max_connections_; })) {
      return absl::DeadlineExceededError(absl::StrCat(
          "all ", max_connections_, " database connections stayed busy for ", wait.count(), " ms"));
    }
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
    ++open_;  // reserve a slot; open the connection outside the lock
  }
  try {
    return Lease(this, std::make_unique<pqxx::connection>(connection_string_));
  } catch (const std::exception& error) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --open_;
    }
    available_.notify_one();
    return StatusFromDatabaseError(error, "connect to the database");
  }
}

void ConnectionPool::Release(std::unique_ptr<pqxx::connection> connection) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (connection->is_open()) {
      idle_.push_back(std::move(connection));
    } else {
      --open_;  // broken: drop it, a fresh one is opened on demand
    }
  }
  available_.notify_one();
}

absl::Status ConnectionPool::Run(const std::function<absl::Status(pqxx::work&)>& body) {
  auto lease = Acquire();
  if (!lease.ok()) return lease.status();
  try {
    pqxx::work tx(**lease);
    absl::Status status = body(tx);
    if (status.ok()) tx.commit();
    return status;
  } catch (const std::exception& error) {
    if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) {
      (*lease)->disconnect();  // a dead socket must not return to the pool
    }
    return StatusFromDatabaseError(error, "database transaction");
  }
}

absl::Status StatusFromDatabaseError(const std::exception& error, const std::string& what) {
  const std::string message = absl::StrCat(what, ": ", error.what());
  if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr ||
      dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) {
    return absl::UnavailableError(absl::StrCat(what, ": the database is unavailable (", error.what(), ")"));
  }
  if (dynamic_cast<const pqxx::unique_violation*>(&error) != nullptr) {
    return absl::AlreadyExistsError(message);
  }
  if (dynamic_cast<const pqxx::serialization_failure*>(&error) != nullptr ||
      dynamic_cast<const pqxx::deadlock_detected*>(&error) != nullptr) {
    return absl::AbortedError(message);
  }
  if (dynamic_cast<const pqxx::integrity_constraint_violation*>(&error) != nullptr) {
    return absl::FailedPreconditionError(message);
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error); sql != nullptr) {
    // Class 57 (operator intervention, e.g. admin shutdown) and 08 (connection exception).
    const std::string state = sql->sqlstate();
    if (state.rfind("57", 0) == 0 || state.rfind("08", 0) == 0) {
      return absl::UnavailableError(absl::StrCat(what, ": the database is unavailable (", error.what(), ")"));
    }
  }
  return absl::InternalError(message);
}

}  // namespace lift::store
