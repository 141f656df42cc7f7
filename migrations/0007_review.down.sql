ALTER TABLE metric_definitions
  DROP COLUMN alert_threshold,
  DROP COLUMN warning_threshold,
  DROP COLUMN target_date;
