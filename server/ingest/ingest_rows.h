// Validated rows on their way into PostgreSQL. Produced by row_validation.h from API requests,
// consumed by the table writers (table_writers.h). Plain data.
#ifndef LIFT_SERVER_INGEST_INGEST_ROWS_H_
#define LIFT_SERVER_INGEST_INGEST_ROWS_H_

#include <cstdint>
#include <string>

namespace lift::ingest {

struct ExposureRow {
  std::string unit_id;
  std::string experiment_key;
  std::string event_id;
  int64_t timestamp_micros = 0;  // Unix epoch microseconds, UTC
  int32_t phase = 0;             // the experiment's phase when the exposure was accepted
  std::string variant_key;
  std::string attributes_json;   // JSON object text, or empty for none
};

struct EventRow {
  std::string unit_id;
  std::string event_name;
  std::string event_id;
  int64_t timestamp_micros = 0;
  double value = 1.0;
  std::string properties_json;   // JSON object text, or empty for none
};

// Why one row of a request was refused. `index` is the row's position in its request message.
struct RowRejection {
  int32_t index = 0;
  std::string field;
  std::string reason;
};

// The acknowledgement of one submitted batch, once committed.
struct CommitCounts {
  int64_t accepted = 0;    // newly stored rows
  int64_t duplicates = 0;  // rows that were already stored, or repeated within the batch
};

}  // namespace lift::ingest

#endif  // LIFT_SERVER_INGEST_INGEST_ROWS_H_
