// The SQL of ingest: one flush of rows (from many RPCs) written inside the caller's transaction.
//
// Rows are streamed with COPY (pqxx::stream_to) straight into metric_events / exposures inside a
// savepoint: one write per row, as fast as a raw COPY. Only when that hits the unique index (a
// retry, or a row repeated in the flush) do they go through a per-connection temporary staging
// table and INSERT ... ON CONFLICT DO NOTHING, whose RETURNING tells which rows were new.
// Exposures also add one row to the first-exposure backlog (first_exposure_backlog.h), folded into
// first_exposures later, off the acknowledgement path. Nothing is visible until the caller commits.
// Throws what libpqxx throws.
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
