#include "tests/fault/fault_support.h"

#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace lift::testing {

absl::StatusOr<std::unique_ptr<embedded_pg::EmbeddedPostgres>> StartOwnPostgres(
    const TempDir& dir) {
  embedded_pg::EmbeddedPostgresOptions options;
  options.data_dir = (dir.path() / "pg").string();
  options.fsync = false;
  return embedded_pg::EmbeddedPostgres::Start(options);
}

std::string UnixSocketTarget(const embedded_pg::EmbeddedPostgres& postgres) {
  // ConnectionString() is "host=<socket dir> port=<port> user=... dbname=...".
  std::string host;
  for (absl::string_view setting : absl::StrSplit(postgres.ConnectionString(), ' ')) {
    if (absl::ConsumePrefix(&setting, "host=")) host = std::string(setting);
  }
  return absl::StrCat("unix:", host, "/.s.PGSQL.", postgres.port());
}

absl::StatusOr<int64_t> ResidentSetBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    int64_t kib = 0;
    if (absl::ConsumeSuffix(&rest, " kB") && absl::SimpleAtoi(rest, &kib)) return kib * 1024;
    return absl::NotFoundError(absl::StrCat("VmRSS of pid ", pid, " is not in kB: '", line, "'"));
  }
  return absl::NotFoundError(absl::StrCat("no VmRSS in /proc/", pid, "/status"));
}

lift::v1::LogEventsRequest EventBatch(const std::string& prefix, int rows) {
  const int64_t minute_ago = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count() -
                             60'000'000;
  lift::v1::LogEventsRequest request;
  request.mutable_events()->Reserve(rows);
  for (int r = 0; r < rows; ++r) {
    lift::v1::MetricEvent* event = request.add_events();
    event->set_event_id(absl::StrCat(prefix, "-", r));
    event->set_unit_id(absl::StrCat("u", r));
    event->set_event("purchase");
    event->set_value(1);
    event->set_timestamp_micros(minute_ago);
  }
  return request;
}

void StatusTally::Add(grpc::StatusCode code) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++counts_[static_cast<int>(code)];
}

int64_t StatusTally::Count(grpc::StatusCode code) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = counts_.find(static_cast<int>(code));
  return it == counts_.end() ? 0 : it->second;
}

int64_t StatusTally::CountOtherThan(grpc::StatusCode code) const {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t total = 0;
  for (const auto& [c, n] : counts_) {
    if (c != static_cast<int>(code)) total += n;
  }
  return total;
}

std::string StatusTally::ToString() const {
  // The names of grpc::StatusCode, by value.
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
  std::lock_guard<std::mutex> lock(mutex_);
  std::string text;
  for (const auto& [code, n] : counts_) {
    const std::string name = code >= 0 && code <= 16 ? kNames[code] : absl::StrCat("code", code);
    absl::StrAppend(&text, text.empty() ? "" : " ", name, "=", n);
  }
  return text.empty() ? "none" : text;
}

int64_t QueryCount(const std::string& connection_string, const std::string& sql) {
  pqxx::connection connection(connection_string);
  pqxx::nontransaction tx(connection);
  return tx.exec1(sql)[0].as<int64_t>();
}

}  // namespace lift::testing
