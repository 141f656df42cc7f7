// MetricStore: every SQL statement of the metric catalogue (metric_definitions of
// migrations/0004_metrics.up.sql), parameterised, over store::ConnectionPool.
//
// Rows are immutable: a change inserts the next version. Transact() runs a body in one read-write
// transaction; Lock() takes a transaction-level advisory lock per metric key so two concurrent
// applies of the same key cannot both write version N+1 (the loser would otherwise fail on the
// primary key).
//
// Errors: database failures mapped by store::StatusFromDatabaseError (Unavailable when down);
// "not found" is an empty optional.
//
// Thread safety: thread-safe (each call borrows its own connection).
#ifndef LIFT_SERVER_METRICS_METRIC_STORE_H_
#define LIFT_SERVER_METRICS_METRIC_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "server/metrics/metric.h"
#include "server/store/connection_pool.h"

namespace lift::metrics {

class MetricStore {
 public:
  // `pool` must outlive the store.
  explicit MetricStore(store::ConnectionPool* pool) : pool_(pool) {}

  class Transaction {
   public:
    // Serialises writers of `key` until commit (pg_advisory_xact_lock).
    void Lock(const std::string& key);
    // The latest version of `key`, or nullopt.
    std::optional<MetricDefinition> Latest(const std::string& key);
    // Inserts `metric` (with its version) as created now by `actor`; returns created_at micros.
    int64_t Insert(const MetricDefinition& metric, const std::string& actor);
    void Audit(const std::string& actor, const std::string& action, const std::string& key,
               const nlohmann::json& before, const nlohmann::json& after);

   private:
    friend class MetricStore;
    explicit Transaction(pqxx::work& work) : work_(work) {}
    pqxx::work& work_;
  };

  // Runs `body` in one transaction; commits when it returns OK. Library exceptions thrown by the
  // Transaction methods are mapped to a Status.
  absl::Status Transact(const std::function<absl::Status(Transaction&)>& body);

  // `version` 0 = latest.
  absl::StatusOr<std::optional<MetricDefinition>> Find(const std::string& key, int64_t version);
  // Latest version of every metric (of `tier` when not empty), by key.
  absl::StatusOr<std::vector<MetricDefinition>> ListLatest(const std::string& tier);
  // Every version of `key`, oldest first (empty when unknown).
  absl::StatusOr<std::vector<MetricDefinition>> ListVersions(const std::string& key);

 private:
  store::ConnectionPool* pool_;
};

}  // namespace lift::metrics

#endif  // LIFT_SERVER_METRICS_METRIC_STORE_H_
