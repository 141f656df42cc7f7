#include "server/ingest/table_writers.h"

#include <string>
#include <tuple>

#include <pqxx/pqxx>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

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

// Moves the staged rows into the table. On the fast path (`fallback` false) any duplicate raises
// unique_violation and nothing is returned; the fallback skips duplicates (ON CONFLICT DO NOTHING)
// and returns the key (unit, experiment or event name, event id, timestamp micros) of each row it
// inserted.
pqxx::result InsertStagedExposures(pqxx::transaction_base& tx, bool fallback) {
  const pqxx::result inserted = tx.exec(absl::StrCat(
      "WITH inserted AS ("
      "  INSERT INTO exposures (unit_id, experiment_key, event_id, ts, phase, variant_key, attributes)"
      "  SELECT unit_id, experiment_key, event_id, ", kMicrosToTimestamp, ", phase, variant_key,"
      "         NULLIF(attributes, '')::jsonb"
      "  FROM lift_stage_exposures", fallback ? " ON CONFLICT DO NOTHING" : "",
      "  RETURNING unit_id, experiment_key, event_id, ts, phase, variant_key, attributes),"
      " earliest AS ("
      "  SELECT DISTINCT ON (experiment_key, phase, unit_id) experiment_key, phase, unit_id,"
      "         variant_key, ts, attributes,"
      "         min(variant_key) OVER w <> max(variant_key) OVER w AS multiple_variants"
      "  FROM inserted"
      "  WINDOW w AS (PARTITION BY experiment_key, phase, unit_id)"
      "  ORDER BY experiment_key, phase, unit_id, ts, variant_key),"
      " folded AS ("
      "  INSERT INTO first_exposures AS f"
      "    (experiment_key, phase, unit_id, variant_key, first_ts, attributes, multiple_variants)"
      "  SELECT experiment_key, phase, unit_id, variant_key, ts, attributes, multiple_variants"
      "  FROM earliest"
      "  ON CONFLICT (experiment_key, phase, unit_id) DO UPDATE SET"
      "    multiple_variants = f.multiple_variants OR EXCLUDED.multiple_variants"
      "                        OR f.variant_key <> EXCLUDED.variant_key,"
      "    variant_key = CASE WHEN EXCLUDED.first_ts < f.first_ts"
      "                       THEN EXCLUDED.variant_key ELSE f.variant_key END,"
      "    attributes = CASE WHEN EXCLUDED.first_ts < f.first_ts"
      "                      THEN EXCLUDED.attributes ELSE f.attributes END,"
      "    first_ts = LEAST(f.first_ts, EXCLUDED.first_ts)"
      // Most exposures repeat a unit's known first exposure (same variant, later): then nothing
      // changes, and skipping the update saves a new row version, its WAL and its index entries.
      "  WHERE EXCLUDED.first_ts < f.first_ts OR f.variant_key <> EXCLUDED.variant_key"
      "     OR (EXCLUDED.multiple_variants AND NOT f.multiple_variants))"
      " SELECT unit_id, experiment_key, event_id, (extract(epoch FROM ts) * 1000000)::bigint"
      " FROM inserted WHERE ", fallback ? "true" : "false"));
  return inserted;
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

// Retries and in-batch repeats are rare, and INSERT ... ON CONFLICT costs several times a plain
// INSERT (speculative insertion), so try the plain INSERT first inside a savepoint; only if it
// hits the unique index do we roll back to the savepoint and take the ON CONFLICT path, whose
// RETURNING tells which rows were new.
template <typename Row, typename InsertFn, typename KeyFn>
std::vector<bool> InsertStaged(pqxx::work& tx, const std::vector<const Row*>& rows,
                               InsertFn insert, KeyFn key_of_row) {
  try {
    pqxx::subtransaction fast(tx, "lift_fast_insert");
    insert(fast, /*fallback=*/false);
    fast.commit();
    return std::vector<bool>(rows.size(), true);
  } catch (const pqxx::unique_violation&) {
    // The subtransaction rolled back to its savepoint; the staged rows are still there.
  }
  return Attribute(rows, insert(tx, /*fallback=*/true), key_of_row);
}

}  // namespace

std::vector<bool> WriteExposures(pqxx::work& tx, const std::vector<const ExposureRow*>& rows) {
  {
    pqxx::stream_to stream(tx, "lift_stage_exposures",
                           std::vector<std::string>{"unit_id", "experiment_key", "event_id",
                                                    "ts_micros", "phase", "variant_key",
                                                    "attributes"});
    for (const ExposureRow* row : rows) {
      stream << std::tie(row->unit_id, row->experiment_key, row->event_id, row->timestamp_micros,
                         row->phase, row->variant_key, row->attributes_json);
    }
    stream.complete();
  }
  return InsertStaged(
      tx, rows, InsertStagedExposures,
      [](const ExposureRow& row) {
        return absl::StrCat(row.unit_id, "\x1f", row.experiment_key, "\x1f", row.event_id, "\x1f",
                            row.timestamp_micros);
      });
}

std::vector<bool> WriteEvents(pqxx::work& tx, const std::vector<const EventRow*>& rows) {
  // Fast path: COPY straight into metric_events (no staging table, no second write), inside a
  // savepoint. Row validation bounds timestamps to [2000, now + 24 h], so the text form is always
  // a plain four-digit year.
  try {
    pqxx::subtransaction fast(tx, "lift_fast_copy");
    {
      pqxx::stream_to stream(fast, "metric_events",
                             std::vector<std::string>{"unit_id", "event_name", "event_id", "ts",
                                                      "value", "properties"});
      for (const EventRow* row : rows) {
        const std::string ts = TimestampText(row->timestamp_micros);
        const char* properties =  // nullptr is written as NULL
            row->properties_json.empty() ? nullptr : row->properties_json.c_str();
        stream << std::tie(row->unit_id, row->event_name, row->event_id, ts, row->value,
                           properties);
      }
      stream.complete();
    }
    fast.commit();
    return std::vector<bool>(rows.size(), true);
  } catch (const pqxx::unique_violation&) {
    // Rolled back to the savepoint: a retry or a repeated row. Take the staged ON CONFLICT path.
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
