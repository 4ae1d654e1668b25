-- Customers, the programme's settings, and recorded eligibility decisions.

CREATE TABLE IF NOT EXISTS customers (
  id            TEXT PRIMARY KEY,
  legal_name    TEXT NOT NULL,            -- personal data for natural persons
  facts         TEXT NOT NULL,            -- JSON CustomerFacts (no personal data)
  contact       TEXT NOT NULL DEFAULT '{}', -- JSON, personal data
  version       INTEGER NOT NULL DEFAULT 1,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  updated_by    TEXT NOT NULL,
  change_reason TEXT
);

CREATE TRIGGER IF NOT EXISTS customers_audit_insert AFTER INSERT ON customers BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'customer.created', 'customer', NEW.id, NEW.change_reason,
          json_object('version', NEW.version, 'facts', json(NEW.facts)));
END;

CREATE TRIGGER IF NOT EXISTS customers_audit_update AFTER UPDATE ON customers BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'customer.updated', 'customer', NEW.id, NEW.change_reason,
          json_object('version', NEW.version, 'facts', json(NEW.facts), 'previous_facts', json(OLD.facts)));
END;

-- Programme configuration documents by name (e.g. `eligibility`), versioned.
CREATE TABLE IF NOT EXISTS program_settings (
  name          TEXT PRIMARY KEY,
  document      TEXT NOT NULL,            -- JSON
  version       INTEGER NOT NULL DEFAULT 1,
  updated_at    TEXT NOT NULL,
  updated_by    TEXT NOT NULL,
  change_reason TEXT
);

CREATE TRIGGER IF NOT EXISTS program_settings_audit_insert AFTER INSERT ON program_settings BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'program_settings.created', 'program_settings', NEW.name,
          NEW.change_reason, json_object('version', NEW.version, 'document', json(NEW.document)));
END;

CREATE TRIGGER IF NOT EXISTS program_settings_audit_update AFTER UPDATE ON program_settings BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'program_settings.updated', 'program_settings', NEW.name,
          NEW.change_reason, json_object('version', NEW.version, 'document', json(NEW.document)));
END;

-- Every eligibility check of a stored customer: the decision and why.
CREATE TABLE IF NOT EXISTS eligibility_decisions (
  id            INTEGER PRIMARY KEY,
  customer_id   TEXT NOT NULL,
  decided_at    TEXT NOT NULL,
  vip           INTEGER NOT NULL,
  matched_rules TEXT NOT NULL,            -- JSON array of rule ids
  decision      TEXT NOT NULL,            -- JSON Decision (outcomes and reasons)
  rules_version INTEGER NOT NULL,
  requested_by  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS eligibility_decisions_by_customer ON eligibility_decisions (customer_id, id);
