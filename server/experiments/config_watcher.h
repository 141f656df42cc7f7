// ConfigWatcher: keeps the current assignment snapshot (assignment/snapshot.h) in memory and
// follows configuration changes, so that Assign reads memory only.
//
// A background thread holds its own PostgreSQL connection, LISTENs on channel `lift_config`
// (NOTIFYed by the configuration tables' triggers when a change commits, migrations/0002) and
// reloads when notified; every `poll_interval` it also compares `config_version` with the loaded
// version, as a safety net for missed notifications. A reload reads everything in one REPEATABLE
// READ transaction (ExperimentStore::LoadConfig), builds a new immutable Snapshot and publishes it
// with std::atomic_store; readers take it with std::atomic_load and keep it alive as long as they
// use it.
//
// Failure behaviour: when the database is unreachable the watcher keeps serving the last snapshot,
// reconnects every `retry_interval`, and reloads as soon as the database answers again. An
// experiment that fails validation (it cannot: the service validates before storing) is left out of
// the snapshot with an error log; if the whole configuration is still rejected (e.g. overlapping
// layer slices written by hand), the previous snapshot stays.
//
// Thread safety: snapshot() and the counters are safe from any thread, lock-free; Start/Stop from
// one thread.
#ifndef LIFT_SERVER_EXPERIMENTS_CONFIG_WATCHER_H_
#define LIFT_SERVER_EXPERIMENTS_CONFIG_WATCHER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/assignment/snapshot.h"
#include "server/experiments/experiment_store.h"
#include "server/stop_signal.h"

namespace lift::experiments {

struct ConfigWatcherOptions {
  std::string connection_string;                   // libpq connection string or URL
  std::chrono::milliseconds poll_interval{5000};   // compare config_version this often
  std::chrono::milliseconds retry_interval{1000};  // reconnect this often while down
  std::chrono::milliseconds listen_wait{200};      // longest wait for a notification
};

// Builds a snapshot from stored configuration: experiments that fail validation are skipped
// (named in `*skipped` when given). InvalidArgument when the rest still does not build.
absl::StatusOr<std::shared_ptr<const assignment::Snapshot>> BuildSnapshot(
    const ConfigData& data, std::string* skipped = nullptr);

class ConfigWatcher {
 public:
  // Loads the first snapshot (Unavailable when the database cannot be reached, InvalidArgument
  // when the stored configuration cannot be built) and starts the watching thread.
  static absl::StatusOr<std::unique_ptr<ConfigWatcher>> Start(ConfigWatcherOptions options);

  ~ConfigWatcher();  // Stop()
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

  // The current snapshot; never null after Start. Lock-free.
  std::shared_ptr<const assignment::Snapshot> snapshot() const {
    return std::atomic_load(&snapshot_);
  }

  // Version of the current snapshot (config_version when it was loaded).
  int64_t version() const { return snapshot()->version(); }

  // Number of snapshots published (the first load included), and of failed reload attempts.
  int64_t reloads() const { return reloads_.load(); }
  int64_t failures() const { return failures_.load(); }
  // Whether the watcher currently holds a working connection.
  bool connected() const { return connected_.load(); }

  // Stops the thread (wakes it, joins). Idempotent.
  void Stop();

 private:
  explicit ConfigWatcher(ConfigWatcherOptions options) : options_(std::move(options)) {}
  void Run();
  // Loads and publishes a snapshot from `connection` if its version differs from the current one
  // (or unconditionally when `force`). Throws what libpqxx throws.
  void Reload(pqxx::connection& connection, bool force);

  const ConfigWatcherOptions options_;
  std::shared_ptr<const assignment::Snapshot> snapshot_;  // atomic_load / atomic_store only
  std::atomic<int64_t> reloads_{0};
  std::atomic<int64_t> failures_{0};
  std::atomic<bool> connected_{false};
  StopSignal stop_;
  std::thread thread_;
};

}  // namespace lift::experiments

#endif  // LIFT_SERVER_EXPERIMENTS_CONFIG_WATCHER_H_
