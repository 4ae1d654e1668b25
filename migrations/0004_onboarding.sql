-- VIP onboarding (seed 000 SOP-001): cases, memberships, and the notice outbox.
-- Approving a case, creating the membership and queueing the customer's
-- notice happen in one statement (triggers), so none exists without the others.

CREATE TABLE IF NOT EXISTS onboarding_cases (
  id            INTEGER PRIMARY KEY,
  customer_id   TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('pending_review', 'reviewed', 'approved', 'rejected')),
  opened_at     TEXT NOT NULL,
  due_at        TEXT NOT NULL,
  decision_id   INTEGER,                  -- the eligibility decision that opened it
  reviewed_by   TEXT,
  reviewed_at   TEXT,
  decided_by    TEXT,
  decided_at    TEXT,
  reason        TEXT,                     -- why it was rejected
  updated_at    TEXT NOT NULL,
  updated_by    TEXT NOT NULL
);
-- At most one open case per customer.
CREATE UNIQUE INDEX IF NOT EXISTS onboarding_one_open_case ON onboarding_cases (customer_id)
  WHERE state IN ('pending_review', 'reviewed');
CREATE INDEX IF NOT EXISTS onboarding_by_state ON onboarding_cases (state, due_at);

-- One membership per person or legal entity (the customer), not transferable.
CREATE TABLE IF NOT EXISTS memberships (
  customer_id TEXT PRIMARY KEY,
  tier        TEXT NOT NULL,
  tier_since  TEXT NOT NULL,
  joined_at   TEXT NOT NULL,
  case_id     INTEGER NOT NULL
);

-- Notices to send (at-least-once; the id de-duplicates at the receiver).
CREATE TABLE IF NOT EXISTS notice_outbox (
  id           TEXT PRIMARY KEY,
  kind         TEXT NOT NULL,
  customer_id  TEXT NOT NULL,
  payload      TEXT NOT NULL,             -- JSON, no personal data
  created_at   TEXT NOT NULL,
  delivered_at TEXT
);

CREATE TRIGGER IF NOT EXISTS onboarding_audit_insert AFTER INSERT ON onboarding_cases BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'onboarding.opened', 'onboarding_case', NEW.id, NULL,
          json_object('customer_id', NEW.customer_id, 'decision_id', NEW.decision_id, 'due_at', NEW.due_at));
END;

CREATE TRIGGER IF NOT EXISTS onboarding_audit_update AFTER UPDATE OF state ON onboarding_cases BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'onboarding.' || NEW.state, 'onboarding_case', NEW.id, NEW.reason,
          json_object('customer_id', NEW.customer_id, 'from', OLD.state));
END;

CREATE TRIGGER IF NOT EXISTS onboarding_approved AFTER UPDATE OF state ON onboarding_cases
WHEN NEW.state = 'approved' BEGIN
  INSERT INTO memberships (customer_id, tier, tier_since, joined_at, case_id)
  VALUES (NEW.customer_id, 'member', NEW.decided_at, NEW.decided_at, NEW.id)
  ON CONFLICT (customer_id) DO NOTHING;
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  VALUES ('onboarding-' || NEW.id || '-approved', 'onboarding.approved', NEW.customer_id,
          json_object('case_id', NEW.id), NEW.decided_at)
  ON CONFLICT (id) DO NOTHING;
END;

CREATE TRIGGER IF NOT EXISTS onboarding_rejected AFTER UPDATE OF state ON onboarding_cases
WHEN NEW.state = 'rejected' BEGIN
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  VALUES ('onboarding-' || NEW.id || '-rejected', 'onboarding.rejected', NEW.customer_id,
          json_object('case_id', NEW.id, 'reason', NEW.reason), NEW.decided_at)
  ON CONFLICT (id) DO NOTHING;
END;
