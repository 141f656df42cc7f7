// soak: bounded mixed traffic against a running liftd, for scripts/soak.
//
// Worker threads send, paced to --rate calls per second in all, a mix of Assign (one unit),
// AssignBatch (100 units), LogExposures and LogEvents (50 rows each), StreamEvents (4 messages of
// 50 rows on one stream), and every --readout-seconds a GetReadout of the soak experiment. Every
// --report-seconds one line: elapsed time, liftd's RSS (VmRSS of /proc/<--liftd-pid>/status, when
// given) and per RPC the calls, errors by status code and p50/p99 latency of that interval. At the
// end a summary table over the whole run. Exit code 1 on any unexpected outcome: an error other
// than RESOURCE_EXHAUSTED (the documented answer to overload, counted separately), an Assign answer
// that differs from the unit's answer at the start, an ingest answer whose counts do not add up, or
// liftd disappearing.
//
// Setup (idempotent, so runs against the same server may repeat): metrics soak_purchases and
// soak_revenue, experiment "soak" (50/50, started). Event ids carry a random run id, so repeated
// runs never collide. The API key comes from --api-key or LIFT_API_KEY (scopes assign, ingest, read
// and, for the setup, admin).
//
//   build/bench/soak --server HOST:PORT [--minutes 10 | --seconds S] [--report-seconds 10]
//                    [--liftd-pid PID] [--rate 300] [--threads 4] [--readout-seconds 20]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/cpp/lift_client.h"

namespace lift::soak {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kExperiment[] = "soak";
constexpr int kUnits = 10'000;    // unit ids soak-u0 .. soak-u9999
constexpr int kBatchUnits = 100;  // AssignBatch
constexpr int kRowsPerCall = 50;  // LogExposures, LogEvents, each stream message
constexpr int kStreamMessages = 4;

enum Rpc {
  kAssign,
  kAssignBatch,
  kLogExposures,
  kLogEvents,
  kStreamEvents,
  kGetReadout,
  kRpcCount
};
constexpr std::array<const char*, kRpcCount> kRpcNames = {
    "Assign", "AssignBatch", "LogExposures", "LogEvents", "StreamEvents", "GetReadout"};
// Relative frequency of each RPC in the workers' mix (GetReadout runs on its own timer).
constexpr std::array<int, kRpcCount> kMixWeights = {50, 5, 15, 15, 5, 0};

// Code names of absl::StatusCode (== grpc::StatusCode), plus kWrongAnswer for checks that failed.
constexpr int kWrongAnswer = 100;
std::string CodeName(int code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  if (code == kWrongAnswer) return "WRONG_ANSWER";
  return code >= 0 && code <= 16 ? kNames[code] : absl::StrCat("CODE_", code);
}
constexpr int kResourceExhausted = static_cast<int>(absl::StatusCode::kResourceExhausted);

// Latencies in buckets 5% wide (1 us .. ~30 min): percentiles within 5%, constant memory.
class Histogram {
 public:
  static constexpr double kGrowth = 1.05;
  static constexpr int kBuckets = 440;
  void Add(double micros) {
    const int bucket =
        micros <= 1
            ? 0
            : std::min(kBuckets - 1, static_cast<int>(std::log(micros) / std::log(kGrowth)));
    ++counts_[bucket];
    ++total_;
    max_ = std::max(max_, micros);
  }
  void Merge(const Histogram& other) {
    for (int b = 0; b < kBuckets; ++b) counts_[b] += other.counts_[b];
    total_ += other.total_;
    max_ = std::max(max_, other.max_);
  }
  // The q-quantile in milliseconds (upper edge of its bucket, at most the maximum); 0 when empty.
  double QuantileMs(double q) const {
    if (total_ == 0) return 0;
    const int64_t rank = static_cast<int64_t>(std::ceil(q * static_cast<double>(total_)));
    int64_t seen = 0;
    for (int b = 0; b < kBuckets; ++b) {
      seen += counts_[b];
      if (seen >= std::max<int64_t>(rank, 1))
        return std::min(std::pow(kGrowth, b + 1), max_) / 1000.0;
    }
    return max_ / 1000.0;
  }
  double MaxMs() const { return max_ / 1000.0; }

 private:
  std::array<int64_t, kBuckets> counts_{};
  int64_t total_ = 0;
  double max_ = 0;
};

struct RpcStats {
  std::map<int, int64_t> codes;  // outcome code -> calls
  Histogram latency;             // of every call, whatever its outcome
  int64_t calls() const {
    int64_t n = 0;
    for (const auto& [code, count] : codes) n += count;
    return n;
  }
  int64_t Count(int code) const {
    auto it = codes.find(code);
    return it == codes.end() ? 0 : it->second;
  }
  void Merge(const RpcStats& other) {
    for (const auto& [code, count] : other.codes) codes[code] += count;
    latency.Merge(other.latency);
  }
};

// Outcomes of the current report interval, and of the whole run. Thread-safe.
class Recorder {
 public:
  void Record(Rpc rpc, int code, Clock::duration latency) {
    std::lock_guard<std::mutex> lock(mutex_);
    RpcStats& stats = interval_[rpc];
    ++stats.codes[code];
    stats.latency.Add(std::chrono::duration<double, std::micro>(latency).count());
  }
  // The interval's stats (merged into the run's), starting a new interval.
  std::array<RpcStats, kRpcCount> TakeInterval() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::array<RpcStats, kRpcCount> taken = interval_;
    for (int r = 0; r < kRpcCount; ++r) total_[r].Merge(interval_[r]);
    interval_ = {};
    return taken;
  }
  std::array<RpcStats, kRpcCount> Total() {
    std::lock_guard<std::mutex> lock(mutex_);
    return total_;
  }

 private:
  std::mutex mutex_;
  std::array<RpcStats, kRpcCount> interval_;
  std::array<RpcStats, kRpcCount> total_;
};

// VmRSS of `pid` in bytes; -1 when unknown (no pid given, or the process is gone).
int64_t ResidentSetBytes(int pid) {
  if (pid <= 0) return -1;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    int64_t kib = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %" SCNd64 " kB", &kib) == 1) return kib * 1024;
  }
  return -1;
}

std::string Mib(int64_t bytes) {
  return bytes < 0 ? "n/a" : absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string UnitId(int unit) { return absl::StrCat("soak-u", unit); }

struct Options {
  std::string server;
  std::string api_key;
  double minutes = 10;
  double seconds = 0;  // overrides minutes when > 0
  double report_seconds = 10;
  double readout_seconds = 20;
  int liftd_pid = 0;
  double rate = 300;
  int threads = 4;
};

// Metrics, experiment, and every unit's answer at the start (what Assign must keep answering).
absl::StatusOr<std::vector<int>> Setup(client::Client& client) {
  v1::ApplyMetricsRequest metrics;
  v1::Metric* purchases = metrics.add_metrics();
  purchases->set_key("soak_purchases");
  purchases->set_name("Soak: purchase conversion");
  purchases->set_owner("soak");
  purchases->set_kind(v1::METRIC_KIND_PROPORTION);
  purchases->mutable_numerator()->set_event("soak_purchase");
  v1::Metric* revenue = metrics.add_metrics();
  revenue->set_key("soak_revenue");
  revenue->set_name("Soak: revenue per unit");
  revenue->set_owner("soak");
  revenue->set_kind(v1::METRIC_KIND_MEAN);
  revenue->mutable_numerator()->set_event("soak_purchase");
  revenue->mutable_numerator()->set_aggregation(v1::AGGREGATION_SUM);
  if (auto applied = client.ApplyMetrics(metrics); !applied.ok()) return applied.status();

  v1::Experiment spec;
  spec.set_key(kExperiment);
  spec.set_name("Soak test traffic");
  for (const char* variant : {"control", "treatment"}) {
    v1::Variant* v = spec.add_variants();
    v->set_key(variant);
    v->set_weight(0.5);
  }
  spec.mutable_metrics()->add_success("soak_purchases");
  spec.mutable_metrics()->add_secondary("soak_revenue");
  if (auto created = client.CreateExperiment(spec);
      !created.ok() && !absl::IsAlreadyExists(created.status())) {
    return created.status();
  }
  if (auto started = client.StartExperiment(kExperiment);
      !started.ok() && !absl::IsFailedPrecondition(started.status())) {
    return started.status();  // FAILED_PRECONDITION: already running (an earlier soak)
  }
  // Wait (up to 30 s) until this server's snapshot has the running experiment.
  v1::AssignBatchRequest all;
  for (int unit = 0; unit < kUnits; ++unit) {
    (*all.add_units()->mutable_attributes())["id"] = UnitId(unit);
  }
  all.add_experiment_keys(kExperiment);
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (true) {
    auto batch = client.AssignBatch(all);
    if (!batch.ok()) return batch.status();
    if (batch->units(0).assignments(0).reason() == v1::ASSIGNMENT_REASON_SPLIT) {
      std::vector<int> variants;
      for (const v1::UnitAssignments& unit : batch->units()) {
        variants.push_back(unit.assignments(0).variant_index());
      }
      return variants;
    }
    if (Clock::now() > deadline) {
      return absl::DeadlineExceededError(
          "experiment 'soak' is not running on the server after 30 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

class Worker {
 public:
  Worker(client::Client& client, Recorder& recorder, const std::vector<int>& variants,
         std::string id_prefix, uint32_t seed)
      : client_(client),
        recorder_(recorder),
        variants_(variants),
        id_prefix_(std::move(id_prefix)),
        random_(seed),
        events_stub_(v1::EventService::NewStub(client.channel())) {}

  void Run(Rpc rpc) {
    const auto start = Clock::now();
    const int code = Call(rpc);
    recorder_.Record(rpc, code, Clock::now() - start);
  }

  Rpc PickRpc() {
    static const int total = [] {
      int sum = 0;
      for (int w : kMixWeights) sum += w;
      return sum;
    }();
    int pick = std::uniform_int_distribution<int>(0, total - 1)(random_);
    for (int r = 0; r < kRpcCount; ++r) {
      if (pick < kMixWeights[r]) return static_cast<Rpc>(r);
      pick -= kMixWeights[r];
    }
    return kAssign;
  }

 private:
  int Unit() { return std::uniform_int_distribution<int>(0, kUnits - 1)(random_); }
  std::string NextId() { return absl::StrCat(id_prefix_, "-", sequence_++); }
  static int CodeOf(const absl::Status& status) { return static_cast<int>(status.code()); }
  // An acknowledgement must account for every row sent.
  static int CheckLog(const absl::StatusOr<v1::LogResponse>& response, int rows) {
    if (!response.ok()) return CodeOf(response.status());
    return response->accepted() + response->duplicates() + response->rejected_count() == rows &&
                   response->rejected_count() == 0
               ? 0
               : kWrongAnswer;
  }

  v1::LogEventsRequest Events(int rows) {
    v1::LogEventsRequest request;
    const int64_t now = NowMicros();
    for (int r = 0; r < rows; ++r) {
      v1::MetricEvent* event = request.add_events();
      event->set_event_id(NextId());
      event->set_unit_id(UnitId(Unit()));
      event->set_event("soak_purchase");
      event->set_value(1 + static_cast<double>(sequence_ % 50));
      event->set_timestamp_micros(now);
    }
    return request;
  }

  int Call(Rpc rpc) {
    switch (rpc) {
      case kAssign: {
        const int unit = Unit();
        v1::AssignRequest request;
        (*request.mutable_unit()->mutable_attributes())["id"] = UnitId(unit);
        request.add_experiment_keys(kExperiment);
        auto response = client_.Assign(request);
        if (!response.ok()) return CodeOf(response.status());
        return response->assignments(0).variant_index() == variants_[unit] ? 0 : kWrongAnswer;
      }
      case kAssignBatch: {
        v1::AssignBatchRequest request;
        std::vector<int> units;
        for (int u = 0; u < kBatchUnits; ++u) {
          units.push_back(Unit());
          (*request.add_units()->mutable_attributes())["id"] = UnitId(units.back());
        }
        request.add_experiment_keys(kExperiment);
        auto response = client_.AssignBatch(request);
        if (!response.ok()) return CodeOf(response.status());
        if (response->units_size() != kBatchUnits) return kWrongAnswer;
        for (int u = 0; u < kBatchUnits; ++u) {
          if (response->units(u).assignments(0).variant_index() != variants_[units[u]]) {
            return kWrongAnswer;
          }
        }
        return 0;
      }
      case kLogExposures: {
        v1::LogExposuresRequest request;
        const int64_t now = NowMicros();
        for (int r = 0; r < kRowsPerCall; ++r) {
          const int unit = Unit();
          v1::Exposure* exposure = request.add_exposures();
          exposure->set_event_id(NextId());
          exposure->set_experiment(kExperiment);
          exposure->set_variant(variants_[unit] == 0 ? "control" : "treatment");
          exposure->set_unit_id(UnitId(unit));
          exposure->set_timestamp_micros(now);
        }
        return CheckLog(client_.LogExposures(request), kRowsPerCall);
      }
      case kLogEvents:
        return CheckLog(client_.LogEvents(Events(kRowsPerCall)), kRowsPerCall);
      case kStreamEvents: {
        grpc::ClientContext context;
        client_.Prepare(context);
        v1::LogResponse response;
        auto writer = events_stub_->StreamEvents(&context, &response);
        for (int m = 0; m < kStreamMessages; ++m) {
          if (!writer->Write(Events(kRowsPerCall))) break;  // Finish says why
        }
        writer->WritesDone();
        const grpc::Status status = writer->Finish();
        if (!status.ok()) return static_cast<int>(status.error_code());
        return CheckLog(response, kRowsPerCall * kStreamMessages);
      }
      case kGetReadout: {
        v1::GetReadoutRequest request;
        request.set_experiment_key(kExperiment);
        return CodeOf(client_.GetReadout(request).status());
      }
      case kRpcCount:
        break;
    }
    return kWrongAnswer;
  }

  client::Client& client_;
  Recorder& recorder_;
  const std::vector<int>& variants_;
  const std::string id_prefix_;
  std::mt19937 random_;
  std::unique_ptr<v1::EventService::Stub> events_stub_;
  int64_t sequence_ = 0;
};

std::string IntervalLine(double elapsed_s, int64_t rss,
                         const std::array<RpcStats, kRpcCount>& stats) {
  std::string line = absl::StrFormat("[%6.0fs] liftd rss %s", elapsed_s, Mib(rss));
  for (int r = 0; r < kRpcCount; ++r) {
    const RpcStats& s = stats[r];
    if (s.calls() == 0) continue;
    absl::StrAppendFormat(&line, " | %s %d p50 %.2f p99 %.2f ms", kRpcNames[r], s.calls(),
                          s.latency.QuantileMs(0.5), s.latency.QuantileMs(0.99));
    for (const auto& [code, count] : s.codes) {
      if (code != 0) absl::StrAppend(&line, " ", CodeName(code), "=", count);
    }
  }
  return line;
}

int Run(const Options& options) {
  client::ClientOptions client_options;
  client_options.server = options.server;
  client_options.api_key = options.api_key;
  client_options.timeout = std::chrono::seconds(60);  // readouts may take seconds
  client::Client client(client_options);
  // The server may still be starting: Ping for up to 30 s.
  for (const auto ping_deadline = Clock::now() + std::chrono::seconds(30);;) {
    auto ping = client.Ping();
    if (ping.ok()) break;
    if (Clock::now() > ping_deadline) {
      std::fprintf(stderr, "soak: error: %s does not answer Ping: %s\n", options.server.c_str(),
                   std::string(ping.status().message()).c_str());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto variants = Setup(client);
  if (!variants.ok()) {
    std::fprintf(stderr, "soak: error: setup failed: %s\n", variants.status().ToString().c_str());
    return 1;
  }

  const double seconds = options.seconds > 0 ? options.seconds : options.minutes * 60;
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::random_device entropy;
  const std::string run_id = absl::StrFormat("soak%08x", entropy());
  std::printf("soak: %s for %.0f s at %.0f calls/s (%d threads), report every %.0f s, run id %s\n",
              options.server.c_str(), seconds, options.rate, options.threads,
              options.report_seconds, run_id.c_str());
  std::fflush(stdout);

  Recorder recorder;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < options.threads; ++t) {
    threads.emplace_back([&, t, seed = entropy()] {
      Worker worker(client, recorder, *variants, absl::StrCat(run_id, "t", t), seed);
      // Paced: call i of this thread is due at start + i / (rate / threads); a thread that falls
      // behind (the server is slower than the rate) sends as fast as its calls return.
      const auto interval = std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(options.threads / std::max(options.rate, 0.001)));
      auto due = Clock::now();
      while (!stop.load() && Clock::now() < end) {
        worker.Run(worker.PickRpc());
        due += interval;
        if (due > Clock::now()) std::this_thread::sleep_until(due);
      }
    });
  }
  threads.emplace_back([&, seed = entropy()] {
    Worker worker(client, recorder, *variants, run_id + "r", seed);
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(options.readout_seconds));
    for (auto due = Clock::now() + interval / 2; !stop.load() && due < end; due += interval) {
      while (!stop.load() && Clock::now() < due)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!stop.load()) worker.Run(kGetReadout);
    }
  });

  const int64_t rss_start = ResidentSetBytes(options.liftd_pid);
  int64_t rss_max = rss_start;
  int64_t rss_last = rss_start;
  bool liftd_gone = false;
  const auto report = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.report_seconds));
  for (auto next = start + report; Clock::now() < end; next += report) {
    while (Clock::now() < std::min(next, end)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    rss_last = ResidentSetBytes(options.liftd_pid);
    if (options.liftd_pid > 0 && rss_last < 0) liftd_gone = true;
    rss_max = std::max(rss_max, rss_last);
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%s\n", IntervalLine(elapsed, rss_last, recorder.TakeInterval()).c_str());
    std::fflush(stdout);
    if (liftd_gone) {
      std::fprintf(stderr, "soak: error: liftd (pid %d) is gone\n", options.liftd_pid);
      stop.store(true);
      break;
    }
  }
  stop.store(true);
  for (auto& thread : threads) thread.join();
  recorder.TakeInterval();
  const std::array<RpcStats, kRpcCount> total = recorder.Total();

  std::printf("\nsoak summary after %.0f s (latencies in ms over the whole run)\n",
              std::chrono::duration<double>(Clock::now() - start).count());
  std::printf("%-13s %10s %10s %10s %10s %8s %8s %9s  %s\n", "rpc", "calls", "ok", "exhausted",
              "unexpected", "p50", "p99", "max", "unexpected by code");
  int64_t unexpected_total = 0;
  for (int r = 0; r < kRpcCount; ++r) {
    const RpcStats& s = total[r];
    const int64_t ok = s.Count(0);
    const int64_t exhausted = s.Count(kResourceExhausted);
    const int64_t unexpected = s.calls() - ok - exhausted;
    unexpected_total += unexpected;
    std::string by_code;
    for (const auto& [code, count] : s.codes) {
      if (code != 0 && code != kResourceExhausted) {
        absl::StrAppend(&by_code, by_code.empty() ? "" : " ", CodeName(code), "=", count);
      }
    }
    std::printf("%-13s %10" PRId64 " %10" PRId64 " %10" PRId64 " %10" PRId64
                " %8.2f %8.2f %9.2f  %s\n",
                kRpcNames[r], s.calls(), ok, exhausted, unexpected, s.latency.QuantileMs(0.5),
                s.latency.QuantileMs(0.99), s.latency.MaxMs(), by_code.c_str());
  }
  std::printf("liftd rss: start %s, end %s, max %s\n", Mib(rss_start).c_str(),
              Mib(rss_last).c_str(), Mib(rss_max).c_str());
  if (unexpected_total > 0 || liftd_gone) {
    std::printf("soak: FAILED: %" PRId64 " unexpected outcomes%s\n", unexpected_total,
                liftd_gone ? ", liftd disappeared" : "");
    return 1;
  }
  std::printf("soak: OK (no unexpected errors)\n");
  return 0;
}

}  // namespace
}  // namespace lift::soak

int main(int argc, char** argv) {
  lift::soak::Options options;
  CLI::App app{"soak: bounded mixed traffic against a running liftd (see bench/soak.cc)"};
  app.add_option("--server", options.server, "liftd address host:port")->required();
  app.add_option("--api-key", options.api_key, "API key (default: LIFT_API_KEY)");
  app.add_option("--minutes", options.minutes, "duration in minutes")->capture_default_str();
  app.add_option("--seconds", options.seconds, "duration in seconds (overrides --minutes)");
  app.add_option("--report-seconds", options.report_seconds, "seconds between status lines")
      ->capture_default_str();
  app.add_option("--readout-seconds", options.readout_seconds, "seconds between GetReadout calls")
      ->capture_default_str();
  app.add_option("--liftd-pid", options.liftd_pid, "pid of a local liftd, for its RSS");
  app.add_option("--rate", options.rate, "calls per second over all worker threads")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--threads", options.threads, "worker threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (options.api_key.empty()) {
    if (const char* key = std::getenv("LIFT_API_KEY"); key != nullptr) options.api_key = key;
  }
  return lift::soak::Run(options);
}
