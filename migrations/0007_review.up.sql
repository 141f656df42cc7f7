-- Weekly review KPI fields of metric definitions (proto/lift/v1/metrics.proto fields 21-23):
-- a key result's target date, and a guardrail KPI's warning / alert thresholds. NULL = none.
-- Existing rows keep NULLs, so their definitions (and versions) are unchanged.
ALTER TABLE metric_definitions
  ADD COLUMN target_date       date,
  ADD COLUMN warning_threshold double precision,
  ADD COLUMN alert_threshold   double precision;
