-- Foundation: the audit log every configuration change is written to (who, when, what, before/after).
CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  actor       text        NOT NULL,              -- API key name, or 'system'
  action      text        NOT NULL,              -- e.g. 'experiment.create'
  entity_type text        NOT NULL,              -- e.g. 'experiment'
  entity_key  text        NOT NULL,
  before      jsonb,                             -- NULL on create
  after       jsonb                              -- NULL on delete
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_key, occurred_at);
