// The SQL of ingest: one flush of rows (from many RPCs) written inside the caller's transaction.
//
// Metric events are streamed with COPY (pqxx::stream_to) straight into metric_events inside a
// savepoint: one write per row, as fast as a raw COPY. Exposures are streamed into a per-connection
// temporary staging table and moved into `exposures` with a plain INSERT inside a savepoint, in the
// same statement that folds the new rows into first_exposures (earliest exposure wins; a unit seen
// in two variants is marked multiple_variants). Only when the fast path hits the unique index (a
// retry, or a row repeated in the flush) does either fall back to INSERT ... ON CONFLICT DO
// NOTHING from the staging table, whose RETURNING tells which rows were new. Nothing is visible
// until the caller commits. Throws what libpqxx throws.
// Thread-compatible: one writer per connection.
#ifndef LIFT_SERVER_INGEST_TABLE_WRITERS_H_
#define LIFT_SERVER_INGEST_TABLE_WRITERS_H_

#include <vector>

#include <pqxx/transaction>

#include "server/ingest/ingest_rows.h"

namespace lift::ingest {

// Creates the temporary staging tables on this connection (once per connection).
void PrepareStaging(pqxx::work& tx);

// Writes `rows`; returns, per row, whether it was newly stored (false: a duplicate of a stored row
// or of an earlier row of `rows`).
std::vector<bool> WriteExposures(pqxx::work& tx, const std::vector<const ExposureRow*>& rows);
std::vector<bool> WriteEvents(pqxx::work& tx, const std::vector<const EventRow*>& rows);

}  // namespace lift::ingest

#endif  // LIFT_SERVER_INGEST_TABLE_WRITERS_H_
