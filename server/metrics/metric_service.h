// MetricService: the domain logic of the metric catalogue, independent of gRPC.
//
// Apply() normalises and validates every definition, then in ONE transaction compares each with
// its latest stored version: identical definitions are left alone (no version, no audit row), new
// keys get version 1 and changed ones version N+1, each with an audit_log row
// ("metric.create" / "metric.update", before/after definitions). Rows are never edited.
//
// Status codes: InvalidArgument (a field breaks a rule; the message names it, prefixed by
// "metrics[i]."; duplicate keys in one request), NotFound (unknown key or version), Unavailable
// (database down).
//
// Thread safety: thread-safe; concurrent applies of one key are serialised by the store's lock.
#ifndef LIFT_SERVER_METRICS_METRIC_SERVICE_H_
#define LIFT_SERVER_METRICS_METRIC_SERVICE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/metrics/metric.h"
#include "server/metrics/metric_store.h"

namespace lift::metrics {

inline constexpr size_t kMaxMetricsPerApply = 1000;

struct MetricChange {
  enum class Action { kCreated, kUpdated, kUnchanged };
  std::string key;
  Action action = Action::kUnchanged;
  int64_t previous_version = 0;  // 0 when created
  int64_t version = 0;           // latest version after the call
  std::vector<FieldChange> changes;
};

class MetricService {
 public:
  // `store` must outlive the service.
  explicit MetricService(MetricStore* store) : store_(store) {}

  // Creates or updates `metrics` as described above; `dry_run` computes the changes only.
  absl::StatusOr<std::vector<MetricChange>> Apply(std::vector<MetricDefinition> metrics,
                                                  bool dry_run, const std::string& actor);
  // `version` 0 = latest. NotFound "metric 'k' not found" / "metric 'k' has no version 3".
  absl::StatusOr<MetricDefinition> Get(const std::string& key, int64_t version = 0);
  // Latest versions by key; `tier` empty = all.
  absl::StatusOr<std::vector<MetricDefinition>> List(const std::string& tier = "");
  // NotFound when the key is unknown.
  absl::StatusOr<std::vector<MetricDefinition>> ListVersions(const std::string& key);

 private:
  MetricStore* store_;
};

}  // namespace lift::metrics

#endif  // LIFT_SERVER_METRICS_METRIC_SERVICE_H_
