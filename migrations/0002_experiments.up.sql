-- Experiments and the configuration assignment reads: layers, experiments, their phases, forced
-- overrides and holdouts. Every change bumps config_version and sends NOTIFY lift_config (payload:
-- the new version) from the same transaction, so liftd replicas reload their assignment snapshot
-- when the change commits; a periodic poll of config_version catches missed notifications.
-- Changes are audited by the application into audit_log (0001) in the same transaction.

-- Mutual-exclusion groups. An experiment owns a slice [layer_start, layer_end) of its layer.
CREATE TABLE layers (
  key         text        PRIMARY KEY CHECK (key ~ '^[a-z0-9_.-]+$'),
  name        text        NOT NULL DEFAULT '',
  description text        NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text        NOT NULL
);

CREATE TABLE experiments (
  key             text             PRIMARY KEY CHECK (key ~ '^[a-z0-9_.-]+$'),
  name            text             NOT NULL DEFAULT '',
  hypothesis      text             NOT NULL DEFAULT '',
  owner           text             NOT NULL DEFAULT '',
  tags            jsonb            NOT NULL DEFAULT '[]',   -- ["checkout", "q3"]
  unit_type       text             NOT NULL DEFAULT 'id',   -- attribute holding the unit id
  variants        jsonb            NOT NULL,                -- [{"key", "weight", "payload" (JSON text)}]
  coverage        double precision NOT NULL DEFAULT 1 CHECK (coverage >= 0 AND coverage <= 1),
  seed            text             NOT NULL DEFAULT '',     -- '' = the key
  hash_version    integer          NOT NULL DEFAULT 2 CHECK (hash_version IN (1, 2)),
  condition       jsonb,                                    -- NULL = every unit
  layer           text             REFERENCES layers (key),
  layer_start     double precision NOT NULL DEFAULT 0,
  layer_end       double precision NOT NULL DEFAULT 1,
  metrics         jsonb            NOT NULL DEFAULT '{}',   -- {"success", "secondary", "guardrails"}
  status          text             NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'running', 'stopped', 'archived')),
  phase           integer          NOT NULL DEFAULT 0 CHECK (phase >= 0),  -- current phase, 0 = none
  winning_variant text,                                     -- variant key, for stopped experiments
  version         bigint           NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at      timestamptz      NOT NULL DEFAULT now(),
  created_by      text             NOT NULL,
  updated_at      timestamptz      NOT NULL DEFAULT now(),
  updated_by      text             NOT NULL,
  CHECK (layer_start >= 0 AND layer_start < layer_end AND layer_end <= 1)
);
CREATE INDEX experiments_status_idx ON experiments (status, key);
CREATE INDEX experiments_owner_idx ON experiments (owner, key);
CREATE INDEX experiments_tags_idx ON experiments USING gin (tags);
CREATE INDEX experiments_layer_idx ON experiments (layer) WHERE layer IS NOT NULL;

-- A period in which every unit keeps its variant. Phase 1 opens at start; a change of weights or
-- variants of a running experiment ends the current phase and opens the next at the same instant.
CREATE TABLE experiment_phases (
  experiment_key text             NOT NULL REFERENCES experiments (key),
  phase          integer          NOT NULL CHECK (phase >= 1),
  started_at     timestamptz      NOT NULL,
  ended_at       timestamptz,                               -- NULL = current
  variants       jsonb            NOT NULL,                 -- [{"key", "weight"}]
  coverage       double precision NOT NULL CHECK (coverage >= 0 AND coverage <= 1),
  reason         text             NOT NULL,                 -- 'started' or what changed
  PRIMARY KEY (experiment_key, phase)
);

-- Forced variants per unit id (QA). variant_key names one of the experiment's variants.
CREATE TABLE experiment_overrides (
  experiment_key text        NOT NULL REFERENCES experiments (key),
  unit_id        text        NOT NULL CHECK (unit_id <> ''),
  variant_key    text        NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  created_by     text        NOT NULL,
  PRIMARY KEY (experiment_key, unit_id)
);

-- Shares of units kept out of every experiment of a layer (or of all experiments: layer NULL).
CREATE TABLE holdouts (
  key         text             PRIMARY KEY CHECK (key ~ '^[a-z0-9_.-]+$'),
  name        text             NOT NULL DEFAULT '',
  description text             NOT NULL DEFAULT '',
  share       double precision NOT NULL CHECK (share >= 0 AND share <= 1),
  layer       text             REFERENCES layers (key),
  created_at  timestamptz      NOT NULL DEFAULT now(),
  created_by  text             NOT NULL
);

-- One row: the version of the whole assignment configuration. Writers lock this row first
-- (SELECT ... FOR UPDATE), which serialises configuration changes and rules out deadlocks.
CREATE TABLE config_version (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  version bigint  NOT NULL
);
INSERT INTO config_version (id, version) VALUES (true, 1);

CREATE FUNCTION lift_bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  new_version bigint;
BEGIN
  UPDATE config_version SET version = version + 1 WHERE id RETURNING version INTO new_version;
  PERFORM pg_notify('lift_config', new_version::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER layers_config_version AFTER INSERT OR UPDATE OR DELETE ON layers
  FOR EACH STATEMENT EXECUTE FUNCTION lift_bump_config_version();
CREATE TRIGGER experiments_config_version AFTER INSERT OR UPDATE OR DELETE ON experiments
  FOR EACH STATEMENT EXECUTE FUNCTION lift_bump_config_version();
CREATE TRIGGER experiment_phases_config_version AFTER INSERT OR UPDATE OR DELETE ON experiment_phases
  FOR EACH STATEMENT EXECUTE FUNCTION lift_bump_config_version();
CREATE TRIGGER experiment_overrides_config_version
  AFTER INSERT OR UPDATE OR DELETE ON experiment_overrides
  FOR EACH STATEMENT EXECUTE FUNCTION lift_bump_config_version();
CREATE TRIGGER holdouts_config_version AFTER INSERT OR UPDATE OR DELETE ON holdouts
  FOR EACH STATEMENT EXECUTE FUNCTION lift_bump_config_version();
