-- Ingest: raw exposures and metric events, partitioned by day (partitions are created by liftd
-- ahead of time and on demand), and each unit's first exposure per experiment phase.
-- Unique keys start with unit_id so the tables can be distributed by unit_id (Citus).

CREATE TABLE exposures (
  unit_id        text        NOT NULL,
  experiment_key text        NOT NULL,
  event_id       text        NOT NULL,
  ts             timestamptz NOT NULL,
  phase          integer     NOT NULL,
  variant_key    text        NOT NULL,
  attributes     jsonb,
  received_at    timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (ts);
-- Idempotency: a retried exposure conflicts here and is counted as a duplicate.
CREATE UNIQUE INDEX exposures_dedup_idx ON exposures (unit_id, experiment_key, event_id, ts);

CREATE TABLE metric_events (
  unit_id     text             NOT NULL,
  event_name  text             NOT NULL,
  event_id    text             NOT NULL,
  ts          timestamptz      NOT NULL,
  value       double precision NOT NULL,
  properties  jsonb,
  received_at timestamptz      NOT NULL DEFAULT now()
) PARTITION BY RANGE (ts);
-- Idempotency, and the access path of aggregation (a unit's events of one name, in a window).
CREATE UNIQUE INDEX metric_events_dedup_idx
  ON metric_events (unit_id, event_name, event_id, ts) INCLUDE (value);

-- The exposure the analysis uses: each unit's first, per experiment phase. Units seen in more than
-- one variant are kept with multiple_variants = true so readouts can count and exclude them.
CREATE TABLE first_exposures (
  experiment_key    text        NOT NULL,
  phase             integer     NOT NULL,
  unit_id           text        NOT NULL,
  variant_key       text        NOT NULL,
  first_ts          timestamptz NOT NULL,
  attributes        jsonb,
  multiple_variants boolean     NOT NULL DEFAULT false,
  PRIMARY KEY (experiment_key, phase, unit_id)
);
