DROP TABLE IF EXISTS readout_snapshots;
DROP TABLE IF EXISTS metric_definitions;
DROP FUNCTION IF EXISTS lift_metric_definitions_immutable();
