// ingest_load: end-to-end ingest throughput of liftd against a raw COPY baseline, in one run, on
// the same database and table layout (indexes included).
//
// It starts its own PostgreSQL (fsync on: acknowledged means durable) and a liftd binary against
// it, then sends the same number of metric-event rows two ways, into separate (fresh) daily
// partitions so neither phase inherits the other's index size:
//   baseline  COPY (pqxx::stream_to) straight into metric_events from --copy-connections
//             connections, 20,000 rows per transaction;
//   liftd     --clients concurrent closed-loop clients sending LogEvents batches of --batch rows;
//             a row counts once its RPC returned OK (committed).
// Prints rows/s for both, the ratio liftd / COPY, and p50/p99 acknowledgement latency.
// Bounded: each phase sends --rows rows, then everything is stopped and removed.
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
#include "lift/v1/system.grpc.pb.h"
#include "server/embedded_pg/embedded_postgres.h"
#include "server/embedded_pg/process.h"
#include "server/ingest/partition_manager.h"
#include "server/store/migrations.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kDayMicros = 86400LL * 1000000;
constexpr int64_t kBaselineStart = 1793577600LL * 1000000;        // 2026-11-02T00:00:00Z
constexpr int64_t kLiftdStart = kBaselineStart + 10 * kDayMicros;  // 2026-11-12
constexpr int kDaysPerPhase = 3;
constexpr int64_t kCopyRowsPerTransaction = 20'000;

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
double RunCopyBaseline(const std::string& cs, int64_t rows, int connections) {
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
        pqxx::stream_to stream(tx, "metric_events",
                               std::vector<std::string>{"unit_id", "event_name", "event_id", "ts", "value"});
        for (int64_t i = first; i < end; ++i) {
          stream << std::make_tuple(absl::StrCat("u", i % 100000), std::string("purchase"),
                                    absl::StrCat("copy-", i), TimestampLiteral(TimestampFor(kBaselineStart, i)),
                                    1.0 + static_cast<double>(i % 7));
        }
        stream.complete();
        tx.commit();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return static_cast<double>(rows) / Seconds(Clock::now() - start);
}

struct LoadResult {
  double rows_per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t errors = 0;
};

// Phase 2: closed-loop LogEvents clients.
LoadResult RunLiftdLoad(const std::string& address, int64_t rows, int clients, int batch) {
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
        lift::v1::LogEventsRequest request;
        for (int64_t i = b * batch; i < std::min(rows, (b + 1) * batch); ++i) {
          auto* event = request.add_events();
          event->set_event_id(absl::StrCat("rpc-", i));
          event->set_unit_id(absl::StrCat("u", i % 100000));
          event->set_event("purchase");
          event->set_value(1.0 + static_cast<double>(i % 7));
          event->set_timestamp_micros(TimestampFor(kLiftdStart, i));
        }
        lift::v1::LogResponse response;
        grpc::ClientContext context;
        const auto sent = Clock::now();
        grpc::Status status = stub->LogEvents(&context, request, &response);
        mine.push_back(Seconds(Clock::now() - sent) * 1000);
        if (!status.ok() || response.accepted() != request.events_size()) {
          errors.fetch_add(1);
          if (errors.load() < 5) std::fprintf(stderr, "LogEvents: %s\n", status.error_message().c_str());
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
  std::string liftd = LIFTD_BINARY;
  CLI::App app{"ingest_load: liftd ingest throughput against a raw COPY baseline"};
  app.add_option("--rows", rows, "rows per phase")->capture_default_str();
  app.add_option("--clients", clients, "concurrent RPC clients")->capture_default_str();
  app.add_option("--batch", batch, "rows per RPC")->capture_default_str();
  app.add_option("--copy-connections", copy_connections, "connections of the COPY baseline")
      ->capture_default_str();
  app.add_option("--liftd", liftd, "liftd binary")->capture_default_str();
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
    lift::ingest::PartitionManager partitions("metric_events");
    std::vector<int64_t> days;
    for (int d = 0; d < kDaysPerPhase; ++d) {
      days.push_back(kBaselineStart + d * kDayMicros);
      days.push_back(kLiftdStart + d * kDayMicros);
    }
    partitions.Ensure(conn, days);
  }

  const std::string address = absl::StrCat("127.0.0.1:", FreePort());
  lift::embedded_pg::ProcessOptions server;
  server.argv = {liftd, "--listen", address, "--database-url", cs, "--log-level", "warn"};
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

  std::printf("ingest_load: %lld rows per phase, batches of %d, %d clients, fsync on\n",
              static_cast<long long>(rows), batch, clients);
  const double copy_rate = RunCopyBaseline(cs, rows, copy_connections);
  std::printf("  baseline  raw COPY (%d connections)     %10.0f rows/s\n", copy_connections, copy_rate);
  const double liftd_cpu_before = CpuSeconds(*pid);
  const LoadResult load = RunLiftdLoad(address, rows, clients, batch);
  const double liftd_cpu = CpuSeconds(*pid) - liftd_cpu_before;
  std::printf("  liftd     LogEvents end to end          %10.0f rows/s   ratio %.2fx of COPY\n",
              load.rows_per_second, load.rows_per_second / copy_rate);
  std::printf("            acknowledgement latency       p50 %.1f ms   p99 %.1f ms   errors %lld\n",
              load.p50_ms, load.p99_ms, static_cast<long long>(load.errors));
  std::printf("            liftd CPU                     %.2f s (%.2f us per row)\n", liftd_cpu,
              liftd_cpu * 1e6 / static_cast<double>(rows));

  kill(*pid, SIGTERM);
  lift::embedded_pg::WaitForExit(*pid, std::chrono::seconds(30));
  postgres->reset();
  std::error_code error;
  std::filesystem::remove_all(dir, error);
  return load.errors == 0 ? 0 : 1;
}
