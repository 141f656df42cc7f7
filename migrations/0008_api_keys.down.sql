DROP INDEX IF EXISTS audit_log_occurred_at_idx;
DROP INDEX IF EXISTS audit_log_actor_idx;
DROP TABLE IF EXISTS api_keys;
