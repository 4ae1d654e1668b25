-- Support tickets and SLA clocks (DOMAIN.md §4). First part: business
-- calendars, one versioned JSON document each (vip_domain::calendar::Calendar).

CREATE TABLE IF NOT EXISTS calendars (
  id         TEXT PRIMARY KEY,              -- slug: madrid-office
  document   TEXT NOT NULL,
  version    INTEGER NOT NULL DEFAULT 1,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  change_reason TEXT
);

CREATE TRIGGER IF NOT EXISTS calendars_audit_insert AFTER INSERT ON calendars BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'calendar.created', 'calendar', NEW.id, NEW.change_reason,
          json_object('version', NEW.version, 'calendar', json(NEW.document)));
END;
CREATE TRIGGER IF NOT EXISTS calendars_audit_update AFTER UPDATE OF document ON calendars
WHEN OLD.version <> NEW.version BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'calendar.updated', 'calendar', NEW.id, NEW.change_reason,
          json_object('version', NEW.version, 'calendar', json(NEW.document)));
END;
