-- Member lifecycle and communications (issue 20). Idempotent for real Spin,
-- which re-runs every file on each start.

-- When each dunning step fell due: the start of its due day in the
-- programme's zone, written by the dunning run (vip_store::collections)
-- just before the step itself. A run that catches up after missed days
-- moves the customer's service status as of the step's due time, not the
-- time the run recorded it (never before the status it moves from).
CREATE TABLE IF NOT EXISTS dunning_step_due_times (
  invoice_id INTEGER NOT NULL,
  step       TEXT NOT NULL,
  due_at     TEXT NOT NULL,
  PRIMARY KEY (invoice_id, step)
);

DROP TRIGGER IF EXISTS dunning_action_recorded;
CREATE TRIGGER dunning_action_recorded AFTER INSERT ON dunning_actions BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.recorded_at, NEW.recorded_by, 'dunning.' || NEW.action, 'invoice', NEW.invoice_id, NEW.why,
          json_object('step', NEW.step, 'due_on', NEW.due_on, 'moves_to', NEW.moves_to,
                      'due_at', (SELECT due_at FROM dunning_step_due_times
                                 WHERE invoice_id = NEW.invoice_id AND step = NEW.step)));
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  SELECT 'dunning-' || NEW.invoice_id || '-' || NEW.step, 'dunning.' || NEW.action, i.customer_id,
         json_object('invoice_id', NEW.invoice_id, 'step', NEW.step, 'due_on', NEW.due_on, 'why', NEW.why,
                     'to', json(NEW.notify)),
         NEW.recorded_at
  FROM invoices i WHERE i.id = NEW.invoice_id
  ON CONFLICT (id) DO NOTHING;
  INSERT INTO service_status (customer_id, status, updated_at, updated_by, reason)
  SELECT i.customer_id, NEW.moves_to,
         MAX(COALESCE((SELECT due_at FROM dunning_step_due_times
                       WHERE invoice_id = NEW.invoice_id AND step = NEW.step), NEW.recorded_at),
             COALESCE((SELECT updated_at FROM service_status WHERE customer_id = i.customer_id), '')),
         NEW.recorded_by, NEW.why
  FROM invoices i WHERE i.id = NEW.invoice_id AND NEW.moves_to IS NOT NULL
  ON CONFLICT (customer_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
     updated_by = excluded.updated_by, reason = excluded.reason;
END;

-- A request to disconnect filed through the web form or a chat bot (seed 001,
-- "SOLICITUD DE DX"): pending until staff record the customer's formal
-- request (email or letter), which opens the retention case and with it the
-- windows; the case then closes the filing (`retention_case_formalises`).
CREATE TABLE IF NOT EXISTS disconnection_requests (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id TEXT NOT NULL,
  filed_at    TEXT NOT NULL,
  filed_by    TEXT NOT NULL,
  note        TEXT,
  case_id     INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS disconnection_requests_pending
  ON disconnection_requests (customer_id) WHERE case_id IS NULL;

CREATE TRIGGER IF NOT EXISTS disconnection_request_filed AFTER INSERT ON disconnection_requests BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.filed_at, NEW.filed_by, 'service.disconnection_requested', 'customer', NEW.customer_id,
          COALESCE(NEW.note, 'asked to disconnect'), json_object('request_id', NEW.id));
  -- Remitted to collections and sales, who wait for the formal request.
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  VALUES ('disconnection-request-' || NEW.id, 'retention.request_pending', '',
          json_object('request_id', NEW.id, 'customer_id', NEW.customer_id, 'note', NEW.note,
                      'to', json_array('collections', 'sales')),
          NEW.filed_at)
  ON CONFLICT (id) DO NOTHING;
END;

CREATE TRIGGER IF NOT EXISTS retention_case_formalises AFTER INSERT ON retention_cases
WHEN NEW.cause = 'disconnection_request' BEGIN
  UPDATE disconnection_requests SET case_id = NEW.id
  WHERE customer_id = NEW.customer_id AND case_id IS NULL;
END;
