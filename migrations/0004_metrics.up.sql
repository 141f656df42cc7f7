-- Metric definitions (versioned, immutable rows) and daily readout snapshots.
--
-- A metric is identified by `key`; every change of its definition inserts a new row with the next
-- version, so readouts can record exactly which definition they used. Rows are never updated
-- (a trigger refuses it). Changes are audited into audit_log (0001) by the application in the same
-- transaction. The property filters are structured JSON ([{"property", "operator", "values"}])
-- that the server compiles into parameterised SQL; no SQL text from users is ever stored.
CREATE TABLE metric_definitions (
  key                     text             NOT NULL CHECK (key ~ '^[a-z0-9_.-]+$'),
  version                 integer          NOT NULL CHECK (version >= 1),
  name                    text             NOT NULL DEFAULT '',
  description             text             NOT NULL DEFAULT '',
  owner                   text             NOT NULL DEFAULT '',
  kind                    text             NOT NULL
                          CHECK (kind IN ('proportion', 'mean', 'ratio', 'retention')),
  numerator_event         text             NOT NULL,
  numerator_aggregation   text             NOT NULL CHECK (numerator_aggregation IN ('sum', 'count', 'max', 'any')),
  numerator_filter        jsonb            NOT NULL DEFAULT '[]',
  denominator_event       text,            -- ratio metrics only
  denominator_aggregation text             CHECK (denominator_aggregation IN ('sum', 'count', 'max', 'any')),
  denominator_filter      jsonb            NOT NULL DEFAULT '[]',
  window_start_seconds    bigint           NOT NULL DEFAULT 0 CHECK (window_start_seconds >= 0),
  window_duration_seconds bigint           NOT NULL DEFAULT 0 CHECK (window_duration_seconds >= 0), -- 0 = to phase end
  capping                 text             NOT NULL DEFAULT 'none' CHECK (capping IN ('none', 'absolute', 'percentile')),
  capping_value           double precision NOT NULL DEFAULT 0,
  direction               text             NOT NULL DEFAULT 'increase' CHECK (direction IN ('increase', 'decrease')),
  cuped_pre_period_days   integer          NOT NULL DEFAULT 14 CHECK (cuped_pre_period_days BETWEEN 0 AND 365),
  mde                     double precision,  -- relative; NULL = none
  target                  double precision,
  baseline                double precision,
  tier                    text             NOT NULL DEFAULT '' CHECK (tier IN ('', 'north_star', 'key_result', 'guardrail', 'input')),
  created_at              timestamptz      NOT NULL DEFAULT now(),
  created_by              text             NOT NULL,
  PRIMARY KEY (key, version),
  CHECK ((kind = 'ratio') = (denominator_event IS NOT NULL))
);

CREATE FUNCTION lift_metric_definitions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'metric_definitions rows are immutable: insert a new version instead'
    USING ERRCODE = 'check_violation';
END
$$;
CREATE TRIGGER metric_definitions_immutable BEFORE UPDATE ON metric_definitions
  FOR EACH ROW EXECUTE FUNCTION lift_metric_definitions_immutable();

-- Daily cumulative sufficient statistics per experiment phase, variant and metric (for time series
-- and sequential analysis): the statistics over units first exposed up to the end of `day`, with
-- events up to that instant. Additive columns, as stats/sufficient_statistics.h names them.
CREATE TABLE readout_snapshots (
  experiment_key text             NOT NULL,
  phase          integer          NOT NULL,
  day            date             NOT NULL,   -- UTC
  metric_key     text             NOT NULL,
  metric_version integer          NOT NULL,
  variant_key    text             NOT NULL,
  n              bigint           NOT NULL,
  sum_y          double precision NOT NULL,
  sum_y2         double precision NOT NULL,
  sum_x          double precision NOT NULL,
  sum_x2         double precision NOT NULL,
  sum_xy         double precision NOT NULL,
  sum_d          double precision NOT NULL DEFAULT 0,  -- ratio: post denominator
  sum_d2         double precision NOT NULL DEFAULT 0,
  sum_yd         double precision NOT NULL DEFAULT 0,
  computed_at    timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (experiment_key, phase, metric_key, variant_key, day)
);
