-- Exposures acknowledged but not yet folded into first_exposures. Each ingest flush adds, in the
-- same transaction as its exposures, one row per experiment phase it touched: each unit's earliest
-- exposure among the flush's rows, as text lines (server/ingest/first_exposure_backlog.cc: unit,
-- variant, timestamp in Unix microseconds, attributes JSON, seen in several variants). A folder
-- merges rows into first_exposures and deletes them in one transaction; every reader of
-- first_exposures folds the backlog first. A few plain-text rows per flush keep the fold off the
-- per-row write path.
CREATE TABLE first_exposure_backlog (
  id             bigserial   PRIMARY KEY,
  experiment_key text        NOT NULL,
  phase          integer     NOT NULL,
  rows           integer     NOT NULL,  -- lines in candidates
  candidates     text        NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
-- Written once and read once: compressing it would cost more than it saves.
ALTER TABLE first_exposure_backlog ALTER COLUMN candidates SET STORAGE EXTERNAL;
