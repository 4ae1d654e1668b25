-- Month-end VIP lists (DOMAIN.md §1, seed 001). A customer's VIP status at a
-- month's close is derived from the changes recorded for earlier months, not
-- kept in a mutable column, so an interrupted run re-runs to the same list.

CREATE TABLE IF NOT EXISTS month_end_changes (
  month         TEXT NOT NULL,            -- YYYY-MM
  customer_id   TEXT NOT NULL,
  vip           INTEGER NOT NULL,         -- the status from this close on
  matched_rules TEXT NOT NULL,            -- JSON array
  summary       TEXT NOT NULL,
  PRIMARY KEY (month, customer_id)
);
CREATE INDEX IF NOT EXISTS month_end_changes_by_customer ON month_end_changes (customer_id, month);

-- Written last: a month is done when its run row exists.
CREATE TABLE IF NOT EXISTS month_end_runs (
  month             TEXT PRIMARY KEY,
  run_at            TEXT NOT NULL,
  requested_by      TEXT NOT NULL,
  rules_version     INTEGER NOT NULL,
  evaluated         INTEGER NOT NULL,
  vip               INTEGER NOT NULL,
  became_vip        INTEGER NOT NULL,
  stopped_being_vip INTEGER NOT NULL,
  not_evaluated     TEXT NOT NULL         -- JSON [[customer_id, why]]
);

CREATE TRIGGER IF NOT EXISTS month_end_runs_audit AFTER INSERT ON month_end_runs BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.run_at, NEW.requested_by, 'month_end.completed', 'month_end', NEW.month, NULL,
          json_object('evaluated', NEW.evaluated, 'vip', NEW.vip, 'became_vip', NEW.became_vip,
                      'stopped_being_vip', NEW.stopped_being_vip, 'rules_version', NEW.rules_version));
END;
