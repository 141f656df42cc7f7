DROP TABLE IF EXISTS first_exposures;
DROP TABLE IF EXISTS metric_events;
DROP TABLE IF EXISTS exposures;
