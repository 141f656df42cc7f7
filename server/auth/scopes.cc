#include "server/auth/scopes.h"

#include <unordered_map>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lift::auth {
namespace {

// Debian's Abseil has its own string_view: convert before calling absl functions.
absl::string_view Absl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

constexpr Scope kPublic = Scope::kPublic;
constexpr Scope kAssign = Scope::kAssign;
constexpr Scope kIngest = Scope::kIngest;
constexpr Scope kRead = Scope::kRead;
constexpr Scope kAdmin = Scope::kAdmin;

}  // namespace

// THE table. Keep it in the same order as the list in proto/lift/v1/auth.proto.
const std::vector<std::pair<std::string_view, Scope>>& ScopeTable() {
  static const auto* const table = new std::vector<std::pair<std::string_view, Scope>>{
      {"/lift.v1.SystemService/Ping", kPublic},
      {"/lift.v1.SystemService/GetServerInfo", kRead},
      {"/lift.v1.ExperimentService/CreateExperiment", kAdmin},
      {"/lift.v1.ExperimentService/UpdateExperiment", kAdmin},
      {"/lift.v1.ExperimentService/GetExperiment", kRead},
      {"/lift.v1.ExperimentService/ListExperiments", kRead},
      {"/lift.v1.ExperimentService/StartExperiment", kAdmin},
      {"/lift.v1.ExperimentService/StopExperiment", kAdmin},
      {"/lift.v1.ExperimentService/ArchiveExperiment", kAdmin},
      {"/lift.v1.ExperimentService/SetOverride", kAdmin},
      {"/lift.v1.ExperimentService/ClearOverride", kAdmin},
      {"/lift.v1.ExperimentService/ListOverrides", kRead},
      {"/lift.v1.ExperimentService/CreateLayer", kAdmin},
      {"/lift.v1.ExperimentService/ListLayers", kRead},
      {"/lift.v1.ExperimentService/CreateHoldout", kAdmin},
      {"/lift.v1.ExperimentService/ListHoldouts", kRead},
      {"/lift.v1.ExperimentService/DeleteHoldout", kAdmin},
      {"/lift.v1.AssignmentService/Assign", kAssign},
      {"/lift.v1.AssignmentService/AssignBatch", kAssign},
      {"/lift.v1.EventService/LogExposures", kIngest},
      {"/lift.v1.EventService/LogEvents", kIngest},
      {"/lift.v1.EventService/StreamExposures", kIngest},
      {"/lift.v1.EventService/StreamEvents", kIngest},
      {"/lift.v1.MetricService/ApplyMetrics", kAdmin},
      {"/lift.v1.MetricService/GetMetric", kRead},
      {"/lift.v1.MetricService/ListMetrics", kRead},
      {"/lift.v1.MetricService/ListMetricVersions", kRead},
      {"/lift.v1.ReadoutService/GetReadout", kRead},
      {"/lift.v1.ReadoutService/GetWeeklyReview", kRead},
      {"/lift.v1.ReadoutService/AnalyzeLaunch", kRead},
      {"/lift.v1.ReadoutService/CreateLaunch", kAdmin},
      {"/lift.v1.ReadoutService/ListLaunches", kRead},
      {"/lift.v1.KeyService/CreateKey", kAdmin},
      {"/lift.v1.KeyService/ListKeys", kAdmin},
      {"/lift.v1.KeyService/RevokeKey", kAdmin},
      {"/lift.v1.AuditService/ListAuditEntries", kAdmin},
      {"/grpc.health.v1.Health/Check", kPublic},
      {"/grpc.health.v1.Health/Watch", kPublic},
      {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", kPublic},
  };
  return *table;
}

std::string_view ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kPublic:
      return "public";
    case Scope::kAssign:
      return "assign";
    case Scope::kIngest:
      return "ingest";
    case Scope::kRead:
      return "read";
    case Scope::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::StatusOr<Scope> ParseKeyScope(std::string_view name) {
  for (Scope scope : {kAssign, kIngest, kRead, kAdmin}) {
    if (name == ScopeName(scope)) return scope;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("scope must be one of assign, ingest, read, admin, got '", Absl(name), "'"));
}

std::optional<Scope> RequiredScope(std::string_view path) {
  static const auto* const index = [] {
    auto* map = new std::unordered_map<std::string_view, Scope>();
    for (const auto& [method, scope] : ScopeTable()) map->emplace(method, scope);
    return map;
  }();
  auto it = index->find(path);
  if (it == index->end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Principal::ScopeNames() const {
  std::vector<std::string> names;
  for (Scope scope : {kAssign, kIngest, kRead, kAdmin}) {
    if (Holds(scope)) names.emplace_back(ScopeName(scope));
  }
  return names;
}

absl::Status Authorize(std::string_view path, Scope required, const Principal& principal) {
  if (required == kPublic || principal.Holds(required) || principal.Holds(kAdmin)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat(Absl(path), " requires scope '", Absl(ScopeName(required)), "'",
                   required == kAdmin ? "" : " (or 'admin')", "; API key '", principal.name,
                   "' has scopes [", absl::StrJoin(principal.ScopeNames(), ", "), "]"));
}

absl::Status UndeclaredMethodError(std::string_view path) {
  return absl::PermissionDeniedError(
      absl::StrCat("no scope declared for method ", Absl(path),
                   ": liftd refuses methods missing from its scope table (server/auth/scopes.cc)"));
}

}  // namespace lift::auth
