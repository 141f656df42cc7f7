-- Exposures acknowledged but not yet folded into first_exposures. Each ingest flush adds, in the
-- same transaction as its exposures, one row per experiment phase it touched: each unit's earliest
-- exposure among the flush's rows, as parallel arrays (unit, variant, timestamp in Unix
-- microseconds, attributes as JSON text or NULL, seen in several variants). A folder merges rows
-- into first_exposures and deletes them in one transaction; every reader of first_exposures folds
-- the backlog first. A few array rows per flush keep the fold off the per-row write path.
CREATE TABLE first_exposure_backlog (
  id                bigserial   PRIMARY KEY,
  experiment_key    text        NOT NULL,
  phase             integer     NOT NULL,
  unit_ids          text[]      NOT NULL,
  variant_keys      text[]      NOT NULL,
  first_ts_micros   bigint[]    NOT NULL,
  attributes        text[]      NOT NULL,
  multiple_variants boolean[]   NOT NULL,
  rows              integer     NOT NULL,  -- the arrays' length
  created_at        timestamptz NOT NULL DEFAULT now()
);
-- Written once and read once: compressing the arrays would cost more than it saves.
ALTER TABLE first_exposure_backlog
  ALTER COLUMN unit_ids SET STORAGE EXTERNAL,
  ALTER COLUMN variant_keys SET STORAGE EXTERNAL,
  ALTER COLUMN first_ts_micros SET STORAGE EXTERNAL,
  ALTER COLUMN attributes SET STORAGE EXTERNAL,
  ALTER COLUMN multiple_variants SET STORAGE EXTERNAL;
