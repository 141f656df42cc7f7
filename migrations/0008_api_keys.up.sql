-- API keys (proto/lift/v1/auth.proto). Only SHA-256 of the whole key is stored (hex), never the key:
-- a stolen database gives no usable key. `prefix` (8 public hex digits of the key) finds the row.
-- Names are unique forever (a revoked key keeps its row), so an audit_log actor names one key.
-- Creations and revocations are audited into audit_log (entity_type 'api_key') by the application in
-- the same transaction.
CREATE TABLE api_keys (
  name          text        PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
  prefix        text        NOT NULL UNIQUE CHECK (prefix ~ '^[0-9a-f]{8}$'),
  secret_sha256 text        NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
  scopes        text[]      NOT NULL CHECK (cardinality(scopes) >= 1
                                            AND scopes <@ ARRAY['assign', 'ingest', 'read', 'admin']),
  created_at    timestamptz NOT NULL DEFAULT now(),
  created_by    text        NOT NULL,
  revoked_at    timestamptz,
  revoked_by    text,
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
-- `liftctl audit --actor NAME` and the audit listing, newest first.
CREATE INDEX audit_log_actor_idx ON audit_log (actor, occurred_at DESC);
CREATE INDEX audit_log_occurred_at_idx ON audit_log (occurred_at DESC, id DESC);
