-- Platform tables every component uses.

-- Every state change: who, when, what, why. Written by triggers on the tables
-- that change, so a change and its audit event commit in the same statement.
CREATE TABLE IF NOT EXISTS audit_events (
  id          INTEGER PRIMARY KEY,
  at          TEXT NOT NULL,              -- RFC 3339 UTC
  actor       TEXT NOT NULL,              -- role#key-fingerprint, or system
  action      TEXT NOT NULL,              -- e.g. customer.updated
  entity_type TEXT NOT NULL,
  entity_id   TEXT NOT NULL,
  reason      TEXT,
  details     TEXT NOT NULL DEFAULT '{}'  -- JSON, never personal data
);
CREATE INDEX IF NOT EXISTS audit_events_by_entity ON audit_events (entity_type, entity_id, id);

-- Idempotency-Key claims and first responses (see functions/kit/src/idempotency.rs).
CREATE TABLE IF NOT EXISTS idempotency_keys (
  scope        TEXT NOT NULL,             -- caller + operation
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('pending', 'done')),
  status       INTEGER,
  body         TEXT,
  claimed_at   TEXT NOT NULL,
  PRIMARY KEY (scope, key)
);
