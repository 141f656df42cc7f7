// The first-exposure backlog: how acknowledged exposures reach first_exposures without putting the
// fold on the acknowledgement path.
//
// An exposure flush writes its rows into `exposures` and, in the same transaction, one backlog row
// per experiment phase holding each unit's earliest exposure among the flush's rows, as plain text
// that PostgreSQL stores without parsing (AppendFirstExposureBacklog). Folding
// (FoldFirstExposureBacklog) takes backlog rows, merges their candidates in memory (one per unit:
// the earliest exposure wins, ties to the smaller variant key; a unit seen in two variants is
// marked multiple_variants), merges those into first_exposures — writing only units that are new or
// change — and deletes the backlog rows, all in one transaction: a crash at any point neither loses
// an acknowledged exposure nor folds one twice (folding is idempotent anyway). Folding many flushes
// at once is what makes it cheap: a unit exposed again and again costs one probe per fold, not one
// locked row update per exposure. Folds are serialised across connections and servers by a
// transaction-level advisory lock, so a reader that folds waits for a background fold in progress
// and then sees its result.
//
// Contract for readers: anything that reads first_exposures calls FoldFirstExposureBacklog(pool)
// first; then every exposure acknowledged before that call is accounted for.
// Throws (Append) or returns (Fold) what the database reports. Thread-safe (no shared state).
#ifndef LIFT_SERVER_INGEST_FIRST_EXPOSURE_BACKLOG_H_
#define LIFT_SERVER_INGEST_FIRST_EXPOSURE_BACKLOG_H_

#include <cstdint>
#include <pqxx/connection>
#include <pqxx/transaction>
#include <vector>

#include "absl/status/status.h"
#include "server/ingest/ingest_rows.h"
#include "server/store/connection_pool.h"

namespace lift::ingest {

// Candidates folded per transaction, roughly: backlog rows are taken whole, oldest first, until
// this many (the first row always).
inline constexpr int64_t kCandidatesPerFold = 200'000;

// Adds the earliest exposure per (experiment, phase, unit) of `rows` to the backlog, inside `tx`
// (the transaction that writes the exposures). Duplicates and retried rows may be included: the
// fold ignores what changes nothing. Throws what libpqxx throws.
void AppendFirstExposureBacklog(pqxx::transaction_base& tx,
                                const std::vector<const ExposureRow*>& rows);

// Folds the oldest backlog rows (up to about `max_candidates` candidates) in one transaction on
// `connection`; returns how many backlog rows it folded (0: the backlog was empty). Throws what
// libpqxx throws.
int FoldFirstExposureBacklogOnce(pqxx::connection& connection,
                                 int64_t max_candidates = kCandidatesPerFold);

// Folds every backlog row committed before the call (and possibly some that arrive meanwhile),
// using a pooled connection. Unavailable when the database cannot be reached.
absl::Status FoldFirstExposureBacklog(store::ConnectionPool& pool);

}  // namespace lift::ingest

#endif  // LIFT_SERVER_INGEST_FIRST_EXPOSURE_BACKLOG_H_
