#include "server/ingest/table_writers.h"

#include <string>
#include <tuple>

#include <pqxx/pqxx>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/ingest/first_exposure_backlog.h"

namespace lift::ingest {
namespace {

// Microseconds since the epoch as an exact timestamptz expression (staging -> table).
constexpr char kMicrosToTimestamp[] = "'epoch'::timestamptz + ts_micros * interval '1 microsecond'";

// Marks as new the first row of each key that the fallback INSERT returned; every other row was a
// duplicate (already stored, or repeated within the flush).
template <typename Row, typename KeyFn>
std::vector<bool> Attribute(const std::vector<const Row*>& rows, const pqxx::result& inserted,
                            KeyFn key_of_row) {
  absl::flat_hash_map<std::string, size_t> first_position;
  first_position.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) first_position.try_emplace(key_of_row(*rows[i]), i);
  std::vector<bool> is_new(rows.size(), false);
  for (const auto& row : inserted) {
    const std::string key = absl::StrCat(row[0].c_str(), "\x1f", row[1].c_str(), "\x1f",
                                         row[2].c_str(), "\x1f", row[3].c_str());
    if (auto it = first_position.find(key); it != first_position.end()) is_new[it->second] = true;
  }
  return is_new;
}

}  // namespace

void PrepareStaging(pqxx::work& tx) {
  tx.exec(
      "CREATE TEMP TABLE lift_stage_exposures ("
      " unit_id text, experiment_key text, event_id text, ts_micros bigint, phase integer,"
      " variant_key text, attributes text) ON COMMIT DELETE ROWS");
  tx.exec(
      "CREATE TEMP TABLE lift_stage_events ("
      " unit_id text, event_name text, event_id text, ts_micros bigint, value double precision,"
      " properties text) ON COMMIT DELETE ROWS");
}

namespace {

// The fallback of WriteExposures: skips duplicates and returns the key of each inserted row.
pqxx::result InsertStagedExposures(pqxx::transaction_base& tx) {
  return tx.exec(absl::StrCat(
      "INSERT INTO exposures"
      " (unit_id, experiment_key, event_id, ts, phase, variant_key, attributes)"
      " SELECT unit_id, experiment_key, event_id, ", kMicrosToTimestamp, ", phase, variant_key,"
      "        NULLIF(attributes, '')::jsonb"
      " FROM lift_stage_exposures"
      " ON CONFLICT DO NOTHING RETURNING unit_id, experiment_key, event_id,"
      " (extract(epoch FROM ts) * 1000000)::bigint"));
}

// The fallback of WriteEvents: skips duplicates and returns the key of each inserted row.
pqxx::result InsertStagedEvents(pqxx::transaction_base& tx) {
  return tx.exec(absl::StrCat(
      "INSERT INTO metric_events (unit_id, event_name, event_id, ts, value, properties)"
      " SELECT unit_id, event_name, event_id, ", kMicrosToTimestamp, ", value,"
      "        NULLIF(properties, '')::jsonb"
      " FROM lift_stage_events"
      " ON CONFLICT DO NOTHING RETURNING unit_id, event_name, event_id,"
      " (extract(epoch FROM ts) * 1000000)::bigint"));
}

// `micros` (Unix epoch microseconds, year 1000..9999) as exact timestamptz text in UTC.
std::string TimestampText(int64_t micros) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

// Fast path: COPY straight into `table` (one write per row, as fast as a raw COPY) inside a
// savepoint. Returns false, rolled back to the savepoint, when a row hit the unique index (a retry
// or a row repeated in the flush). Row validation bounds timestamps to [2000, now + 24 h], so their
// text form is always a plain four-digit year.
template <typename Row, typename StreamRowFn>
bool CopyStraightIn(pqxx::work& tx, const std::string& table,
                    const std::vector<std::string>& columns, const std::vector<const Row*>& rows,
                    StreamRowFn stream_row) {
  try {
    pqxx::subtransaction fast(tx, "lift_fast_copy");
    {
      pqxx::stream_to stream(fast, table, columns);
      for (const Row* row : rows) stream_row(stream, *row);
      stream.complete();
    }
    fast.commit();
    return true;
  } catch (const pqxx::unique_violation&) {
    return false;
  }
}

// nullptr (written as NULL) for an empty JSON text.
const char* JsonOrNull(const std::string& json) { return json.empty() ? nullptr : json.c_str(); }

}  // namespace

std::vector<bool> WriteExposures(pqxx::work& tx, const std::vector<const ExposureRow*>& rows) {
  std::vector<bool> is_new;
  if (CopyStraightIn(tx, "exposures",
                     {"unit_id", "experiment_key", "event_id", "ts", "phase", "variant_key",
                      "attributes"},
                     rows, [](pqxx::stream_to& stream, const ExposureRow& row) {
                       stream << std::forward_as_tuple(row.unit_id, row.experiment_key, row.event_id,
                                                 TimestampText(row.timestamp_micros), row.phase,
                                                 row.variant_key, JsonOrNull(row.attributes_json));
                     })) {
    is_new.assign(rows.size(), true);
  } else {
    {
      pqxx::stream_to stream(tx, "lift_stage_exposures",
                             std::vector<std::string>{"unit_id", "experiment_key", "event_id",
                                                      "ts_micros", "phase", "variant_key",
                                                      "attributes"});
      for (const ExposureRow* row : rows) {
        stream << std::tie(row->unit_id, row->experiment_key, row->event_id,
                           row->timestamp_micros, row->phase, row->variant_key,
                           row->attributes_json);
      }
      stream.complete();
    }
    is_new = Attribute(rows, InsertStagedExposures(tx), [](const ExposureRow& row) {
      return absl::StrCat(row.unit_id, "\x1f", row.experiment_key, "\x1f", row.event_id, "\x1f",
                          row.timestamp_micros);
    });
  }
  // Duplicates go to the backlog too: folding them changes nothing, and sorting them out would
  // cost more than it saves.
  AppendFirstExposureBacklog(tx, rows);
  return is_new;
}

std::vector<bool> WriteEvents(pqxx::work& tx, const std::vector<const EventRow*>& rows) {
  if (CopyStraightIn(tx, "metric_events",
                     {"unit_id", "event_name", "event_id", "ts", "value", "properties"}, rows,
                     [](pqxx::stream_to& stream, const EventRow& row) {
                       stream << std::forward_as_tuple(row.unit_id, row.event_name, row.event_id,
                                                 TimestampText(row.timestamp_micros), row.value,
                                                 JsonOrNull(row.properties_json));
                     })) {
    return std::vector<bool>(rows.size(), true);
  }
  {
    pqxx::stream_to stream(tx, "lift_stage_events",
                           std::vector<std::string>{"unit_id", "event_name", "event_id",
                                                    "ts_micros", "value", "properties"});
    for (const EventRow* row : rows) {
      stream << std::tie(row->unit_id, row->event_name, row->event_id, row->timestamp_micros,
                         row->value, row->properties_json);
    }
    stream.complete();
  }
  return Attribute(rows, InsertStagedEvents(tx), [](const EventRow& row) {
    return absl::StrCat(row.unit_id, "\x1f", row.event_name, "\x1f", row.event_id, "\x1f",
                        row.timestamp_micros);
  });
}

}  // namespace lift::ingest
