#include "server/launch/launch_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"

namespace lift::launch {
namespace {

constexpr char kColumns[] =
    "key, name, description, owner, array_to_json(metric_keys)::text, treated, control, "
    "(extract(epoch FROM launch_at) * 1000000)::bigint, pre_days, post_days, period, "
    "(extract(epoch FROM created_at) * 1000000)::bigint, created_by";

Launch FromRow(const pqxx::row& row) {
  Launch launch;
  launch.key = row[0].as<std::string>();
  launch.name = row[1].as<std::string>();
  launch.description = row[2].as<std::string>();
  launch.owner = row[3].as<std::string>();
  launch.metric_keys =
      nlohmann::json::parse(row[4].as<std::string>()).get<std::vector<std::string>>();
  launch.treated = row[5].as<std::string>();
  launch.control = row[6].as<std::string>();
  launch.launch_at_micros = row[7].as<int64_t>();
  launch.pre_days = row[8].as<int>();
  launch.post_days = row[9].as<int>();
  launch.period_days = row[10].as<std::string>() == "week" ? 7 : 1;
  launch.created_at_micros = row[11].as<int64_t>();
  launch.created_by = row[12].as<std::string>();
  return launch;
}

std::string Instant(int parameter) {
  return absl::StrCat("(to_timestamp(0) + $", parameter, "::bigint * interval '1 microsecond')");
}

}  // namespace

absl::StatusOr<Launch> LaunchStore::Create(const Launch& launch, const std::string& actor) {
  Launch created = launch;
  created.created_by = actor;
  absl::Status status = pool_->Run([&](pqxx::work& work) -> absl::Status {
    const pqxx::result rows = work.exec_params(
        absl::StrCat("INSERT INTO launches (key, name, description, owner, metric_keys, treated, "
                     "control, launch_at, pre_days, post_days, period, created_by) "
                     "SELECT $1, $2, $3, $4, ARRAY(SELECT jsonb_array_elements_text($5::jsonb)), "
                     "$6, $7, ",
                     Instant(8),
                     ", $9, $10, $11, $12 "
                     "ON CONFLICT (key) DO NOTHING "
                     "RETURNING (extract(epoch FROM created_at) * 1000000)::bigint"),
        launch.key, launch.name, launch.description, launch.owner,
        nlohmann::json(launch.metric_keys).dump(), launch.treated, launch.control,
        launch.launch_at_micros, launch.pre_days, launch.post_days, PeriodName(launch.period_days),
        actor);
    if (rows.empty()) {
      return absl::AlreadyExistsError(absl::StrCat("launch '", launch.key, "' already exists"));
    }
    created.created_at_micros = rows[0][0].as<int64_t>();
    work.exec_params0(
        "INSERT INTO audit_log (occurred_at, actor, action, entity_type, entity_key, before, "
        "after) VALUES (now(), $1, 'launch.create', 'launch', $2, NULL, $3::jsonb)",
        actor, launch.key, LaunchJson(launch).dump());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<std::optional<Launch>> LaunchStore::Find(const std::string& key) {
  std::optional<Launch> found;
  absl::Status status = pool_->Run([&](pqxx::work& work) -> absl::Status {
    const pqxx::result rows =
        work.exec_params(absl::StrCat("SELECT ", kColumns, " FROM launches WHERE key = $1"), key);
    if (!rows.empty()) found = FromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<std::vector<Launch>> LaunchStore::List(int64_t from_micros, int64_t to_micros) {
  std::vector<Launch> launches;
  absl::Status status = pool_->Run([&](pqxx::work& work) -> absl::Status {
    const pqxx::result rows = work.exec_params(
        absl::StrCat("SELECT ", kColumns, " FROM launches WHERE ($1::bigint = 0 OR launch_at >= ",
                     Instant(1), ") AND ($2::bigint = 0 OR launch_at < ", Instant(2),
                     ") ORDER BY launch_at, key"),
        from_micros, to_micros);
    for (const pqxx::row& row : rows) launches.push_back(FromRow(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return launches;
}

}  // namespace lift::launch
