#include "server/experiments/config_watcher.h"

#include <map>
#include <pqxx/pqxx>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"
#include "stats/status_macros.h"

namespace lift::experiments {
namespace {

constexpr char kChannel[] = "lift_config";

// Sets a flag when lift_config is notified (runs inside await_notification, on the watcher thread).
class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& connection, bool* notified)
      : pqxx::notification_receiver(connection, kChannel), notified_(notified) {}
  void operator()(const std::string&, int) override { *notified_ = true; }

 private:
  bool* notified_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const assignment::Snapshot>> BuildSnapshot(const ConfigData& data,
                                                                          std::string* skipped) {
  std::map<std::string, std::vector<Override>> overrides;
  for (const Override& o : data.overrides) overrides[o.experiment_key].push_back(o);

  std::vector<assignment::ExperimentConfig> experiments;
  experiments.reserve(data.experiments.size());
  for (const Experiment& e : data.experiments) {
    const auto it = overrides.find(e.key);
    absl::StatusOr<assignment::ExperimentConfig> config = ToAssignmentConfig(
        e, it == overrides.end() ? absl::Span<const Override>() : absl::MakeConstSpan(it->second));
    absl::Status status = config.ok() ? assignment::ValidateExperiment(*config) : config.status();
    if (!status.ok()) {
      if (skipped != nullptr) {
        absl::StrAppend(skipped, skipped->empty() ? "" : "; ", "experiment \"", e.key,
                        "\": ", status.message());
      }
      continue;
    }
    experiments.push_back(std::move(*config));
  }
  std::vector<assignment::HoldoutConfig> holdouts;
  for (const Holdout& h : data.holdouts) {
    assignment::HoldoutConfig config{h.key, h.share, h.layer};
    if (absl::Status status = assignment::ValidateHoldout(config); !status.ok()) {
      if (skipped != nullptr) {
        absl::StrAppend(skipped, skipped->empty() ? "" : "; ", "holdout \"", h.key,
                        "\": ", status.message());
      }
      continue;
    }
    holdouts.push_back(std::move(config));
  }
  return assignment::Snapshot::Build(experiments, holdouts, data.version);
}

absl::StatusOr<std::unique_ptr<ConfigWatcher>> ConfigWatcher::Start(ConfigWatcherOptions options) {
  std::unique_ptr<ConfigWatcher> watcher(new ConfigWatcher(std::move(options)));
  try {
    pqxx::connection connection(watcher->options_.connection_string);
    watcher->Reload(connection, /*force=*/true);
  } catch (const std::exception& error) {
    return store::StatusFromDatabaseError(error, "load the experiment configuration");
  }
  if (watcher->snapshot() == nullptr) {
    return absl::InvalidArgumentError(
        "the stored experiment configuration cannot be loaded (see the error logged above)");
  }
  watcher->thread_ = std::thread([w = watcher.get()] { w->Run(); });
  return watcher;
}

ConfigWatcher::~ConfigWatcher() { Stop(); }

void ConfigWatcher::Stop() {
  stop_.Stop();
  if (thread_.joinable()) thread_.join();
}

void ConfigWatcher::Reload(pqxx::connection& connection, bool force) {
  const std::shared_ptr<const assignment::Snapshot> current = snapshot();
  if (!force && current != nullptr &&
      ExperimentStore::ReadConfigVersion(connection) == current->version()) {
    return;
  }
  const ConfigData data = ExperimentStore::LoadConfig(connection);
  if (!force && current != nullptr && data.version == current->version()) return;
  std::string skipped;
  absl::StatusOr<std::shared_ptr<const assignment::Snapshot>> built = BuildSnapshot(data, &skipped);
  if (!skipped.empty()) {
    spdlog::error("configuration version {}: left out of the assignment snapshot: {}", data.version,
                  skipped);
  }
  if (!built.ok()) {
    failures_.fetch_add(1);
    spdlog::error("configuration version {} cannot be served, keeping version {}: {}", data.version,
                  current == nullptr ? 0 : current->version(),
                  std::string(built.status().message()));
    return;
  }
  std::atomic_store(&snapshot_, *std::move(built));
  reloads_.fetch_add(1);
  spdlog::debug("assignment snapshot now at configuration version {} ({} experiments)",
                data.version, data.experiments.size());
}

void ConfigWatcher::Run() {
  std::unique_ptr<pqxx::connection> connection;
  std::unique_ptr<Receiver> receiver;
  bool notified = false;
  bool reported_down = false;
  auto next_poll = std::chrono::steady_clock::now() + options_.poll_interval;
  auto disconnect = [&] {
    receiver.reset();
    connection.reset();
    connected_ = false;
  };
  while (!stop_.stopped()) {
    if (connection == nullptr) {
      try {
        connection = std::make_unique<pqxx::connection>(options_.connection_string);
        receiver = std::make_unique<Receiver>(*connection, &notified);  // issues LISTEN
        connected_ = true;
        Reload(*connection, /*force=*/false);  // catch up on changes made while away
        next_poll = std::chrono::steady_clock::now() + options_.poll_interval;
        if (reported_down) spdlog::info("configuration database reachable again");
        reported_down = false;
      } catch (const std::exception& error) {
        disconnect();
        failures_.fetch_add(1);
        if (!reported_down) {
          spdlog::warn(
              "configuration database unreachable, assignment keeps serving version {}: {}",
              version(), error.what());
        }
        reported_down = true;
        if (stop_.SleepOrStop(options_.retry_interval)) break;
        continue;
      }
    }
    try {
      const auto wait = std::chrono::duration_cast<std::chrono::microseconds>(options_.listen_wait);
      connection->await_notification(static_cast<long>(wait.count() / 1'000'000),
                                     static_cast<long>(wait.count() % 1'000'000));
      if (!connection->is_open()) throw pqxx::broken_connection("connection closed");
      const auto now = std::chrono::steady_clock::now();
      if (notified || now >= next_poll) {
        notified = false;
        next_poll = now + options_.poll_interval;
        Reload(*connection, /*force=*/false);
      }
    } catch (const std::exception& error) {
      disconnect();
      failures_.fetch_add(1);
      spdlog::warn("configuration watcher lost its database connection ({}); retrying",
                   error.what());
      reported_down = true;
      if (stop_.SleepOrStop(options_.retry_interval)) break;
    }
  }
  disconnect();
}

}  // namespace lift::experiments
