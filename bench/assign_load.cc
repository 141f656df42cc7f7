// assign_load: closed-loop gRPC load against a running liftd, with gRPC's callback client API.
//
// For each concurrency (default 1, 16, 64) it keeps that many calls in flight for --seconds and
// prints QPS and p50/p99 latency of the empty Ping RPC (the baseline: the gRPC round trip alone)
// and of Assign (one unit, one experiment), measured in alternating rounds (--rounds) of the same
// run so background load affects both alike, with the ratio Assign/Ping (goal: >= 0.9). Then
// AssignBatch: --batch-units units per call against 1 and 10 experiments, reporting assignments/s
// (units x experiments; goal: >= 1,000,000/s).
//
// Without --server it starts its own liftd (embedded PostgreSQL in a temporary directory) and
// creates the experiments; with --server it uses that liftd and creates the experiments there if
// they do not exist (keys bench-assign-0 .. bench-assign-9). Every configuration runs for a fixed
// time, so the whole run terminates by itself (about 8 x --seconds plus start-up).
//
//   build/bench/assign_load [--server host:port] [--seconds 3] [--concurrency 1,16,64]
//                           [--batch-units 1000] [--channels 2] [--rounds 6]
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "clients/cpp/lift_client.h"
#include "lift/v1/assignment.grpc.pb.h"
#include "lift/v1/system.grpc.pb.h"
#include "tests/support/liftd_process.h"

namespace lift::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kExperiments = 10;
constexpr int kRequestPool = 1024;

struct Result {
  double qps = 0;  // completed calls per second
  double p50_us = 0;
  double p99_us = 0;
  int64_t errors = 0;
  int64_t calls = 0;
  double seconds = 0;
  std::vector<uint32_t> latencies_us;  // sorted
};

// Combines rounds of the same configuration: calls and time add up, percentiles over all calls.
Result Combine(const std::vector<Result>& rounds) {
  Result total;
  for (const Result& r : rounds) {
    total.calls += r.calls;
    total.errors += r.errors;
    total.seconds += r.seconds;
    total.latencies_us.insert(total.latencies_us.end(), r.latencies_us.begin(),
                              r.latencies_us.end());
  }
  std::sort(total.latencies_us.begin(), total.latencies_us.end());
  if (total.seconds > 0) total.qps = static_cast<double>(total.calls) / total.seconds;
  const auto& all = total.latencies_us;
  if (!all.empty()) {
    total.p50_us = all[all.size() / 2];
    total.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return total;
}

// One closed-loop run: `concurrency` slots, each issuing its next call from the completion of the
// previous one until the deadline. `issue(slot, index, done)` starts call number `index` of a slot
// and must call done(ok) exactly once when it completes.
class ClosedLoop {
 public:
  using Done = std::function<void(bool ok)>;
  using Issue = std::function<void(int slot, int64_t index, Done done)>;

  Result Run(int concurrency, std::chrono::milliseconds duration, const Issue& issue) {
    latencies_.assign(static_cast<size_t>(concurrency), {});
    for (auto& slot : latencies_) slot.reserve(1 << 16);
    errors_ = 0;
    active_ = concurrency;
    issue_ = &issue;
    const auto start = Clock::now();
    deadline_ = start + duration;
    for (int slot = 0; slot < concurrency; ++slot) Next(slot, slot);
    {
      std::unique_lock<std::mutex> lock(mutex_);
      finished_.wait(lock, [&] { return active_ == 0; });
    }
    const double seconds = std::chrono::duration<double>(end_ - start).count();
    std::vector<uint32_t> all;
    for (const auto& slot : latencies_) all.insert(all.end(), slot.begin(), slot.end());
    Result result;
    result.calls = static_cast<int64_t>(all.size());
    result.errors = errors_.load();
    result.seconds = seconds;
    result.latencies_us = std::move(all);
    return Combine({result});
  }

 private:
  void Next(int slot, int64_t index) {
    const auto started = Clock::now();
    (*issue_)(slot, index, [this, slot, index, started](bool ok) {
      const auto now = Clock::now();
      if (ok) {
        latencies_[static_cast<size_t>(slot)].push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - started).count()));
      } else {
        ++errors_;
      }
      if (now < deadline_) {
        Next(slot, index + static_cast<int64_t>(latencies_.size()));
        return;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      end_ = std::max(end_, now);
      if (--active_ == 0) finished_.notify_all();
    });
  }

  const Issue* issue_ = nullptr;
  Clock::time_point deadline_;
  Clock::time_point end_{};
  std::vector<std::vector<uint32_t>> latencies_;  // per slot: no sharing between threads
  std::atomic<int64_t> errors_{0};
  std::mutex mutex_;
  std::condition_variable finished_;
  int active_ = 0;
};

// Per-slot state of unary calls of one method: a fresh ClientContext per call, reused messages.
// Contexts alternate: the previous call's context is not destroyed from inside its own callback.
template <typename Request, typename Response>
struct Slot {
  std::unique_ptr<grpc::ClientContext> contexts[2];
  int64_t calls = 0;
  Response response;
};

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& server, int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one TCP connection per channel
    args.SetInt("lift.bench.channel", i);
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    channels.push_back(grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

template <typename Stub, typename Request, typename Response, typename AsyncCall>
Result RunUnary(const std::vector<std::unique_ptr<Stub>>& stubs, int concurrency,
                std::chrono::milliseconds duration, const std::vector<Request>& requests,
                AsyncCall call) {
  std::vector<Slot<Request, Response>> slots(static_cast<size_t>(concurrency));
  ClosedLoop loop;
  return loop.Run(concurrency, duration, [&](int slot, int64_t index, ClosedLoop::Done done) {
    Slot<Request, Response>& s = slots[static_cast<size_t>(slot)];
    std::unique_ptr<grpc::ClientContext>& context = s.contexts[s.calls++ % 2];
    context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    // --- security: an API key from LIFT_API_KEY, for a liftd with keys required (--server) ---
    static const char* const api_key = std::getenv("LIFT_API_KEY");
    if (api_key != nullptr && *api_key != '\0') {
      context->AddMetadata("authorization", std::string("Bearer ") + api_key);
    }
    // --- end security ---
    Stub& stub = *stubs[static_cast<size_t>(slot) % stubs.size()];
    const Request& request = requests[static_cast<size_t>(index) % requests.size()];
    call(stub, context.get(), &request, &s.response,
         [done = std::move(done)](grpc::Status status) { done(status.ok()); });
  });
}

void PrintRow(const char* rpc, int concurrency, const Result& r, const std::string& extra = "") {
  std::printf("%-12s %11d %12.0f %9.0f %9.0f %8lld  %s\n", rpc, concurrency, r.qps, r.p50_us,
              r.p99_us, static_cast<long long>(r.errors), extra.c_str());
  std::fflush(stdout);
}

// Creates and starts bench-assign-0..9 (50/50, full coverage) unless they exist; waits until
// Assign sees them running.
bool PrepareExperiments(client::Client& client) {
  for (int i = 0; i < kExperiments; ++i) {
    const std::string key = "bench-assign-" + std::to_string(i);
    if (client.GetExperiment(key).ok()) continue;
    v1::Experiment e;
    e.set_key(key);
    e.set_name("assign_load benchmark");
    for (const char* variant : {"control", "treatment"}) {
      v1::Variant* v = e.add_variants();
      v->set_key(variant);
      v->set_weight(0.5);
      v->set_payload(std::string(R"({"variant":")") + variant + "\"}");
    }
    auto created = client.CreateExperiment(e);
    if (!created.ok()) {
      std::fprintf(stderr, "assign_load: cannot create %s: %s\n", key.c_str(),
                   std::string(created.status().message()).c_str());
      return false;
    }
    if (!client.StartExperiment(key).ok()) return false;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    v1::AssignRequest request;
    (*request.mutable_unit()->mutable_attributes())["id"] = "probe";
    request.add_experiment_keys("bench-assign-" + std::to_string(kExperiments - 1));
    auto response = client.Assign(request);
    if (response.ok() && response->assignments(0).reason() == v1::ASSIGNMENT_REASON_SPLIT) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fprintf(stderr, "assign_load: the experiments did not reach the assignment snapshot\n");
  return false;
}

int Main(int argc, char** argv) {
  std::string server;
  double seconds = 3.0;
  std::vector<int> concurrencies = {1, 16, 64};
  int batch_units = 1000;
  int channels_count = 2;
  int rounds = 6;
  CLI::App app{"assign_load: closed-loop gRPC load on Assign/AssignBatch vs Ping"};
  app.add_option("--server", server,
                 "liftd address; empty: start a liftd with embedded PostgreSQL");
  app.add_option("--seconds", seconds, "Duration of each configuration")->capture_default_str();
  app.add_option("--concurrency", concurrencies, "Calls in flight")->delimiter(',');
  app.add_option("--batch-units", batch_units, "Units per AssignBatch call")->capture_default_str();
  app.add_option("--channels", channels_count, "gRPC channels (TCP connections)")
      ->capture_default_str();
  app.add_option("--rounds", rounds, "Alternating Ping/Assign rounds per concurrency")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::unique_ptr<testing::TempDir> data_dir;
  std::unique_ptr<testing::LiftdProcess> liftd;
  if (server.empty()) {
    data_dir = std::make_unique<testing::TempDir>();
    auto started = testing::LiftdProcess::Start(
        {"--data-dir", (data_dir->path() / "data").string(), "--log-level", "warn"});
    if (!started.ok()) {
      std::fprintf(stderr, "assign_load: cannot start liftd: %s\n",
                   std::string(started.status().message()).c_str());
      return 1;
    }
    liftd = std::move(*started);
    server = liftd->address();
  }
  client::ClientOptions client_options;
  client_options.server = server;
  // --- security ---
  if (const char* api_key = std::getenv("LIFT_API_KEY"); api_key != nullptr) {
    client_options.api_key = api_key;
  }
  // --- end security ---
  client::Client client(client_options);
  if (!PrepareExperiments(client)) return 1;

  const auto duration = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  const auto channels = MakeChannels(server, std::max(1, channels_count));
  std::vector<std::unique_ptr<v1::SystemService::Stub>> system_stubs;
  std::vector<std::unique_ptr<v1::AssignmentService::Stub>> assign_stubs;
  for (const auto& channel : channels) {
    system_stubs.push_back(v1::SystemService::NewStub(channel));
    assign_stubs.push_back(v1::AssignmentService::NewStub(channel));
  }

  std::vector<v1::PingRequest> pings(1);
  std::vector<v1::AssignRequest> assigns(kRequestPool);
  for (int i = 0; i < kRequestPool; ++i) {
    (*assigns[static_cast<size_t>(i)].mutable_unit()->mutable_attributes())["id"] =
        "user-" + std::to_string(1000003 * i);
    assigns[static_cast<size_t>(i)].add_experiment_keys("bench-assign-0");
  }

  std::printf("liftd %s, %d channel(s), %.1f s per configuration, %u hardware threads\n",
              server.c_str(), channels_count, seconds, std::thread::hardware_concurrency());
  std::printf("%-12s %11s %12s %9s %9s %8s\n", "rpc", "concurrency", "calls/s", "p50 us", "p99 us",
              "errors");
  // Ping and Assign alternate in short rounds, so that background load on a shared machine hits
  // both alike; each row sums its rounds.
  const auto round = duration / std::max(1, rounds);
  for (int concurrency : concurrencies) {
    std::vector<Result> ping_rounds;
    std::vector<Result> assign_rounds;
    for (int r = 0; r < std::max(1, rounds); ++r) {
      ping_rounds.push_back(RunUnary<v1::SystemService::Stub, v1::PingRequest, v1::PingResponse>(
          system_stubs, concurrency, round, pings,
          [](v1::SystemService::Stub& stub, grpc::ClientContext* context,
             const v1::PingRequest* request, v1::PingResponse* response,
             std::function<void(grpc::Status)> done) {
            stub.async()->Ping(context, request, response, std::move(done));
          }));
      assign_rounds.push_back(
          RunUnary<v1::AssignmentService::Stub, v1::AssignRequest, v1::AssignResponse>(
              assign_stubs, concurrency, round, assigns,
              [](v1::AssignmentService::Stub& stub, grpc::ClientContext* context,
                 const v1::AssignRequest* request, v1::AssignResponse* response,
                 std::function<void(grpc::Status)> done) {
                stub.async()->Assign(context, request, response, std::move(done));
              }));
    }
    const Result ping = Combine(ping_rounds);
    const Result assign = Combine(assign_rounds);
    PrintRow("Ping", concurrency, ping);
    char ratio[64];
    std::snprintf(ratio, sizeof(ratio), "Assign/Ping = %.2f", assign.qps / ping.qps);
    PrintRow("Assign", concurrency, assign, ratio);
  }

  // AssignBatch: batch_units units per call; 1 and 10 experiments per unit.
  std::printf("\n%-12s %11s %12s %9s %9s %8s  %s\n", "rpc", "concurrency", "calls/s", "p50 us",
              "p99 us", "errors", "assignments/s");
  for (int experiments : {1, kExperiments}) {
    std::vector<v1::AssignBatchRequest> batches(8);
    for (size_t b = 0; b < batches.size(); ++b) {
      for (int u = 0; u < batch_units; ++u) {
        (*batches[b].add_units()->mutable_attributes())["id"] =
            "user-" + std::to_string(b * 1000003 + static_cast<size_t>(u) * 7919);
      }
      for (int e = 0; e < experiments; ++e) {
        batches[b].add_experiment_keys("bench-assign-" + std::to_string(e));
      }
    }
    for (int concurrency : {2, 4}) {
      const Result batch =
          RunUnary<v1::AssignmentService::Stub, v1::AssignBatchRequest, v1::AssignBatchResponse>(
              assign_stubs, concurrency, duration, batches,
              [](v1::AssignmentService::Stub& stub, grpc::ClientContext* context,
                 const v1::AssignBatchRequest* request, v1::AssignBatchResponse* response,
                 std::function<void(grpc::Status)> done) {
                stub.async()->AssignBatch(context, request, response, std::move(done));
              });
      char extra[96];
      std::snprintf(extra, sizeof(extra), "%.0f (%d units x %d experiments per call)",
                    batch.qps * batch_units * experiments, batch_units, experiments);
      PrintRow("AssignBatch", concurrency, batch, extra);
    }
  }
  if (liftd != nullptr) liftd->StopWith(SIGTERM);
  return 0;
}

}  // namespace
}  // namespace lift::bench

int main(int argc, char** argv) { return lift::bench::Main(argc, argv); }
