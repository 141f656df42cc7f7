#include "server/experiments/experiment_store.h"

#include <map>
#include <pqxx/pqxx>
#include <utility>

#include "absl/strings/str_cat.h"

namespace lift::experiments {
namespace {

// Timestamps cross the boundary as Unix epoch microseconds (exact integer arithmetic both ways).
#define LIFT_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"
#define LIFT_TIMESTAMP(param) \
  "(timestamptz 'epoch' + (" param ")::bigint * interval '1 microsecond')"

constexpr const char* kExperimentColumns =
    "key, name, hypothesis, owner, tags::text, unit_type, variants::text, coverage, seed, "
    "hash_version, condition::text, layer, layer_start, layer_end, metrics::text, status, phase, "
    "winning_variant, version, " LIFT_MICROS("created_at") ", created_by, " LIFT_MICROS(
        "updated_at") ", updated_by";

constexpr const char* kPhaseColumns = "experiment_key, phase, " LIFT_MICROS(
    "started_at") ", " LIFT_MICROS("ended_at") ", variants::text, coverage, reason";

constexpr const char* kInsertExperimentSql =
    "INSERT INTO experiments (key, name, hypothesis, owner, tags, unit_type, variants, coverage, "
    "seed, hash_version, condition, layer, layer_start, layer_end, metrics, status, phase, "
    "winning_variant, version, created_at, created_by, updated_at, updated_by) VALUES ($1, $2, $3, "
    "$4, $5::jsonb, $6, $7::jsonb, $8, $9, $10, $11::jsonb, $12, $13, $14, $15::jsonb, $16, $17, "
    "$18, $19, " LIFT_TIMESTAMP("$20") ", $21, " LIFT_TIMESTAMP("$22") ", $23)";

constexpr const char* kUpdateExperimentSql =
    "UPDATE experiments SET name = $2, hypothesis = $3, owner = $4, tags = $5::jsonb, "
    "unit_type = $6, variants = $7::jsonb, coverage = $8, seed = $9, hash_version = $10, "
    "condition = $11::jsonb, layer = $12, layer_start = $13, layer_end = $14, "
    "metrics = $15::jsonb, status = $16, phase = $17, winning_variant = $18, version = $19, "
    "updated_at = " LIFT_TIMESTAMP("$20") ", updated_by = $21 WHERE key = $1";

constexpr const char* kInsertPhaseSql =
    "INSERT INTO experiment_phases (experiment_key, phase, started_at, ended_at, variants, "
    "coverage, reason) VALUES ($1, $2, " LIFT_TIMESTAMP("$3") ", CASE WHEN $4::bigint = 0 THEN "
    "NULL ELSE " LIFT_TIMESTAMP("$4") " END, $5::jsonb, $6, $7)";

constexpr const char* kUpdatePhaseSql =
    "UPDATE experiment_phases SET ended_at = CASE WHEN $3::bigint = 0 THEN NULL "
    "ELSE " LIFT_TIMESTAMP("$3") " END, coverage = $4 WHERE experiment_key = $1 AND phase = $2";

constexpr const char* kOverrideColumns =
    "experiment_key, unit_id, variant_key, " LIFT_MICROS("created_at") ", created_by";

constexpr const char* kHoldoutColumns =
    "key, name, description, share, coalesce(layer, ''), " LIFT_MICROS("created_at") ", "
    "created_by";

constexpr const char* kLayerColumns =
    "key, name, description, " LIFT_MICROS("created_at") ", created_by";

std::string StatusText(ExperimentStatus status) {
  return std::string(assignment::ExperimentStatusName(status));
}

// ---- JSON column codecs ----

std::string VariantsText(const std::vector<VariantConfig>& variants, bool with_payload) {
  nlohmann::json out = nlohmann::json::array();
  for (const VariantConfig& v : variants) {
    nlohmann::json item = {{"key", v.key}, {"weight", v.weight}};
    if (with_payload) item["payload"] = v.payload;
    out.push_back(std::move(item));
  }
  return out.dump();
}

std::vector<VariantConfig> ParseVariants(const std::string& text) {
  std::vector<VariantConfig> variants;
  for (const nlohmann::json& item : nlohmann::json::parse(text)) {
    VariantConfig v;
    v.key = item.value("key", "");
    v.weight = item.value("weight", 0.0);
    v.payload = item.value("payload", "");
    variants.push_back(std::move(v));
  }
  return variants;
}

std::string MetricsText(const ExperimentMetrics& metrics) {
  nlohmann::json guardrails = nlohmann::json::array();
  for (const GuardrailMetric& g : metrics.guardrails) {
    guardrails.push_back(
        {{"metric_key", g.metric_key}, {"non_inferiority_margin", g.non_inferiority_margin}});
  }
  return nlohmann::json{
      {"success", metrics.success}, {"secondary", metrics.secondary}, {"guardrails", guardrails}}
      .dump();
}

ExperimentMetrics ParseMetrics(const std::string& text) {
  const nlohmann::json json = nlohmann::json::parse(text);
  ExperimentMetrics metrics;
  metrics.success = json.value("success", std::vector<std::string>());
  metrics.secondary = json.value("secondary", std::vector<std::string>());
  for (const nlohmann::json& g : json.value("guardrails", nlohmann::json::array())) {
    metrics.guardrails.push_back(
        {g.value("metric_key", ""), g.value("non_inferiority_margin", 0.0)});
  }
  return metrics;
}

std::string TagsText(const std::vector<std::string>& tags) { return nlohmann::json(tags).dump(); }

std::optional<std::string> ConditionParam(const std::string& condition) {
  if (condition.empty()) return std::nullopt;
  return condition;
}

std::optional<std::string> OptionalText(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

// ---- Row decoders (column order as in the *Columns constants) ----

Experiment ExperimentFromRow(const pqxx::row& row) {
  Experiment e;
  e.key = row[0].as<std::string>();
  e.name = row[1].as<std::string>();
  e.hypothesis = row[2].as<std::string>();
  e.owner = row[3].as<std::string>();
  e.tags = nlohmann::json::parse(row[4].as<std::string>()).get<std::vector<std::string>>();
  e.unit_type = row[5].as<std::string>();
  e.variants = ParseVariants(row[6].as<std::string>());
  e.coverage = row[7].as<double>();
  e.seed = row[8].as<std::string>();
  e.hash_version = row[9].as<int>();
  e.condition = row[10].is_null() ? "" : row[10].as<std::string>();
  e.layer = row[11].is_null() ? "" : row[11].as<std::string>();
  e.layer_start = row[12].as<double>();
  e.layer_end = row[13].as<double>();
  e.metrics = ParseMetrics(row[14].as<std::string>());
  e.status = ParseExperimentStatus(row[15].as<std::string>()).value_or(ExperimentStatus::kDraft);
  e.phase = row[16].as<int>();
  e.winning_variant = row[17].is_null() ? "" : row[17].as<std::string>();
  e.version = row[18].as<int64_t>();
  e.created_at_micros = row[19].as<int64_t>();
  e.created_by = row[20].as<std::string>();
  e.updated_at_micros = row[21].as<int64_t>();
  e.updated_by = row[22].as<std::string>();
  return e;
}

Phase PhaseFromRow(const pqxx::row& row) {
  Phase p;
  p.number = row[1].as<int>();
  p.started_at_micros = row[2].as<int64_t>();
  p.ended_at_micros = row[3].is_null() ? 0 : row[3].as<int64_t>();
  p.variants = ParseVariants(row[4].as<std::string>());
  p.coverage = row[5].as<double>();
  p.reason = row[6].as<std::string>();
  return p;
}

Override OverrideFromRow(const pqxx::row& row) {
  return {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
          row[3].as<int64_t>(), row[4].as<std::string>()};
}

Holdout HoldoutFromRow(const pqxx::row& row) {
  Holdout h;
  h.key = row[0].as<std::string>();
  h.name = row[1].as<std::string>();
  h.description = row[2].as<std::string>();
  h.share = row[3].as<double>();
  h.layer = row[4].as<std::string>();
  h.created_at_micros = row[5].as<int64_t>();
  h.created_by = row[6].as<std::string>();
  return h;
}

Layer LayerFromRow(const pqxx::row& row) {
  Layer layer;
  layer.key = row[0].as<std::string>();
  layer.name = row[1].as<std::string>();
  layer.description = row[2].as<std::string>();
  layer.created_at_micros = row[3].as<int64_t>();
  layer.created_by = row[4].as<std::string>();
  return layer;
}

std::vector<Phase> LoadPhases(pqxx::transaction_base& tx, std::string_view key) {
  std::vector<Phase> phases;
  for (const pqxx::row& row : tx.exec_params(absl::StrCat("SELECT ", kPhaseColumns,
                                                          " FROM experiment_phases WHERE "
                                                          "experiment_key = $1 ORDER BY phase"),
                                             std::string(key))) {
    phases.push_back(PhaseFromRow(row));
  }
  return phases;
}

// Runs `body` in a read-only transaction on a pooled connection, mapping database errors.
template <typename T>
absl::StatusOr<T> Read(store::ConnectionPool* pool, const std::string& what,
                       const std::function<T(pqxx::transaction_base&)>& body) {
  auto lease = pool->Acquire();
  if (!lease.ok()) return lease.status();
  try {
    pqxx::read_transaction tx(**lease);
    T result = body(tx);
    tx.commit();
    return result;
  } catch (const std::exception& error) {
    if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) (*lease)->disconnect();
    return store::StatusFromDatabaseError(error, what);
  }
}

}  // namespace

// ---- Transaction ----

absl::StatusOr<std::optional<Experiment>> ExperimentStore::Transaction::LockExperiment(
    std::string_view key) {
  const pqxx::result rows = work_.exec_params(
      absl::StrCat("SELECT ", kExperimentColumns, " FROM experiments WHERE key = $1 FOR UPDATE"),
      std::string(key));
  if (rows.empty()) return std::optional<Experiment>();
  Experiment e = ExperimentFromRow(rows[0]);
  e.phases = LoadPhases(work_, key);
  return std::optional<Experiment>(std::move(e));
}

absl::Status ExperimentStore::Transaction::InsertExperiment(const Experiment& e) {
  work_.exec_params0(kInsertExperimentSql, e.key, e.name, e.hypothesis, e.owner, TagsText(e.tags),
                     e.unit_type, VariantsText(e.variants, true), e.coverage, e.seed,
                     e.hash_version, ConditionParam(e.condition), OptionalText(e.layer),
                     e.layer_start, e.layer_end, MetricsText(e.metrics), StatusText(e.status),
                     e.phase, OptionalText(e.winning_variant), e.version, e.created_at_micros,
                     e.created_by, e.updated_at_micros, e.updated_by);
  return absl::OkStatus();
}

absl::Status ExperimentStore::Transaction::UpdateExperiment(const Experiment& e) {
  const pqxx::result result = work_.exec_params(
      kUpdateExperimentSql, e.key, e.name, e.hypothesis, e.owner, TagsText(e.tags), e.unit_type,
      VariantsText(e.variants, true), e.coverage, e.seed, e.hash_version,
      ConditionParam(e.condition), OptionalText(e.layer), e.layer_start, e.layer_end,
      MetricsText(e.metrics), StatusText(e.status), e.phase, OptionalText(e.winning_variant),
      e.version, e.updated_at_micros, e.updated_by);
  if (result.affected_rows() != 1) {
    return absl::NotFoundError(absl::StrCat("experiment \"", e.key, "\" does not exist"));
  }
  return absl::OkStatus();
}

absl::Status ExperimentStore::Transaction::InsertPhase(std::string_view key, const Phase& p) {
  work_.exec_params0(kInsertPhaseSql, std::string(key), p.number, p.started_at_micros,
                     p.ended_at_micros, VariantsText(p.variants, false), p.coverage, p.reason);
  return absl::OkStatus();
}

absl::Status ExperimentStore::Transaction::UpdatePhase(std::string_view key, const Phase& p) {
  work_.exec_params0(kUpdatePhaseSql, std::string(key), p.number, p.ended_at_micros, p.coverage);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Experiment>> ExperimentStore::Transaction::RunningInLayer(
    std::string_view layer) {
  std::vector<Experiment> experiments;
  for (const pqxx::row& row :
       work_.exec_params(absl::StrCat("SELECT ", kExperimentColumns,
                                      " FROM experiments WHERE layer = $1 AND status = 'running' "
                                      "ORDER BY layer_start, key"),
                         std::string(layer))) {
    experiments.push_back(ExperimentFromRow(row));
  }
  return experiments;
}

absl::StatusOr<std::optional<Layer>> ExperimentStore::Transaction::LockLayer(std::string_view key) {
  const pqxx::result rows = work_.exec_params(
      absl::StrCat("SELECT ", kLayerColumns, " FROM layers WHERE key = $1 FOR SHARE"),
      std::string(key));
  if (rows.empty()) return std::optional<Layer>();
  return std::optional<Layer>(LayerFromRow(rows[0]));
}

absl::Status ExperimentStore::Transaction::InsertLayer(const Layer& layer) {
  work_.exec_params0(
      "INSERT INTO layers (key, name, description, created_at, created_by) VALUES "
      "($1, $2, $3, " LIFT_TIMESTAMP("$4") ", $5)",
      layer.key, layer.name, layer.description, layer.created_at_micros, layer.created_by);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Override>> ExperimentStore::Transaction::FindOverride(
    std::string_view experiment_key, std::string_view unit_id) {
  const pqxx::result rows = work_.exec_params(
      absl::StrCat("SELECT ", kOverrideColumns,
                   " FROM experiment_overrides WHERE experiment_key = $1 AND unit_id = $2"),
      std::string(experiment_key), std::string(unit_id));
  if (rows.empty()) return std::optional<Override>();
  return std::optional<Override>(OverrideFromRow(rows[0]));
}

absl::Status ExperimentStore::Transaction::UpsertOverride(const Override& o) {
  work_.exec_params0(
      "INSERT INTO experiment_overrides (experiment_key, unit_id, variant_key, created_at, "
      "created_by) VALUES ($1, $2, $3, " LIFT_TIMESTAMP("$4") ", $5) ON CONFLICT (experiment_key, "
      "unit_id) DO UPDATE SET variant_key = EXCLUDED.variant_key, created_at = "
      "EXCLUDED.created_at, created_by = EXCLUDED.created_by",
      o.experiment_key, o.unit_id, o.variant_key, o.created_at_micros, o.created_by);
  return absl::OkStatus();
}

absl::Status ExperimentStore::Transaction::DeleteOverride(std::string_view experiment_key,
                                                          std::string_view unit_id) {
  work_.exec_params0("DELETE FROM experiment_overrides WHERE experiment_key = $1 AND unit_id = $2",
                     std::string(experiment_key), std::string(unit_id));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ExperimentStore::Transaction::CountOverrides(
    std::string_view experiment_key) {
  return work_
      .exec_params1("SELECT count(*) FROM experiment_overrides WHERE experiment_key = $1",
                    std::string(experiment_key))[0]
      .as<int64_t>();
}

absl::StatusOr<std::vector<std::string>> ExperimentStore::Transaction::OverriddenVariants(
    std::string_view experiment_key) {
  std::vector<std::string> keys;
  for (const pqxx::row& row :
       work_.exec_params("SELECT DISTINCT variant_key FROM experiment_overrides WHERE "
                         "experiment_key = $1 ORDER BY variant_key",
                         std::string(experiment_key))) {
    keys.push_back(row[0].as<std::string>());
  }
  return keys;
}

absl::StatusOr<std::optional<Holdout>> ExperimentStore::Transaction::FindHoldout(
    std::string_view key) {
  const pqxx::result rows = work_.exec_params(
      absl::StrCat("SELECT ", kHoldoutColumns, " FROM holdouts WHERE key = $1"), std::string(key));
  if (rows.empty()) return std::optional<Holdout>();
  return std::optional<Holdout>(HoldoutFromRow(rows[0]));
}

absl::Status ExperimentStore::Transaction::InsertHoldout(const Holdout& h) {
  work_.exec_params0(
      "INSERT INTO holdouts (key, name, description, share, layer, created_at, "
      "created_by) VALUES ($1, $2, $3, $4, $5, " LIFT_TIMESTAMP("$6") ", $7)",
      h.key, h.name, h.description, h.share, OptionalText(h.layer), h.created_at_micros,
      h.created_by);
  return absl::OkStatus();
}

absl::Status ExperimentStore::Transaction::DeleteHoldout(std::string_view key) {
  work_.exec_params0("DELETE FROM holdouts WHERE key = $1", std::string(key));
  return absl::OkStatus();
}

absl::Status ExperimentStore::Transaction::Audit(
    const std::string& actor, const std::string& action, const std::string& entity_type,
    const std::string& entity_key, const nlohmann::json& before, const nlohmann::json& after) {
  auto text = [](const nlohmann::json& json) -> std::optional<std::string> {
    if (json.is_null()) return std::nullopt;
    return json.dump();
  };
  work_.exec_params0(
      "INSERT INTO audit_log (occurred_at, actor, action, entity_type, entity_key, before, after) "
      "VALUES (now(), $1, $2, $3, $4, $5::jsonb, $6::jsonb)",
      actor, action, entity_type, entity_key, text(before), text(after));
  return absl::OkStatus();
}

// ---- ExperimentStore ----

absl::Status ExperimentStore::Transact(const std::function<absl::Status(Transaction&)>& body) {
  return pool_->Run([&](pqxx::work& work) -> absl::Status {
    // The configuration lock first: every writer takes it before any other row lock.
    const int64_t now =
        work.exec1("SELECT " LIFT_MICROS("now()") " FROM config_version WHERE id FOR UPDATE")[0]
            .as<int64_t>();
    Transaction transaction(work, now);
    return body(transaction);
  });
}

absl::StatusOr<std::optional<Experiment>> ExperimentStore::FindExperiment(std::string_view key) {
  return Read<std::optional<Experiment>>(
      pool_, absl::StrCat("read experiment \"", std::string(key), "\""),
      [&](pqxx::transaction_base& tx) -> std::optional<Experiment> {
        const pqxx::result rows = tx.exec_params(
            absl::StrCat("SELECT ", kExperimentColumns, " FROM experiments WHERE key = $1"),
            std::string(key));
        if (rows.empty()) return std::nullopt;
        Experiment e = ExperimentFromRow(rows[0]);
        e.phases = LoadPhases(tx, key);
        return e;
      });
}

absl::StatusOr<std::vector<Experiment>> ExperimentStore::ListExperiments(
    const ExperimentFilter& filter, std::string_view after_key, int limit) {
  std::optional<std::string> status;
  if (filter.status.has_value()) status = StatusText(*filter.status);
  return Read<std::vector<Experiment>>(pool_, "list experiments", [&](pqxx::transaction_base& tx) {
    std::vector<Experiment> experiments;
    for (const pqxx::row& row : tx.exec_params(
             absl::StrCat("SELECT ", kExperimentColumns,
                          " FROM experiments WHERE key > $1 AND ($2::text IS NULL OR status = "
                          "$2) AND ($3 = '' OR tags ? $3) AND ($4 = '' OR owner = $4) "
                          "ORDER BY key LIMIT $5"),
             std::string(after_key), status, filter.tag, filter.owner, limit)) {
      experiments.push_back(ExperimentFromRow(row));
    }
    if (experiments.empty()) return experiments;
    // Phases of the page in one query, over the page's key range.
    std::map<std::string, std::vector<Phase>> phases;
    for (const pqxx::row& row :
         tx.exec_params(absl::StrCat("SELECT ", kPhaseColumns,
                                     " FROM experiment_phases WHERE experiment_key >= $1 AND "
                                     "experiment_key <= $2 ORDER BY experiment_key, phase"),
                        experiments.front().key, experiments.back().key)) {
      phases[row[0].as<std::string>()].push_back(PhaseFromRow(row));
    }
    for (Experiment& e : experiments) {
      if (auto it = phases.find(e.key); it != phases.end()) e.phases = std::move(it->second);
    }
    return experiments;
  });
}

absl::StatusOr<std::vector<Override>> ExperimentStore::ListOverrides(
    std::string_view experiment_key) {
  return Read<std::vector<Override>>(pool_, "list overrides", [&](pqxx::transaction_base& tx) {
    std::vector<Override> overrides;
    for (const pqxx::row& row :
         tx.exec_params(absl::StrCat("SELECT ", kOverrideColumns,
                                     " FROM experiment_overrides WHERE experiment_key = $1 "
                                     "ORDER BY unit_id"),
                        std::string(experiment_key))) {
      overrides.push_back(OverrideFromRow(row));
    }
    return overrides;
  });
}

absl::StatusOr<std::vector<Layer>> ExperimentStore::ListLayers() {
  return Read<std::vector<Layer>>(pool_, "list layers", [&](pqxx::transaction_base& tx) {
    std::vector<Layer> layers;
    std::map<std::string, size_t> index;
    for (const pqxx::row& row :
         tx.exec(absl::StrCat("SELECT ", kLayerColumns, " FROM layers ORDER BY key"))) {
      index[row[0].as<std::string>()] = layers.size();
      layers.push_back(LayerFromRow(row));
    }
    for (const pqxx::row& row :
         tx.exec("SELECT layer, key, layer_start, layer_end FROM experiments WHERE layer IS NOT "
                 "NULL AND status = 'running' ORDER BY layer, layer_start, key")) {
      if (auto it = index.find(row[0].as<std::string>()); it != index.end()) {
        layers[it->second].running.push_back(
            {row[1].as<std::string>(), row[2].as<double>(), row[3].as<double>()});
      }
    }
    return layers;
  });
}

absl::StatusOr<std::vector<Holdout>> ExperimentStore::ListHoldouts() {
  return Read<std::vector<Holdout>>(pool_, "list holdouts", [&](pqxx::transaction_base& tx) {
    std::vector<Holdout> holdouts;
    for (const pqxx::row& row :
         tx.exec(absl::StrCat("SELECT ", kHoldoutColumns, " FROM holdouts ORDER BY key"))) {
      holdouts.push_back(HoldoutFromRow(row));
    }
    return holdouts;
  });
}

ConfigData ExperimentStore::LoadConfig(pqxx::connection& connection) {
  pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(connection);
  ConfigData data;
  data.version = tx.exec1("SELECT version FROM config_version WHERE id")[0].as<int64_t>();
  for (const pqxx::row& row :
       tx.exec(absl::StrCat("SELECT ", kExperimentColumns,
                            " FROM experiments WHERE status <> 'archived' ORDER BY key"))) {
    data.experiments.push_back(ExperimentFromRow(row));
  }
  for (const pqxx::row& row : tx.exec(absl::StrCat(
           "SELECT ", kOverrideColumns,
           " FROM experiment_overrides o WHERE EXISTS (SELECT 1 FROM experiments e WHERE e.key = "
           "o.experiment_key AND e.status <> 'archived') ORDER BY experiment_key, unit_id"))) {
    data.overrides.push_back(OverrideFromRow(row));
  }
  for (const pqxx::row& row :
       tx.exec(absl::StrCat("SELECT ", kHoldoutColumns, " FROM holdouts ORDER BY key"))) {
    data.holdouts.push_back(HoldoutFromRow(row));
  }
  tx.commit();
  return data;
}

int64_t ExperimentStore::ReadConfigVersion(pqxx::connection& connection) {
  pqxx::read_transaction tx(connection);
  const int64_t version = tx.exec1("SELECT version FROM config_version WHERE id")[0].as<int64_t>();
  tx.commit();
  return version;
}

}  // namespace lift::experiments
