// ExperimentStore: every SQL statement of the experiment configuration (tables of
// migrations/0002_experiments.up.sql), parameterised, over store::ConnectionPool.
//
// Writes happen inside Transact(), which opens one read-write transaction, first locks the
// `config_version` row (serialising configuration changes, so concurrent writers cannot deadlock
// and layer-overlap checks cannot race), and commits only when the body returns OK. The tables'
// triggers bump config_version and NOTIFY lift_config in that transaction, so readers (the
// ConfigWatcher) see the change when it commits. Reads outside Transact run in their own short
// transactions; LoadConfig reads a consistent (REPEATABLE READ) picture for the assignment
// snapshot.
//
// Errors: database failures are mapped by store::StatusFromDatabaseError (Unavailable when the
// database is down, AlreadyExists on a unique violation, FailedPrecondition on a check or foreign
// key violation, Internal otherwise); "not found" is an empty optional, not an error.
//
// Thread safety: thread-safe (each call borrows its own connection); a Transaction belongs to the
// thread running the Transact body.
#ifndef LIFT_SERVER_EXPERIMENTS_EXPERIMENT_STORE_H_
#define LIFT_SERVER_EXPERIMENTS_EXPERIMENT_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/experiments/experiment.h"
#include "server/store/connection_pool.h"

namespace lift::experiments {

struct ExperimentFilter {
  std::optional<ExperimentStatus> status;  // nullopt: any
  std::string tag;                         // empty: any
  std::string owner;                       // empty: any
};

// Everything the assignment snapshot is built from, read at one instant.
struct ConfigData {
  int64_t version = 0;                  // config_version at that instant
  std::vector<Experiment> experiments;  // every experiment but archived ones, by key (no phases)
  std::vector<Override> overrides;      // of those experiments
  std::vector<Holdout> holdouts;        // by key
};

class ExperimentStore {
 public:
  // `pool` must outlive the store.
  explicit ExperimentStore(store::ConnectionPool* pool) : pool_(pool) {}

  // One read-write transaction holding the configuration lock. Each method runs one or two
  // statements. A failing statement throws (libpqxx) out of the body, and Transact maps it with
  // StatusFromDatabaseError and rolls back; the Status results carry the store's own errors.
  class Transaction {
   public:
    // The transaction's timestamp (PostgreSQL now()), Unix epoch microseconds: every row written
    // in the transaction carries it.
    int64_t now_micros() const { return now_micros_; }

    // The experiment with its phases, locked until commit; nullopt when absent.
    absl::StatusOr<std::optional<Experiment>> LockExperiment(std::string_view key);
    // Inserts a new experiment row (every column from `experiment`).
    absl::Status InsertExperiment(const Experiment& experiment);
    // Rewrites every column of the experiment row `experiment.key` (not its phases).
    absl::Status UpdateExperiment(const Experiment& experiment);
    // Inserts a phase row, or updates ended_at and coverage of an existing one.
    absl::Status InsertPhase(std::string_view experiment_key, const Phase& phase);
    absl::Status UpdatePhase(std::string_view experiment_key, const Phase& phase);
    // Running experiments of `layer` (no phases), by slice start.
    absl::StatusOr<std::vector<Experiment>> RunningInLayer(std::string_view layer);
    // The layer, locked until commit (FOR SHARE), or nullopt.
    absl::StatusOr<std::optional<Layer>> LockLayer(std::string_view key);
    absl::Status InsertLayer(const Layer& layer);
    absl::StatusOr<std::optional<Override>> FindOverride(std::string_view experiment_key,
                                                         std::string_view unit_id);
    absl::Status UpsertOverride(const Override& override_spec);
    absl::Status DeleteOverride(std::string_view experiment_key, std::string_view unit_id);
    absl::StatusOr<int64_t> CountOverrides(std::string_view experiment_key);
    // Distinct variant keys that have overrides in the experiment.
    absl::StatusOr<std::vector<std::string>> OverriddenVariants(std::string_view experiment_key);
    absl::StatusOr<std::optional<Holdout>> FindHoldout(std::string_view key);
    absl::Status InsertHoldout(const Holdout& holdout);
    absl::Status DeleteHoldout(std::string_view key);
    // Appends an audit_log row. `before`/`after` are JSON documents; null JSON stores SQL NULL.
    absl::Status Audit(const std::string& actor, const std::string& action,
                       const std::string& entity_type, const std::string& entity_key,
                       const nlohmann::json& before, const nlohmann::json& after);

   private:
    friend class ExperimentStore;
    Transaction(pqxx::work& work, int64_t now_micros) : work_(work), now_micros_(now_micros) {}
    pqxx::work& work_;
    int64_t now_micros_;
  };

  // Runs `body` in one transaction as described above; commits when it returns OK. Returns the
  // body's status, or the mapped database error.
  absl::Status Transact(const std::function<absl::Status(Transaction&)>& body);

  // Reads.
  absl::StatusOr<std::optional<Experiment>> FindExperiment(std::string_view key);
  // Up to `limit` experiments with key > `after_key`, by key, with phases.
  absl::StatusOr<std::vector<Experiment>> ListExperiments(const ExperimentFilter& filter,
                                                          std::string_view after_key, int limit);
  absl::StatusOr<std::vector<Override>> ListOverrides(std::string_view experiment_key);
  // Layers by key, each with its running experiments' slices.
  absl::StatusOr<std::vector<Layer>> ListLayers();
  absl::StatusOr<std::vector<Holdout>> ListHoldouts();

  // The configuration version and everything the assignment snapshot needs, in one REPEATABLE
  // READ, READ ONLY transaction on `connection` (the ConfigWatcher's own). Throws what libpqxx
  // throws; the caller maps it.
  static ConfigData LoadConfig(pqxx::connection& connection);
  // SELECT version FROM config_version on `connection`. Throws what libpqxx throws.
  static int64_t ReadConfigVersion(pqxx::connection& connection);

 private:
  store::ConnectionPool* pool_;
};

}  // namespace lift::experiments

#endif  // LIFT_SERVER_EXPERIMENTS_EXPERIMENT_STORE_H_
