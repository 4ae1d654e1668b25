-- Suspension, reconnection and disconnection (DOMAIN.md §6; seed 001): the
-- `vip_suspension` orders a service move gives rise to, with their stages and
-- their outbound provisioning calls; retention cases of a disconnection
-- request or of equipment powered off; and the delivery attempts of every
-- notice in the outbox. The rules are the domain's (vip_domain::suspension,
-- vip_domain::service); triggers write each change's audit row and notice.

-- One order per service move (the status row's `updated_at` it was read at):
-- a second scan of the same move opens nothing.
CREATE TABLE IF NOT EXISTS service_orders (
  id                INTEGER PRIMARY KEY,
  customer_id       TEXT NOT NULL,
  ticket_type       TEXT NOT NULL DEFAULT 'vip_suspension',
  action            TEXT NOT NULL,            -- suspend, reconnect, uninstall, reassign_capacity
  delivery          TEXT NOT NULL,            -- direct, third_party
  status            TEXT NOT NULL,            -- the service status that ordered it
  status_at         TEXT NOT NULL,            -- when the customer moved to it
  why               TEXT NOT NULL,
  notify            TEXT NOT NULL,            -- JSON list: told when the order closes
  stage             TEXT NOT NULL CHECK (stage IN ('engineering', 'provisioning', 'closed')),
  opened_at         TEXT NOT NULL,
  opened_by         TEXT NOT NULL,
  engineering_at    TEXT,                     -- engineering confirmed the partner side
  call_attempts     INTEGER NOT NULL DEFAULT 0,
  call_next_at      TEXT,                     -- the provisioning call is due (NULL: none)
  call_sent_at      TEXT,                     -- the provisioning system accepted it
  call_last_error   TEXT,
  closed_at         TEXT,
  updated_at        TEXT NOT NULL,
  updated_by        TEXT NOT NULL,
  UNIQUE (customer_id, status_at)
);
CREATE INDEX IF NOT EXISTS service_orders_calls ON service_orders (call_next_at) WHERE call_next_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS service_statuses_by_status ON service_status (status, customer_id);

CREATE TRIGGER IF NOT EXISTS service_orders_no_delete BEFORE DELETE ON service_orders BEGIN
  SELECT RAISE(ABORT, 'service_orders are kept');
END;
CREATE TRIGGER IF NOT EXISTS service_order_opened AFTER INSERT ON service_orders BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.opened_at, NEW.opened_by, 'order.opened', 'service_order', NEW.id, NEW.why,
          json_object('customer_id', NEW.customer_id, 'action', NEW.action, 'delivery', NEW.delivery,
                      'stage', NEW.stage));
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  SELECT 'order-' || NEW.id || '-engineering', 'order.assigned', NEW.customer_id,
         json_object('order_id', NEW.id, 'action', NEW.action, 'why', NEW.why, 'to', json_array('engineering')),
         NEW.opened_at
  WHERE NEW.stage = 'engineering'
  ON CONFLICT (id) DO NOTHING;
END;
CREATE TRIGGER IF NOT EXISTS service_order_moved AFTER UPDATE OF stage ON service_orders
WHEN OLD.stage <> NEW.stage BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'order.' || NEW.stage, 'service_order', NEW.id, NULL,
          json_object('from', OLD.stage, 'to', NEW.stage));
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  SELECT 'order-' || NEW.id || '-closed', 'order.closed', NEW.customer_id,
         json_object('order_id', NEW.id, 'action', NEW.action, 'why', NEW.why, 'to', json(NEW.notify)),
         NEW.updated_at
  WHERE NEW.stage = 'closed'
  ON CONFLICT (id) DO NOTHING;
END;

-- A customer in retention: sales, then recovery, each within its business
-- days; the row's status is the customer's service status, which its
-- triggers keep in step (in the same statement).
CREATE TABLE IF NOT EXISTS retention_cases (
  id           INTEGER PRIMARY KEY,
  customer_id  TEXT NOT NULL,
  cause        TEXT NOT NULL,                 -- disconnection_request, powered_off
  status       TEXT NOT NULL,                 -- retention_sales, retention_recovery, then active or disconnected
  sales_due    TEXT NOT NULL,
  recovery_due TEXT NOT NULL,
  balance      TEXT NOT NULL,                 -- JSON list of money left unpaid, reported at opening
  notify_legal TEXT,                          -- who takes the balance over if the customer leaves
  opened_at    TEXT NOT NULL,
  opened_by    TEXT NOT NULL,
  closed_at    TEXT,
  updated_at   TEXT NOT NULL,
  updated_by   TEXT NOT NULL,
  reason       TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS retention_cases_open ON retention_cases (customer_id) WHERE closed_at IS NULL;

CREATE TRIGGER IF NOT EXISTS retention_cases_no_delete BEFORE DELETE ON retention_cases BEGIN
  SELECT RAISE(ABORT, 'retention_cases are kept');
END;
CREATE TRIGGER IF NOT EXISTS retention_case_opened AFTER INSERT ON retention_cases BEGIN
  INSERT INTO service_status (customer_id, status, updated_at, updated_by, reason)
  VALUES (NEW.customer_id, NEW.status, NEW.updated_at, NEW.updated_by, NEW.reason)
  ON CONFLICT (customer_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
     updated_by = excluded.updated_by, reason = excluded.reason;
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  VALUES ('retention-' || NEW.id || '-' || NEW.status, 'retention.' || NEW.status, NEW.customer_id,
          json_object('case_id', NEW.id, 'cause', NEW.cause, 'due', NEW.sales_due, 'why', NEW.reason,
                      'balance', json(NEW.balance), 'to', json_array('sales')),
          NEW.opened_at)
  ON CONFLICT (id) DO NOTHING;
END;
CREATE TRIGGER IF NOT EXISTS retention_case_moved AFTER UPDATE OF status ON retention_cases
WHEN OLD.status <> NEW.status BEGIN
  UPDATE service_status SET status = NEW.status, updated_at = NEW.updated_at, updated_by = NEW.updated_by,
         reason = NEW.reason
  WHERE customer_id = NEW.customer_id;
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  VALUES ('retention-' || NEW.id || '-' || NEW.status, 'retention.' || NEW.status, NEW.customer_id,
          json_object('case_id', NEW.id, 'cause', NEW.cause, 'due', NEW.recovery_due, 'why', NEW.reason,
                      'balance', json(NEW.balance),
                      'to', CASE NEW.status WHEN 'retention_recovery' THEN json_array('recovery')
                                           ELSE json_array('sales', 'recovery', 'collections') END),
          NEW.updated_at)
  ON CONFLICT (id) DO NOTHING;
  -- The legal handoff of a balance left by a customer who leaves.
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  SELECT 'retention-' || NEW.id || '-legal', 'retention.legal_handoff', NEW.customer_id,
         json_object('case_id', NEW.id, 'balance', json(NEW.balance), 'to', json_array(NEW.notify_legal)),
         NEW.updated_at
  WHERE NEW.status = 'disconnected' AND json_array_length(NEW.balance) > 0
  ON CONFLICT (id) DO NOTHING;
END;

-- Delivery of the outbox's notices to the notification webhook: at least
-- once (retried with backoff until it is accepted), each with its outbox id
-- as `webhook-id` so the receiver drops a repeat.
CREATE TABLE IF NOT EXISTS outbox_deliveries (
  id         TEXT PRIMARY KEY,               -- notice_outbox.id
  attempts   INTEGER NOT NULL,
  next_at    TEXT,                           -- the next try (NULL: delivered)
  last_error TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS notice_outbox_undelivered ON notice_outbox (created_at, id) WHERE delivered_at IS NULL;
