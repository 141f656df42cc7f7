-- Daily cumulative readout snapshots, reshaped for what readouts store (0004 created the table
-- empty and never filled it, so it is replaced rather than altered).
--
-- One row per (experiment, phase, metric version, variant, as_of): the per-variant sufficient
-- statistics of the metric exactly as a readout with analysis end `as_of` aggregates them (units
-- first exposed before `as_of`, events before `as_of`, windows cut at `as_of`, capping computed over
-- that population). `as_of` is a UTC midnight after the phase start. A completed day is written
-- once and never updated (concurrent writers use ON CONFLICT DO NOTHING); a new metric version gets
-- its own rows. Columns follow server/readout/aggregation.h (MetricMoments): y / d post-period
-- numerator / denominator, x / e pre-period (CUPED) numerator / denominator.
DROP TABLE IF EXISTS readout_snapshots;
CREATE TABLE readout_snapshots (
  experiment_key           text             NOT NULL,
  phase                    integer          NOT NULL,
  metric_key               text             NOT NULL,
  metric_version           integer          NOT NULL,
  as_of                    timestamptz      NOT NULL,  -- a UTC midnight (exclusive end)
  variant_key              text             NOT NULL,
  n                        bigint           NOT NULL CHECK (n >= 0),
  sum_y                    double precision NOT NULL,
  sum_y2                   double precision NOT NULL,
  sum_x                    double precision NOT NULL,
  sum_x2                   double precision NOT NULL,
  sum_xy                   double precision NOT NULL,
  sum_d                    double precision NOT NULL,
  sum_d2                   double precision NOT NULL,
  sum_yd                   double precision NOT NULL,
  sum_e                    double precision NOT NULL,
  sum_e2                   double precision NOT NULL,
  sum_xe                   double precision NOT NULL,
  sum_ye                   double precision NOT NULL,
  sum_dx                   double precision NOT NULL,
  sum_de                   double precision NOT NULL,
  units_missing_pre_period bigint           NOT NULL,
  cap                      double precision NOT NULL,  -- 'Infinity' = no capping
  computed_at              timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (experiment_key, phase, metric_key, metric_version, as_of, variant_key),
  CHECK (extract(epoch FROM as_of) % 86400 = 0)  -- a UTC midnight
);
