// ingest_load: end-to-end ingest throughput of liftd against a raw COPY baseline, in one run, on
// the same database and table layout (indexes included).
//
// It starts its own PostgreSQL (fsync on: acknowledged means durable) and a liftd binary against
// it, then, for metric events and for exposures (`--kind events|exposures|both`), sends the same
// number of rows two ways, into separate (fresh) daily partitions so neither phase inherits the
// other's index size:
//   baseline  COPY (pqxx::stream_to) straight into metric_events / exposures from
//             --copy-connections connections, 20,000 rows per transaction;
//   liftd     --clients concurrent closed-loop clients sending LogEvents / LogExposures batches
//             of --batch rows; a row counts once its RPC returned OK (committed). For exposures
//             liftd also validates experiment and variant against its configuration, writes the
//             flush's first-exposure backlog row, and folds it into first_exposures later (the raw
//             COPY does none of this); the bench then times the fold a readout would run first
//             and prints the rate with the fold included too.
// Before each timed phase the tables are vacuumed and analysed and a checkpoint is taken, so no
// phase pays for the previous one's background work.
// Both are run in --rounds rounds (COPY, then liftd, each round with its own units and days), so
// the two see the same background load; this machine's throughput drifts by 10-30 % between
// minutes, so one pair of runs says little. Prints per round rows/s for both, the ratio
// liftd / COPY and p50/p99 acknowledgement latency, then the median and range of the rounds'
// ratios and the p99 over all rounds (goal, issue 5: >= 0.5x COPY and p99 < 50 ms for batches of
// 1,000 rows). Bounded: each phase sends --rows rows, then everything is stopped and removed.
//
//   build/bench/ingest_load [--rows 300000] [--clients 8] [--batch 1000] [--kind both] [--rounds 3]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <pqxx/pqxx>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lift/v1/events.grpc.pb.h"
#include "lift/v1/experiments.grpc.pb.h"
#include "lift/v1/system.grpc.pb.h"
#include "server/embedded_pg/embedded_postgres.h"
#include "server/embedded_pg/process.h"
#include "server/ingest/first_exposure_backlog.h"
#include "server/ingest/partition_manager.h"
#include "server/store/connection_pool.h"
#include "server/store/migrations.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kDayMicros = 86400LL * 1000000;
// Rounds go forward from here, 8 days each; row validation refuses timestamps after now + 24 h.
constexpr int64_t kBaselineStart = 1767225600LL * 1000000;  // 2026-01-01T00:00:00Z
constexpr int kDaysPerPhase = 3;
constexpr int64_t kPhaseSpacing = 4 * kDayMicros;  // phases never share a daily partition
constexpr int64_t kCopyRowsPerTransaction = 20'000;
constexpr int64_t kUnits = 100'000;
constexpr char kExperiment[] = "ingest-bench";

// What a phase sends: metric events or exposures (of kExperiment, variant by unit).
enum class Kind { kEvents, kExposures };

// Where and what one timed phase writes: its own days (fresh partitions) and, per round, its own
// units and event ids, so every round does the same work (the fold finds only new units).
struct Phase {
  int round = 0;
  bool liftd = false;
  int64_t start() const { return kBaselineStart + (2 * round + (liftd ? 1 : 0)) * kPhaseSpacing; }
  std::string UnitOf(int64_t i) const { return absl::StrCat("r", round, "-u", i % kUnits); }
  std::string EventIdOf(int64_t i) const {
    return absl::StrCat(liftd ? "rpc-" : "copy-", round, "-", i);
  }
};

std::string VariantOf(int64_t i) { return (i % kUnits) % 2 == 0 ? "control" : "treatment"; }

int64_t TimestampFor(int64_t phase_start, int64_t i) {
  return phase_start + (i % kDaysPerPhase) * kDayMicros + (i / kDaysPerPhase) % kDayMicros;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(q * values.size()))];
}

std::string TimestampLiteral(int64_t micros) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

// Phase 1: raw COPY of `rows` rows from `connections` threads.
double RunCopyBaseline(const std::string& cs, const Phase& phase, Kind kind, int64_t rows,
                       int connections) {
  std::atomic<int64_t> next{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&] {
      pqxx::connection conn(cs);
      while (true) {
        const int64_t first = next.fetch_add(kCopyRowsPerTransaction);
        if (first >= rows) return;
        const int64_t end = std::min(rows, first + kCopyRowsPerTransaction);
        pqxx::work tx(conn);
        if (kind == Kind::kEvents) {
          pqxx::stream_to stream(tx, "metric_events",
                                 std::vector<std::string>{"unit_id", "event_name", "event_id", "ts", "value"});
          for (int64_t i = first; i < end; ++i) {
            stream << std::make_tuple(phase.UnitOf(i), std::string("purchase"), phase.EventIdOf(i),
                                      TimestampLiteral(TimestampFor(phase.start(), i)),
                                      1.0 + static_cast<double>(i % 7));
          }
          stream.complete();
        } else {
          pqxx::stream_to stream(tx, "exposures",
                                 std::vector<std::string>{"unit_id", "experiment_key", "event_id", "ts",
                                                          "phase", "variant_key"});
          for (int64_t i = first; i < end; ++i) {
            stream << std::make_tuple(phase.UnitOf(i), std::string(kExperiment), phase.EventIdOf(i),
                                      TimestampLiteral(TimestampFor(phase.start(), i)), 1,
                                      VariantOf(i));
          }
          stream.complete();
        }
        tx.commit();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return static_cast<double>(rows) / Seconds(Clock::now() - start);
}

// Starts each timed phase from the same state: the previous phase's rows analysed and vacuumed
// (so autovacuum does not wake up on them during the next phase) and its dirty pages written out.
void Quiesce(const std::string& cs) {
  pqxx::connection conn(cs);
  pqxx::nontransaction tx(conn);
  tx.exec0("VACUUM ANALYZE exposures, metric_events, first_exposures");
  tx.exec0("CHECKPOINT");
}

struct LoadResult {
  double rows_per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t errors = 0;
  std::vector<double> latencies_ms;
};

// Phase 2: closed-loop LogEvents / LogExposures clients.
LoadResult RunLiftdLoad(const std::string& address, const Phase& phase, Kind kind, int64_t rows,
                        int clients, int batch) {
  std::atomic<int64_t> next_batch{0};
  const int64_t batches = (rows + batch - 1) / batch;
  std::mutex mutex;
  std::vector<double> latencies_ms;
  std::atomic<int64_t> errors{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      grpc::ChannelArguments args;
      args.SetInt("lift.bench.client", c);  // distinct channels: one connection per client
      auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
      auto stub = lift::v1::EventService::NewStub(channel);
      std::vector<double> mine;
      while (true) {
        const int64_t b = next_batch.fetch_add(1);
        if (b >= batches) break;
        const int64_t first = b * batch;
        const int64_t end = std::min(rows, (b + 1) * batch);
        lift::v1::LogResponse response;
        grpc::ClientContext context;
        grpc::Status status;
        Clock::time_point sent;
        if (kind == Kind::kEvents) {
          lift::v1::LogEventsRequest request;
          for (int64_t i = first; i < end; ++i) {
            auto* event = request.add_events();
            event->set_event_id(phase.EventIdOf(i));
            event->set_unit_id(phase.UnitOf(i));
            event->set_event("purchase");
            event->set_value(1.0 + static_cast<double>(i % 7));
            event->set_timestamp_micros(TimestampFor(phase.start(), i));
          }
          sent = Clock::now();
          status = stub->LogEvents(&context, request, &response);
        } else {
          lift::v1::LogExposuresRequest request;
          for (int64_t i = first; i < end; ++i) {
            auto* exposure = request.add_exposures();
            exposure->set_event_id(phase.EventIdOf(i));
            exposure->set_unit_id(phase.UnitOf(i));
            exposure->set_experiment(kExperiment);
            exposure->set_variant(VariantOf(i));
            exposure->set_timestamp_micros(TimestampFor(phase.start(), i));
          }
          sent = Clock::now();
          status = stub->LogExposures(&context, request, &response);
        }
        mine.push_back(Seconds(Clock::now() - sent) * 1000);
        if (!status.ok() || response.accepted() != end - first) {
          errors.fetch_add(1);
          if (errors.load() < 5) {
            std::fprintf(stderr, "Log%s: %s (accepted %lld of %lld)\n",
                         kind == Kind::kEvents ? "Events" : "Exposures", status.error_message().c_str(),
                         static_cast<long long>(response.accepted()), static_cast<long long>(end - first));
          }
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& thread : threads) thread.join();
  LoadResult result;
  result.rows_per_second = static_cast<double>(rows) / Seconds(Clock::now() - start);
  result.p50_ms = Percentile(latencies_ms, 0.50);
  result.p99_ms = Percentile(latencies_ms, 0.99);
  result.errors = errors.load();
  result.latencies_ms = std::move(latencies_ms);
  return result;
}

// CPU seconds (user + system) a process has used so far, from /proc.
double CpuSeconds(pid_t pid) {
  std::FILE* file = std::fopen(absl::StrCat("/proc/", pid, "/stat").c_str(), "r");
  if (file == nullptr) return 0;
  char buffer[4096];
  const size_t length = std::fread(buffer, 1, sizeof(buffer) - 1, file);
  std::fclose(file);
  buffer[length] = '\0';
  const char* after_name = std::strrchr(buffer, ')');
  if (after_name == nullptr) return 0;
  unsigned long user = 0, system = 0;
  // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
  std::sscanf(after_name + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &user, &system);
  return static_cast<double>(user + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Creates and starts kExperiment (control / treatment) and waits until liftd's configuration
// snapshot has it (exposures are validated against it). Returns false (with a message) on failure.
bool CreateRunningExperiment(const std::string& address) {
  auto experiments = lift::v1::ExperimentService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  lift::v1::CreateExperimentRequest create;
  lift::v1::Experiment* e = create.mutable_experiment();
  e->set_key(kExperiment);
  e->set_name("ingest_load");
  e->set_owner("bench");
  for (const char* variant : {"control", "treatment"}) {
    auto* v = e->add_variants();
    v->set_key(variant);
    v->set_weight(0.5);
  }
  lift::v1::Experiment created;
  grpc::ClientContext create_context;
  grpc::Status status = experiments->CreateExperiment(&create_context, create, &created);
  if (status.ok()) {
    lift::v1::StartExperimentRequest start;
    start.set_key(kExperiment);
    start.set_expected_version(created.version());
    grpc::ClientContext start_context;
    status = experiments->StartExperiment(&start_context, start, &created);
  }
  if (!status.ok()) {
    std::fprintf(stderr, "ingest_load: creating the experiment: %s\n", status.error_message().c_str());
    return false;
  }
  // The snapshot follows the database within about a second (LISTEN/NOTIFY).
  auto events = lift::v1::EventService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  for (int attempt = 0; attempt < 100; ++attempt) {
    lift::v1::LogExposuresRequest probe;
    auto* exposure = probe.add_exposures();
    exposure->set_event_id("probe");
    exposure->set_unit_id("probe");
    exposure->set_experiment(kExperiment);
    exposure->set_variant("control");
    exposure->set_timestamp_micros(kBaselineStart - kDayMicros);
    lift::v1::LogResponse response;
    grpc::ClientContext context;
    if (events->LogExposures(&context, probe, &response).ok() && response.rejected_size() == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fprintf(stderr, "ingest_load: liftd never accepted exposures of %s\n", kExperiment);
  return false;
}

int FreePort() {
  // Bind port 0 and report what the kernel chose.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 300'000;
  int clients = 8;
  int batch = 1000;
  int copy_connections = 2;
  std::string kinds = "both";
  int rounds = 3;
  std::string liftd = LIFTD_BINARY;
  CLI::App app{"ingest_load: liftd ingest throughput against a raw COPY baseline"};
  app.add_option("--rows", rows, "rows per phase")->capture_default_str();
  app.add_option("--clients", clients, "concurrent RPC clients")->capture_default_str();
  app.add_option("--batch", batch, "rows per RPC")->capture_default_str();
  app.add_option("--copy-connections", copy_connections, "connections of the COPY baseline")
      ->capture_default_str();
  app.add_option("--liftd", liftd, "liftd binary")->capture_default_str();
  app.add_option("--kind", kinds, "what to send: events, exposures or both")
      ->check(CLI::IsMember({"events", "exposures", "both"}))
      ->capture_default_str();
  app.add_option("--rounds", rounds, "rounds of COPY baseline then liftd, each kind")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  char dir_template[] = "/tmp/lift-ingest-bench-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);
  std::filesystem::permissions(dir, std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add);
  lift::embedded_pg::EmbeddedPostgresOptions pg_options;
  pg_options.data_dir = (dir / "pg").string();  // fsync on: durable commits, as in production
  auto postgres = lift::embedded_pg::EmbeddedPostgres::Start(pg_options);
  if (!postgres.ok()) {
    std::fprintf(stderr, "ingest_load: %s\n", postgres.status().ToString().c_str());
    return 1;
  }
  const std::string cs = (*postgres)->ConnectionString();
  if (auto migrated = lift::store::Migrate(cs); !migrated.ok()) {
    std::fprintf(stderr, "ingest_load: %s\n", migrated.status().ToString().c_str());
    return 1;
  }
  {  // Partitions for both phases exist before timing starts (liftd would create its own anyway).
    pqxx::connection conn(cs);
    std::vector<int64_t> days;
    for (int round = 0; round < rounds; ++round) {
      for (const bool liftd_phase : {false, true}) {
        for (int d = 0; d < kDaysPerPhase; ++d) {
          days.push_back(Phase{round, liftd_phase}.start() + d * kDayMicros);
        }
      }
    }
    lift::ingest::PartitionManager("metric_events").Ensure(conn, days);
    lift::ingest::PartitionManager("exposures").Ensure(conn, days);
  }

  const std::string address = absl::StrCat("127.0.0.1:", FreePort());
  lift::embedded_pg::ProcessOptions server;
  // Loopback benchmark: no API keys (authentication is measured by assign_load, not here).
  server.argv = {liftd, "--listen", address, "--database-url", cs, "--log-level", "warn",
                 "--insecure-no-auth"};
  server.output_path = (dir / "liftd.log").string();
  server.parent_death_signal = SIGTERM;
  auto pid = lift::embedded_pg::StartProcess(server);
  if (!pid.ok()) return 1;
  auto system = lift::v1::SystemService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  bool ready = false;
  for (int i = 0; i < 600 && !ready; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    lift::v1::PingResponse pong;
    ready = system->Ping(&context, lift::v1::PingRequest(), &pong).ok();
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!ready) {
    std::fprintf(stderr, "ingest_load: liftd did not start (see %s)\n", server.output_path.c_str());
    return 1;
  }

  if (kinds != "events" && !CreateRunningExperiment(address)) return 1;

  std::printf("ingest_load: %lld rows per phase, batches of %d, %d clients, %d rounds, fsync on\n",
              static_cast<long long>(rows), batch, clients, rounds);
  int64_t errors = 0;
  for (const Kind kind : {Kind::kEvents, Kind::kExposures}) {
    if (kinds == (kind == Kind::kEvents ? "exposures" : "events")) continue;
    const char* const what = kind == Kind::kEvents ? "LogEvents" : "LogExposures";
    std::vector<double> ratios, folded_ratios, latencies_ms;
    for (int round = 0; round < rounds; ++round) {
      Quiesce(cs);
      const double copy_rate =
          RunCopyBaseline(cs, Phase{round, false}, kind, rows, copy_connections);
      Quiesce(cs);
      const double liftd_cpu_before = CpuSeconds(*pid);
      const LoadResult load = RunLiftdLoad(address, Phase{round, true}, kind, rows, clients, batch);
      const double liftd_cpu = CpuSeconds(*pid) - liftd_cpu_before;
      ratios.push_back(load.rows_per_second / copy_rate);
      latencies_ms.insert(latencies_ms.end(), load.latencies_ms.begin(), load.latencies_ms.end());
      std::printf("  %-12s round %d  raw COPY (%d connections) %8.0f rows/s   liftd %8.0f rows/s"
                  "   ratio %.2fx\n",
                  what, round + 1, copy_connections, copy_rate, load.rows_per_second, ratios.back());
      std::printf("%29s acknowledgement p50 %.1f ms  p99 %.1f ms  errors %lld;"
                  "  liftd CPU %.2f s (%.2f us per row)\n",
                  "", load.p50_ms, load.p99_ms, static_cast<long long>(load.errors), liftd_cpu,
                  liftd_cpu * 1e6 / static_cast<double>(rows));
      if (kind == Kind::kExposures) {
        // The first-exposure fold runs after the acknowledgement (liftd's background folder
        // waits --exposure-fold-delay, 5 s, so that a burst folds in one go). A readout started
        // now would first fold what is left: time exactly that, and the rate with it included.
        lift::store::ConnectionPool pool(cs, 1);
        const Clock::time_point fold_start = Clock::now();
        const absl::Status folded = lift::ingest::FoldFirstExposureBacklog(pool);
        const double fold_seconds = Seconds(Clock::now() - fold_start);
        if (!folded.ok()) {
          std::fprintf(stderr, "ingest_load: %s\n", folded.ToString().c_str());
          ++errors;
        }
        const double folded_rate = static_cast<double>(rows) /
                                   (static_cast<double>(rows) / load.rows_per_second + fold_seconds);
        folded_ratios.push_back(folded_rate / copy_rate);
        std::printf("%29s fold of the first exposures %.2f s (as a readout right after the load"
                    " waits); with it %.0f rows/s = %.2fx of COPY\n",
                    "", fold_seconds, folded_rate, folded_ratios.back());
      }
      errors += load.errors;
    }
    std::sort(ratios.begin(), ratios.end());
    std::sort(folded_ratios.begin(), folded_ratios.end());
    std::printf("  %-12s ratio liftd / COPY: median %.2fx of %d rounds (%.2fx..%.2fx);"
                " acknowledgement p99 over all rounds %.1f ms (goal >= 0.5x, p99 < 50 ms)\n",
                what, ratios[ratios.size() / 2], rounds, ratios.front(), ratios.back(),
                Percentile(latencies_ms, 0.99));
    if (!folded_ratios.empty()) {
      std::printf("  %-12s with the fold: median %.2fx (%.2fx..%.2fx)\n", what,
                  folded_ratios[folded_ratios.size() / 2], folded_ratios.front(),
                  folded_ratios.back());
    }
  }

  kill(*pid, SIGTERM);
  lift::embedded_pg::WaitForExit(*pid, std::chrono::seconds(30));
  postgres->reset();
  std::error_code error;
  std::filesystem::remove_all(dir, error);
  return errors == 0 ? 0 : 1;
}
