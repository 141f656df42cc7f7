#include "server/ingest/row_validation.h"

#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace lift::ingest {
namespace {

// Each check returns the rejection (field + reason) of the first rule the row breaks.
using Problem = std::optional<std::pair<std::string, std::string>>;

// PostgreSQL text and jsonb cannot hold U+0000 (valid UTF-8, so protobuf lets it through): one
// such row would fail the whole group-committed transaction, other callers' rows included.
constexpr const char* kNoNul = " must not contain NUL characters (U+0000)";

bool HasNul(const std::string& value) { return value.find('\0') != std::string::npos; }

Problem CheckId(const std::string& value, const char* field, size_t max_bytes) {
  if (value.empty()) return std::make_pair(field, absl::StrCat(field, " is required"));
  if (value.size() > max_bytes) {
    return std::make_pair(field, absl::StrCat(field, " must be at most ", max_bytes,
                                              " bytes, got ", value.size()));
  }
  if (HasNul(value)) return std::make_pair(field, absl::StrCat(field, kNoNul));
  return std::nullopt;
}

Problem CheckTimestamp(int64_t micros, int64_t now_micros) {
  if (micros == 0) {
    return std::make_pair("timestamp_micros",
                          "timestamp_micros is required (Unix epoch microseconds, UTC); resend "
                          "the same value on retries");
  }
  if (micros < kMinTimestampMicros) {
    return std::make_pair("timestamp_micros",
                          absl::StrCat("timestamp_micros ", micros,
                                       " is before 2000-01-01: is it in seconds or milliseconds "
                                       "instead of microseconds?"));
  }
  if (micros > now_micros + kMaxFutureMicros) {
    return std::make_pair("timestamp_micros",
                          absl::StrCat("timestamp_micros ", micros,
                                       " is more than 24 hours in the future (server time ",
                                       now_micros, ")"));
  }
  return std::nullopt;
}

// Converts a proto map to JSON object text ("" when empty), or reports the broken limit.
Problem MapToJson(const google::protobuf::Map<std::string, std::string>& map, const char* field,
                  std::string* json_text) {
  json_text->clear();
  if (map.empty()) return std::nullopt;
  if (map.size() > kMaxMapEntries) {
    return std::make_pair(field, absl::StrCat(field, " has ", map.size(),
                                              " entries; at most ", kMaxMapEntries, " are allowed"));
  }
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [key, value] : map) {
    if (key.empty() || key.size() > kMaxMapKeyBytes) {
      return std::make_pair(field, absl::StrCat(field, " keys must be 1..", kMaxMapKeyBytes,
                                                " bytes, got ", key.size()));
    }
    if (value.size() > kMaxMapValueBytes) {
      return std::make_pair(field, absl::StrCat(field, "[\"", key, "\"] must be at most ",
                                                kMaxMapValueBytes, " bytes"));
    }
    if (HasNul(key) || HasNul(value)) {
      return std::make_pair(field, absl::StrCat(field, " keys and values", kNoNul));
    }
    object[key] = value;
  }
  try {
    *json_text = object.dump();
  } catch (const nlohmann::json::exception&) {
    return std::make_pair(field, absl::StrCat(field, " must be valid UTF-8"));
  }
  return std::nullopt;
}

bool IsEventNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '-';
}

Problem CheckEventName(const std::string& name) {
  if (auto problem = CheckId(name, "event", kMaxEventNameBytes)) return problem;
  for (char c : name) {
    if (!IsEventNameCharacter(c)) {
      return std::make_pair("event", absl::StrCat("event '", name,
                                                  "' may only contain letters, digits and _ . : -"));
    }
  }
  return std::nullopt;
}

template <typename Row>
void Reject(ValidatedRows<Row>& out, int index, Problem problem) {
  out.rejections.push_back({index, std::move(problem->first), std::move(problem->second)});
}

}  // namespace

ValidatedRows<ExposureRow> ValidateExposures(const lift::v1::LogExposuresRequest& request,
                                             const assignment::Snapshot& snapshot,
                                             int64_t now_micros) {
  ValidatedRows<ExposureRow> out;
  out.rows.reserve(request.exposures_size());
  for (int i = 0; i < request.exposures_size(); ++i) {
    const lift::v1::Exposure& exposure = request.exposures(i);
    Problem problem = CheckId(exposure.event_id(), "event_id", kMaxEventIdBytes);
    if (!problem) problem = CheckId(exposure.unit_id(), "unit_id", kMaxUnitIdBytes);
    if (!problem) problem = CheckTimestamp(exposure.timestamp_micros(), now_micros);
    const assignment::CompiledExperiment* experiment = nullptr;
    int variant_index = -1;
    if (!problem) {
      experiment = snapshot.Find(exposure.experiment());
      if (experiment == nullptr) {
        problem = std::make_pair("experiment", exposure.experiment().empty()
                                                   ? std::string("experiment is required")
                                                   : absl::StrCat("experiment '", exposure.experiment(),
                                                                  "' does not exist"));
      }
    }
    if (!problem) {
      for (size_t v = 0; v < experiment->variants.size(); ++v) {
        if (experiment->variants[v].key == exposure.variant()) variant_index = static_cast<int>(v);
      }
      if (variant_index < 0) {
        problem = std::make_pair("variant", absl::StrCat("variant '", exposure.variant(),
                                                         "' is not a variant of experiment '",
                                                         exposure.experiment(), "'"));
      }
    }
    std::string attributes;
    if (!problem) problem = MapToJson(exposure.attributes(), "attributes", &attributes);
    if (problem) {
      Reject(out, i, std::move(problem));
      continue;
    }
    out.rows.push_back(ExposureRow{exposure.unit_id(), exposure.experiment(), exposure.event_id(),
                                   exposure.timestamp_micros(), experiment->phase,
                                   exposure.variant(), std::move(attributes)});
  }
  return out;
}

ValidatedRows<EventRow> ValidateEvents(const lift::v1::LogEventsRequest& request,
                                       int64_t now_micros) {
  ValidatedRows<EventRow> out;
  out.rows.reserve(request.events_size());
  for (int i = 0; i < request.events_size(); ++i) {
    const lift::v1::MetricEvent& event = request.events(i);
    Problem problem = CheckId(event.event_id(), "event_id", kMaxEventIdBytes);
    if (!problem) problem = CheckId(event.unit_id(), "unit_id", kMaxUnitIdBytes);
    if (!problem) problem = CheckEventName(event.event());
    const double value = event.has_value() ? event.value() : 1.0;
    if (!problem && !std::isfinite(value)) {
      problem = std::make_pair("value", absl::StrCat("value must be a finite number, got ", value));
    }
    if (!problem) problem = CheckTimestamp(event.timestamp_micros(), now_micros);
    std::string properties;
    if (!problem) problem = MapToJson(event.properties(), "properties", &properties);
    if (problem) {
      Reject(out, i, std::move(problem));
      continue;
    }
    out.rows.push_back(EventRow{event.unit_id(), event.event(), event.event_id(),
                                event.timestamp_micros(), value, std::move(properties)});
  }
  return out;
}

}  // namespace lift::ingest
