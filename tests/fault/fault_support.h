// Helpers shared by the fault-injection tests (tests/fault/): each test runs its own PostgreSQL
// (so it may stop it or slow it down) and a real liftd process pointed at it, and checks outcomes,
// counts and memory — never timings. Waits are bounded polls.
//
// The scenarios: database_outage_test (PostgreSQL stopped and restarted under Assign + ingest
// load), slow_database_test (statement latency: back-pressure and bounded memory),
// stream_churn_test (1,000 streams opened and dropped, repeatedly: no leak). liftd killed with
// SIGKILL under concurrent ingest load, restarted, with every batch retried (zero acknowledged rows
// lost, no duplicates) is IngestE2eTest.SigkillLosesNothingAcknowledgedAndRetriesCreateNoDuplicates
// in tests/e2e/ingest_e2e_test.cc and is not repeated here.
//
// Thread safety: the free functions are thread-safe; StatusTally is thread-safe.
#ifndef LIFT_TESTS_FAULT_FAULT_SUPPORT_H_
#define LIFT_TESTS_FAULT_FAULT_SUPPORT_H_

#include <grpcpp/support/status.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "lift/v1/events.pb.h"
#include "server/embedded_pg/embedded_postgres.h"
#include "tests/support/liftd_process.h"
#include "tests/support/wait_for.h"

namespace lift::testing {

// A PostgreSQL cluster owned by one test (fsync off: throwaway), in `dir`.
absl::StatusOr<std::unique_ptr<embedded_pg::EmbeddedPostgres>> StartOwnPostgres(const TempDir& dir);

// "unix:<socket file>" of `postgres`, the target a LatencyProxy forwards to.
std::string UnixSocketTarget(const embedded_pg::EmbeddedPostgres& postgres);

// liftd's resident set size in bytes (VmRSS of /proc/<pid>/status). NotFound when the process
// or the field is missing.
absl::StatusOr<int64_t> ResidentSetBytes(pid_t pid);

// `rows` metric events named "purchase" with event ids "<prefix>-<row>", units "u<row>", value 1
// and a timestamp one minute before now (inside today's or yesterday's partition).
lift::v1::LogEventsRequest EventBatch(const std::string& prefix, int rows);

// Counts by gRPC status code, for load threads. Thread-safe.
class StatusTally {
 public:
  void Add(grpc::StatusCode code);
  int64_t Count(grpc::StatusCode code) const;
  // Calls whose code is not `code` (e.g. not OK: the errors).
  int64_t CountOtherThan(grpc::StatusCode code) const;
  // "OK=12 UNAVAILABLE=3" (code names as in grpc::StatusCode), for failure messages.
  std::string ToString() const;

 private:
  mutable std::mutex mutex_;
  std::map<int, int64_t> counts_;
};

// Runs `sql`, a query returning one bigint (e.g. `SELECT count(*) ...`), on the database at
// `connection_string` (libpq key=value or URL); its value. Throws pqxx errors.
int64_t QueryCount(const std::string& connection_string, const std::string& sql);

}  // namespace lift::testing

#endif  // LIFT_TESTS_FAULT_FAULT_SUPPORT_H_
