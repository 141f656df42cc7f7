// A bounded pool of PostgreSQL connections (libpqxx) shared by the stores, with the mapping from
// database failures to absl::Status that every store uses.
//
// Connections are opened lazily, reused, and dropped when found broken, so the pool recovers by
// itself after a database restart. Run() executes a function inside a transaction and maps errors:
//   connection lost / database down        -> Unavailable (safe to retry)
//   unique violation                       -> AlreadyExists
//   serialization failure / deadlock       -> Aborted (retry the whole transaction)
//   check / foreign-key / not-null failure -> FailedPrecondition
//   anything else                          -> Internal (message includes PostgreSQL's)
// Thread-safe.
#ifndef LIFT_SERVER_STORE_CONNECTION_POOL_H_
#define LIFT_SERVER_STORE_CONNECTION_POOL_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <pqxx/connection>
#include <pqxx/transaction>

namespace lift::store {

class ConnectionPool {
 public:
  ConnectionPool(std::string connection_string, size_t max_connections);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A borrowed connection, returned to the pool when destroyed (discarded if it broke).
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pqxx::connection& operator*() const { return *connection_; }
    pqxx::connection* operator->() const { return connection_.get(); }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> connection);
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> connection_;
  };

  // Borrows a connection, opening one if none is idle and fewer than max_connections exist.
  // DeadlineExceeded when all are busy for `wait`; Unavailable when the database cannot be reached.
  absl::StatusOr<Lease> Acquire(std::chrono::milliseconds wait = std::chrono::seconds(10));

  // Runs `body` in a read-write transaction and commits it when `body` returns OK.
  absl::Status Run(const std::function<absl::Status(pqxx::work&)>& body);

  const std::string& connection_string() const { return connection_string_; }

 private:
  void Release(std::unique_ptr<pqxx::connection> connection);

  const std::string connection_string_;
  const size_t max_connections_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  size_t open_ = 0;
};

// Maps an exception thrown by libpqxx (or anything else) to a Status as described above.
// `what` names the operation for the message, e.g. "create experiment 'checkout'".
absl::Status StatusFromDatabaseError(const std::exception& error, const std::string& what);

}  // namespace lift::store

#endif  // LIFT_SERVER_STORE_CONNECTION_POOL_H_
