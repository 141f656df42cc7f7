DROP TABLE IF EXISTS holdouts;
DROP TABLE IF EXISTS experiment_overrides;
DROP TABLE IF EXISTS experiment_phases;
DROP TABLE IF EXISTS experiments;
DROP TABLE IF EXISTS layers;
DROP TABLE IF EXISTS config_version;
DROP FUNCTION IF EXISTS lift_bump_config_version();
