-- Back to the (empty) shape 0004 created.
DROP TABLE IF EXISTS readout_snapshots;
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
