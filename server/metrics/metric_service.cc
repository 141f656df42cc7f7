#include "server/metrics/metric_service.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace lift::metrics {

absl::StatusOr<std::vector<MetricChange>> MetricService::Apply(
    std::vector<MetricDefinition> metrics, bool dry_run, const std::string& actor) {
  if (metrics.empty()) return absl::InvalidArgumentError("metrics must not be empty");
  if (metrics.size() > kMaxMetricsPerApply) {
    return absl::InvalidArgumentError(absl::StrCat("metrics must have at most ",
                                                   kMaxMetricsPerApply, " entries, got ",
                                                   metrics.size()));
  }
  std::set<std::string> keys;
  for (size_t i = 0; i < metrics.size(); ++i) {
    Normalize(&metrics[i]);
    if (absl::Status status = ValidateMetric(metrics[i], absl::StrCat("metrics[", i, "]."));
        !status.ok()) {
      return status;
    }
    if (!keys.insert(metrics[i].key).second) {
      return absl::InvalidArgumentError(absl::StrCat("metrics[", i, "].key '", metrics[i].key,
                                                     "' appears more than once in the request"));
    }
  }
  std::vector<MetricChange> changes;
  absl::Status status = store_->Transact([&](MetricStore::Transaction& tx) -> absl::Status {
    changes.clear();
    for (MetricDefinition& metric : metrics) {
      tx.Lock(metric.key);
      const std::optional<MetricDefinition> latest = tx.Latest(metric.key);
      const nlohmann::json after = DefinitionJson(metric);
      const nlohmann::json before = latest.has_value() ? DefinitionJson(*latest) : nlohmann::json();
      MetricChange change;
      change.key = metric.key;
      change.previous_version = latest.has_value() ? latest->version : 0;
      if (latest.has_value() && before == after) {
        change.action = MetricChange::Action::kUnchanged;
        change.version = latest->version;
      } else {
        change.action = latest.has_value() ? MetricChange::Action::kUpdated
                                           : MetricChange::Action::kCreated;
        change.version = change.previous_version + 1;
        change.changes = DiffDefinitions(before, after);
        if (!dry_run) {
          metric.version = change.version;
          tx.Insert(metric, actor);
          nlohmann::json audited = after;
          audited["version"] = change.version;
          nlohmann::json audited_before = before;
          if (latest.has_value()) audited_before["version"] = latest->version;
          tx.Audit(actor, latest.has_value() ? "metric.update" : "metric.create", metric.key,
                   audited_before, audited);
        }
      }
      changes.push_back(std::move(change));
    }
    // A dry run rolls back (nothing was written anyway).
    return dry_run ? absl::CancelledError("dry run") : absl::OkStatus();
  });
  if (dry_run && absl::IsCancelled(status)) status = absl::OkStatus();
  if (!status.ok()) return status;
  return changes;
}

absl::StatusOr<MetricDefinition> MetricService::Get(const std::string& key, int64_t version) {
  if (version < 0) {
    return absl::InvalidArgumentError(absl::StrCat("version must be >= 0, got ", version));
  }
  absl::StatusOr<std::optional<MetricDefinition>> found = store_->Find(key, version);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    if (version == 0) return absl::NotFoundError(absl::StrCat("metric '", key, "' not found"));
    return absl::NotFoundError(absl::StrCat("metric '", key, "' has no version ", version));
  }
  return std::move(**found);
}

absl::StatusOr<std::vector<MetricDefinition>> MetricService::List(const std::string& tier) {
  return store_->ListLatest(tier);
}

absl::StatusOr<std::vector<MetricDefinition>> MetricService::ListVersions(const std::string& key) {
  absl::StatusOr<std::vector<MetricDefinition>> versions = store_->ListVersions(key);
  if (!versions.ok()) return versions.status();
  if (versions->empty()) return absl::NotFoundError(absl::StrCat("metric '", key, "' not found"));
  return versions;
}

}  // namespace lift::metrics
