-- Refuse to drop exposures that are not in first_exposures yet: liftd folds the backlog at start
-- and at a clean shutdown, so start and stop it once (or run a readout) before migrating down.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM first_exposure_backlog) THEN
    RAISE EXCEPTION 'first_exposure_backlog is not empty: fold it first (start and stop liftd)';
  END IF;
END
$$;
DROP TABLE IF EXISTS first_exposure_backlog;
