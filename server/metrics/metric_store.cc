#include "server/metrics/metric_store.h"

#include <pqxx/pqxx>

namespace lift::metrics {
namespace {

constexpr char kColumns[] =
    "key, version, name, description, owner, kind, numerator_event, numerator_aggregation, "
    "numerator_filter::text, denominator_event, denominator_aggregation, "
    "denominator_filter::text, window_start_seconds, window_duration_seconds, capping, "
    "capping_value, direction, cuped_pre_period_days, mde, target, baseline, tier, "
    "(extract(epoch FROM created_at) * 1000000)::bigint, created_by, "
    "COALESCE(to_char(target_date, 'YYYY-MM-DD'), ''), warning_threshold, alert_threshold";

std::optional<double> OptionalDouble(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<double>();
}

MetricDefinition FromRow(const pqxx::row& row) {
  MetricDefinition metric;
  metric.key = row[0].as<std::string>();
  metric.version = row[1].as<int64_t>();
  metric.name = row[2].as<std::string>();
  metric.description = row[3].as<std::string>();
  metric.owner = row[4].as<std::string>();
  metric.kind = row[5].as<std::string>();
  metric.numerator.event = row[6].as<std::string>();
  metric.numerator.aggregation = row[7].as<std::string>();
  // Stored by this service, so it parses; a malformed row would surface as an empty filter list.
  (void)FiltersFromJson(nlohmann::json::parse(row[8].as<std::string>()),
                        &metric.numerator.filters);
  if (!row[9].is_null()) {
    EventSelector denominator;
    denominator.event = row[9].as<std::string>();
    denominator.aggregation = row[10].is_null() ? "sum" : row[10].as<std::string>();
    (void)FiltersFromJson(nlohmann::json::parse(row[11].as<std::string>()),
                          &denominator.filters);
    metric.denominator = std::move(denominator);
  }
  metric.window_start_seconds = row[12].as<int64_t>();
  metric.window_duration_seconds = row[13].as<int64_t>();
  metric.capping = row[14].as<std::string>();
  metric.capping_value = row[15].as<double>();
  metric.direction = row[16].as<std::string>();
  metric.cuped_pre_period_days = row[17].as<int>();
  metric.mde = OptionalDouble(row[18]);
  metric.target = OptionalDouble(row[19]);
  metric.baseline = OptionalDouble(row[20]);
  metric.tier = row[21].as<std::string>();
  metric.created_at_micros = row[22].as<int64_t>();
  metric.created_by = row[23].as<std::string>();
  metric.target_date = row[24].as<std::string>();
  metric.warning_threshold = OptionalDouble(row[25]);
  metric.alert_threshold = OptionalDouble(row[26]);
  return metric;
}

}  // namespace

void MetricStore::Transaction::Lock(const std::string& key) {
  work_.exec_params("SELECT pg_advisory_xact_lock(hashtext('lift.metric:' || $1))", key);
}

std::optional<MetricDefinition> MetricStore::Transaction::Latest(const std::string& key) {
  const pqxx::result rows = work_.exec_params(
      std::string("SELECT ") + kColumns +
          " FROM metric_definitions WHERE key = $1 ORDER BY version DESC LIMIT 1",
      key);
  if (rows.empty()) return std::nullopt;
  return FromRow(rows[0]);
}

int64_t MetricStore::Transaction::Insert(const MetricDefinition& metric, const std::string& actor) {
  std::optional<std::string> denominator_event;
  std::optional<std::string> denominator_aggregation;
  std::string denominator_filter = "[]";
  if (metric.denominator.has_value()) {
    denominator_event = metric.denominator->event;
    denominator_aggregation = metric.denominator->aggregation;
    denominator_filter = FiltersJson(metric.denominator->filters).dump();
  }
  return work_
      .exec_params1(
          "INSERT INTO metric_definitions (key, version, name, description, owner, kind, "
          "numerator_event, numerator_aggregation, numerator_filter, denominator_event, "
          "denominator_aggregation, denominator_filter, window_start_seconds, "
          "window_duration_seconds, capping, capping_value, direction, cuped_pre_period_days, "
          "mde, target, baseline, tier, created_by, target_date, warning_threshold, "
          "alert_threshold) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
          "$9::jsonb, $10, $11, $12::jsonb, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, "
          "$23, NULLIF($24, '')::date, $25, $26) "
          "RETURNING (extract(epoch FROM created_at) * 1000000)::bigint",
          metric.key, metric.version, metric.name, metric.description, metric.owner, metric.kind,
          metric.numerator.event, metric.numerator.aggregation,
          FiltersJson(metric.numerator.filters).dump(), denominator_event,
          denominator_aggregation, denominator_filter, metric.window_start_seconds,
          metric.window_duration_seconds, metric.capping, metric.capping_value, metric.direction,
          metric.cuped_pre_period_days, metric.mde, metric.target, metric.baseline, metric.tier,
          actor, metric.target_date, metric.warning_threshold, metric.alert_threshold)[0]
      .as<int64_t>();
}

void MetricStore::Transaction::Audit(const std::string& actor, const std::string& action,
                                     const std::string& key, const nlohmann::json& before,
                                     const nlohmann::json& after) {
  auto text = [](const nlohmann::json& json) -> std::optional<std::string> {
    if (json.is_null()) return std::nullopt;
    return json.dump();
  };
  work_.exec_params0(
      "INSERT INTO audit_log (occurred_at, actor, action, entity_type, entity_key, before, after) "
      "VALUES (now(), $1, $2, 'metric', $3, $4::jsonb, $5::jsonb)",
      actor, action, key, text(before), text(after));
}

absl::Status MetricStore::Transact(const std::function<absl::Status(Transaction&)>& body) {
  return pool_->Run([&](pqxx::work& work) -> absl::Status {
    Transaction transaction(work);
    return body(transaction);
  });
}

absl::StatusOr<std::optional<MetricDefinition>> MetricStore::Find(const std::string& key,
                                                                  int64_t version) {
  std::optional<MetricDefinition> found;
  absl::Status status = pool_->Run([&](pqxx::work& work) -> absl::Status {
    const pqxx::result rows =
        version == 0
            ? work.exec_params(std::string("SELECT ") + kColumns +
                                   " FROM metric_definitions WHERE key = $1 "
                                   "ORDER BY version DESC LIMIT 1",
                               key)
            : work.exec_params(std::string("SELECT ") + kColumns +
                                   " FROM metric_definitions WHERE key = $1 AND version = $2",
                               key, version);
    if (!rows.empty()) found = FromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<std::vector<MetricDefinition>> MetricStore::ListLatest(const std::string& tier) {
  std::vector<MetricDefinition> metrics;
  absl::Status status = pool_->Run([&](pqxx::work& work) -> absl::Status {
    const pqxx::result rows = work.exec(
        std::string("SELECT DISTINCT ON (key) ") + kColumns +
            " FROM metric_definitions ORDER BY key, version DESC");
    for (const pqxx::row& row : rows) {
      MetricDefinition metric = FromRow(row);
      if (tier.empty() || metric.tier == tier) metrics.push_back(std::move(metric));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return metrics;
}

absl::StatusOr<std::vector<MetricDefinition>> MetricStore::ListVersions(const std::string& key) {
  std::vector<MetricDefinition> metrics;
  absl::Status status = pool_->Run([&](pqxx::work& work) -> absl::Status {
    const pqxx::result rows = work.exec_params(
        std::string("SELECT ") + kColumns +
            " FROM metric_definitions WHERE key = $1 ORDER BY version",
        key);
    for (const pqxx::row& row : rows) metrics.push_back(FromRow(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return metrics;
}

}  // namespace lift::metrics
