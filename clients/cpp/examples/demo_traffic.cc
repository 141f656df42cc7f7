// demo_traffic: replays a few weeks of a simulated shop through liftd's real RPCs, for the demo.
//
// Reads a scenario (clients/examples/demo/scenario.yaml): simulated users with a first-seen day,
// who come back on later days with a decaying probability and on each active day start sessions,
// load pages and sometimes buy; experiments that started some days ago, with per-variant
// multipliers on buying and page load time, and optionally a share of a variant's exposures that
// never get logged (a client bug the readout must catch as a sample ratio mismatch).
//
// It starts every draft experiment of the scenario with its first phase backdated, asks Assign
// (AssignBatch) which variant each user gets, and logs exposures (on the user's first active day
// after the start) and events (sessions, page loads, purchases, before and after exposure, so
// CUPED has a pre-period) with LogExposures / LogEvents, retrying on back-pressure. Everything is
// deterministic for a seed and a start instant (event ids derive from the user and a counter), so
// a retried batch is deduplicated by the server.
//
// Usage: demo_traffic --server HOST:PORT --scenario FILE [--users N] [--seed S]
// Exit status: 0 on success, 1 when an RPC keeps failing, 2 on bad usage or a bad scenario.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cpp/lift_client.h"
#include "yaml-cpp/yaml.h"

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
constexpr int kAssignBatch = 5'000;
constexpr int kLogBatch = 5'000;
constexpr int kSenders = 3;

const char* const kCountries[] = {"US", "DE", "GB", "FR", "BR", "IN"};
const double kCountryWeights[] = {0.35, 0.15, 0.15, 0.1, 0.15, 0.1};
const char* const kPlatforms[] = {"ios", "android", "web"};
const double kPlatformWeights[] = {0.35, 0.4, 0.25};

struct VariantBehaviour {
  double purchase = 1.0;        // multiplier on the daily chance to buy
  double page_load = 1.0;       // multiplier on page load times
  double lost_exposures = 0.0;  // share of this variant's exposures never logged
};

struct ScenarioExperiment {
  std::string key;
  double started_days_ago = 0;
  std::map<std::string, VariantBehaviour> variants;  // by variant key; absent = control-like
};

struct Scenario {
  int days = 35;
  int users = 20'000;
  double daily_return = 0.45;
  double purchase_per_day = 0.06;
  double purchase_value = 35.0;
  double page_load_ms = 950.0;
  std::vector<ScenarioExperiment> experiments;
};

// Reads the scenario; InvalidArgument naming the problem.
absl::StatusOr<Scenario> LoadScenario(const std::string& path) {
  Scenario scenario;
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (root["days"]) scenario.days = root["days"].as<int>();
    if (root["users"]) scenario.users = root["users"].as<int>();
    if (YAML::Node base = root["baseline"]) {
      if (base["daily_return"]) scenario.daily_return = base["daily_return"].as<double>();
      if (base["purchase_per_day"]) scenario.purchase_per_day = base["purchase_per_day"].as<double>();
      if (base["purchase_value"]) scenario.purchase_value = base["purchase_value"].as<double>();
      if (base["page_load_ms"]) scenario.page_load_ms = base["page_load_ms"].as<double>();
    }
    for (const YAML::Node& node : root["experiments"]) {
      ScenarioExperiment experiment;
      experiment.key = node["key"].as<std::string>();
      experiment.started_days_ago = node["started_days_ago"].as<double>();
      if (experiment.started_days_ago <= 0 || experiment.started_days_ago >= scenario.days) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": experiments[", experiment.key, "].started_days_ago must be in (0, days)"));
      }
      for (const auto& variant : node["variants"]) {
        VariantBehaviour behaviour;
        const YAML::Node& v = variant.second;
        if (v["purchase"]) behaviour.purchase = v["purchase"].as<double>();
        if (v["page_load"]) behaviour.page_load = v["page_load"].as<double>();
        if (v["lost_exposures"]) behaviour.lost_exposures = v["lost_exposures"].as<double>();
        experiment.variants[variant.first.as<std::string>()] = behaviour;
      }
      scenario.experiments.push_back(std::move(experiment));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  if (scenario.days < 2 || scenario.users < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": days must be >= 2 and users >= 1"));
  }
  return scenario;
}

// Sends batches of exposures and events from a queue on a few threads; retries RESOURCE_EXHAUSTED
// and UNAVAILABLE with back-off (the server deduplicates by event id, so a retry is harmless).
class Sender {
 public:
  explicit Sender(lift::client::Client* client) : client_(client) {
    for (int i = 0; i < kSenders; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~Sender() { Finish().IgnoreError(); }

  void Add(lift::v1::LogExposuresRequest exposures) { Push(Batch{std::move(exposures), {}}); }
  void Add(lift::v1::LogEventsRequest events) { Push(Batch{{}, std::move(events)}); }

  // Waits for every batch; returns the first permanent error.
  absl::Status Finish() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    ready_.notify_all();
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
  }

  int64_t exposures() const { return exposures_; }
  int64_t events() const { return events_; }
  int64_t rejected() const { return rejected_; }

 private:
  struct Batch {
    lift::v1::LogExposuresRequest exposures;
    lift::v1::LogEventsRequest events;
  };

  void Push(Batch batch) {
    std::unique_lock<std::mutex> lock(mutex_);
    space_.wait(lock, [this] { return queue_.size() < 8; });
    queue_.push_back(std::move(batch));
    ready_.notify_one();
  }

  void Run() {
    while (true) {
      Batch batch;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;
        batch = std::move(queue_.front());
        queue_.pop_front();
        space_.notify_one();
      }
      absl::Status status = Send(batch);
      if (!status.ok()) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (error_.ok()) error_ = status;
      }
    }
  }

  absl::Status Send(const Batch& batch) {
    const bool exposures = batch.exposures.exposures_size() > 0;
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<lift::v1::LogResponse> response =
          exposures ? client_->LogExposures(batch.exposures) : client_->LogEvents(batch.events);
      if (response.ok()) {
        (exposures ? exposures_ : events_) += response->accepted() + response->duplicates();
        rejected_ += response->rejected_count();
        if (response->rejected_count() > 0 && response->rejected_size() > 0) {
          std::cerr << "demo_traffic: warning: a row was rejected: "
                    << response->rejected(0).field() << ": " << response->rejected(0).reason()
                    << "\n";
        }
        return absl::OkStatus();
      }
      const absl::StatusCode code = response.status().code();
      const bool retry = code == absl::StatusCode::kResourceExhausted ||
                         code == absl::StatusCode::kUnavailable ||
                         code == absl::StatusCode::kDeadlineExceeded;
      if (!retry || attempt >= 20) return response.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(50 << std::min(attempt, 5)));
    }
  }

  lift::client::Client* client_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable space_;
  std::deque<Batch> queue_;
  bool done_ = false;
  absl::Status error_;
  std::atomic<int64_t> exposures_{0};
  std::atomic<int64_t> events_{0};
  std::atomic<int64_t> rejected_{0};
  std::vector<std::thread> threads_;
};

template <size_t N>
const char* Pick(std::mt19937_64& rng, const char* const (&values)[N], const double (&weights)[N]) {
  std::discrete_distribution<size_t> pick(std::begin(weights), std::end(weights));
  return values[pick(rng)];
}

// Starts each draft experiment of the scenario with its phase backdated; leaves running ones.
absl::Status StartExperiments(lift::client::Client& client, const Scenario& scenario,
                              int64_t now_micros) {
  for (const ScenarioExperiment& e : scenario.experiments) {
    absl::StatusOr<lift::v1::Experiment> experiment = client.GetExperiment(e.key);
    if (!experiment.ok()) return experiment.status();
    if (experiment->status() != lift::v1::EXPERIMENT_STATUS_DRAFT) continue;
    const int64_t started =
        now_micros - static_cast<int64_t>(e.started_days_ago * static_cast<double>(kMicrosPerDay));
    absl::StatusOr<lift::v1::Experiment> result = client.StartExperiment(e.key, 0, started);
    if (!result.ok()) return result.status();
    std::cerr << "demo_traffic: started " << e.key << " (backdated " << e.started_days_ago
              << " days)\n";
  }
  return absl::OkStatus();
}

// Waits until Assign answers every scenario experiment as running (config reaches the snapshot
// within about a second).
absl::Status WaitUntilAssignable(lift::client::Client& client, const Scenario& scenario) {
  lift::v1::AssignRequest probe;
  (*probe.mutable_unit()->mutable_attributes())["id"] = "probe";
  for (const ScenarioExperiment& e : scenario.experiments) probe.add_experiment_keys(e.key);
  for (int attempt = 0; attempt < 150; ++attempt) {
    absl::StatusOr<lift::v1::AssignResponse> response = client.Assign(probe);
    if (!response.ok()) return response.status();
    bool all = true;
    for (const auto& a : response->assignments()) {
      all = all && a.reason() != lift::v1::ASSIGNMENT_REASON_NOT_RUNNING &&
            a.reason() != lift::v1::ASSIGNMENT_REASON_UNKNOWN_EXPERIMENT;
    }
    if (all) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::DeadlineExceededError("the started experiments did not reach Assign within 15 s");
}

struct User {
  std::string id;
  std::string country;
  std::string platform;
  int first_day = 0;
  double activity = 1.0;  // multiplier on the return chance
  double buying = 1.0;    // multiplier on the purchase chance
  double speed = 1.0;     // multiplier on page load times (device and network)
  std::vector<int> variant;  // per scenario experiment: variant index, -1 when not in it
};

int Run(lift::client::Client& client, const Scenario& scenario, uint64_t seed) {
  const int64_t now = absl::ToUnixMicros(absl::Now());
  const int64_t period_start = now - int64_t{scenario.days} * kMicrosPerDay;
  if (absl::Status s = StartExperiments(client, scenario, now); !s.ok()) {
    std::cerr << "demo_traffic: error: " << s << "\n";
    return 1;
  }
  if (absl::Status s = WaitUntilAssignable(client, scenario); !s.ok()) {
    std::cerr << "demo_traffic: error: " << s << "\n";
    return 1;
  }

  std::mt19937_64 rng(seed);
  std::vector<User> users(scenario.users);
  std::uniform_int_distribution<int> first_day(0, scenario.days - 1);
  std::lognormal_distribution<double> speed(0.0, 0.1);
  std::gamma_distribution<double> buying(2.0, 0.5);
  std::uniform_real_distribution<double> activity(0.5, 1.5);
  for (int i = 0; i < scenario.users; ++i) {
    User& u = users[i];
    u.id = absl::StrCat("user-", i);
    u.country = Pick(rng, kCountries, kCountryWeights);
    u.platform = Pick(rng, kPlatforms, kPlatformWeights);
    u.first_day = first_day(rng);
    u.activity = activity(rng);
    u.buying = buying(rng);
    u.speed = speed(rng);
  }

  // Variants from Assign, as a feature-flag service would get them.
  std::vector<std::vector<std::string>> variant_keys(scenario.experiments.size());
  for (int begin = 0; begin < scenario.users; begin += kAssignBatch) {
    lift::v1::AssignBatchRequest request;
    for (const ScenarioExperiment& e : scenario.experiments) request.add_experiment_keys(e.key);
    const int end = std::min(scenario.users, begin + kAssignBatch);
    for (int i = begin; i < end; ++i) {
      auto& attributes = *request.add_units()->mutable_attributes();
      attributes["id"] = users[i].id;
      attributes["country"] = users[i].country;
      attributes["platform"] = users[i].platform;
    }
    absl::StatusOr<lift::v1::AssignBatchResponse> response = client.AssignBatch(request);
    if (!response.ok()) {
      std::cerr << "demo_traffic: error: AssignBatch: " << response.status() << "\n";
      return 1;
    }
    for (size_t j = 0; j < scenario.experiments.size(); ++j) {
      variant_keys[j].assign(response->variants(j).keys().begin(),
                             response->variants(j).keys().end());
    }
    for (int i = begin; i < end; ++i) {
      const auto& answers = response->units(i - begin).assignments();
      users[i].variant.resize(scenario.experiments.size(), -1);
      for (size_t j = 0; j < scenario.experiments.size(); ++j) {
        users[i].variant[j] = answers[j].in_experiment() ? answers[j].variant_index() : -1;
      }
    }
  }

  Sender sender(&client);
  lift::v1::LogExposuresRequest exposures;
  lift::v1::LogEventsRequest events;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::poisson_distribution<int> extra_sessions(0.5);
  std::poisson_distribution<int> extra_pages(2.0);
  std::lognormal_distribution<double> load_noise(-0.045, 0.3);  // mean 1
  const auto started_at = [&](size_t j) {
    return now - static_cast<int64_t>(scenario.experiments[j].started_days_ago *
                                      static_cast<double>(kMicrosPerDay));
  };
  const auto behaviour = [&](const User& u, size_t j) -> const VariantBehaviour* {
    if (u.variant[j] < 0) return nullptr;
    const auto& variants = scenario.experiments[j].variants;
    auto it = variants.find(variant_keys[j][u.variant[j]]);
    return it == variants.end() ? nullptr : &it->second;
  };
  const auto add_event = [&](const User& u, int64_t& seq, const char* name,
                             std::optional<double> value, int64_t ts) {
    lift::v1::MetricEvent* event = events.add_events();
    event->set_event_id(absl::StrCat(u.id, "-", seq++));
    event->set_unit_id(u.id);
    event->set_event(name);
    if (value.has_value()) event->set_value(*value);
    event->set_timestamp_micros(ts);
    (*event->mutable_properties())["country"] = u.country;
    (*event->mutable_properties())["platform"] = u.platform;
    if (events.events_size() >= kLogBatch) {
      sender.Add(std::move(events));
      events = lift::v1::LogEventsRequest();
    }
  };

  const auto wall_start = std::chrono::steady_clock::now();
  for (const User& u : users) {
    std::mt19937_64 urng(seed ^ (std::hash<std::string>()(u.id) * 0x9E3779B97F4A7C15ULL));
    int64_t seq = 0;
    std::vector<bool> exposed(scenario.experiments.size(), false);
    for (int day = u.first_day; day < scenario.days; ++day) {
      const double since = day - u.first_day;
      const double p_return =
          std::min(0.95, scenario.daily_return * u.activity * std::exp(-since / 14.0));
      if (day != u.first_day && unit(urng) >= p_return) continue;
      const int64_t day_start = period_start + int64_t{day} * kMicrosPerDay;
      int64_t ts = day_start + static_cast<int64_t>(unit(urng) * 0.8 * kMicrosPerDay);
      double purchase_factor = 1.0;
      double load_factor = 1.0;
      for (size_t j = 0; j < scenario.experiments.size(); ++j) {
        if (u.variant[j] < 0 || ts < started_at(j)) continue;
        const VariantBehaviour* b = behaviour(u, j);
        if (!exposed[j]) {
          exposed[j] = true;
          if (b == nullptr || unit(urng) >= b->lost_exposures) {
            lift::v1::Exposure* x = exposures.add_exposures();
            x->set_event_id(absl::StrCat(u.id, "-x", j));
            x->set_experiment(scenario.experiments[j].key);
            x->set_variant(variant_keys[j][u.variant[j]]);
            x->set_unit_id(u.id);
            x->set_timestamp_micros(ts);
            (*x->mutable_attributes())["country"] = u.country;
            (*x->mutable_attributes())["platform"] = u.platform;
            if (exposures.exposures_size() >= kLogBatch) {
              sender.Add(std::move(exposures));
              exposures = lift::v1::LogExposuresRequest();
            }
          }
        }
        if (b != nullptr) {
          purchase_factor *= b->purchase;
          load_factor *= b->page_load;
        }
      }
      ts += kMicrosPerSecond;  // behaviour follows the exposure
      const int sessions = 1 + extra_sessions(urng);
      for (int s = 0; s < sessions; ++s) {
        add_event(u, seq, "session", std::nullopt, ts);
        const int pages = 1 + extra_pages(urng);
        for (int p = 0; p < pages; ++p) {
          ts += 20 * kMicrosPerSecond;
          add_event(u, seq, "page_load",
                    scenario.page_load_ms * u.speed * load_factor * load_noise(urng), ts);
        }
        ts += 5 * 60 * kMicrosPerSecond;
      }
      const double p_buy = std::min(0.9, scenario.purchase_per_day * u.buying * purchase_factor);
      if (unit(urng) < p_buy) {
        std::gamma_distribution<double> value(2.0, scenario.purchase_value / 2.0);
        add_event(u, seq, "purchase", std::round(value(urng) * 100.0) / 100.0, ts);
      }
    }
  }
  if (exposures.exposures_size() > 0) sender.Add(std::move(exposures));
  if (events.events_size() > 0) sender.Add(std::move(events));
  absl::Status status = sender.Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (!status.ok()) {
    std::cerr << "demo_traffic: error: logging failed: " << status << "\n";
    return 1;
  }
  std::cout << "demo_traffic: " << scenario.users << " users over " << scenario.days
            << " days: " << sender.exposures() << " exposures and " << sender.events()
            << " events logged in " << absl::StrCat(std::round(seconds * 10) / 10) << " s ("
            << static_cast<int64_t>((sender.exposures() + sender.events()) / std::max(seconds, 1e-3))
            << " rows/s), " << sender.rejected() << " rejected\n";
  return sender.rejected() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Replays simulated shop traffic through liftd for the demo"};
  std::string server = "127.0.0.1:50051";
  std::string scenario_path;
  int users = 0;
  uint64_t seed = 7;
  app.add_option("--server", server, "liftd address")->capture_default_str();
  app.add_option("--scenario", scenario_path, "Scenario YAML (clients/examples/demo/scenario.yaml)")
      ->required();
  app.add_option("--users", users, "Simulated users (default: the scenario's)");
  app.add_option("--seed", seed, "Random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  absl::StatusOr<Scenario> scenario = LoadScenario(scenario_path);
  if (!scenario.ok()) {
    std::cerr << "demo_traffic: error: " << scenario.status().message() << "\n";
    return 2;
  }
  if (users > 0) scenario->users = users;
  lift::client::ClientOptions options;
  options.server = server;
  options.timeout = std::chrono::seconds(60);
  if (const char* key = std::getenv("LIFT_API_KEY")) options.api_key = key;
  lift::client::Client client(options);
  return Run(client, *scenario, seed);
}
