-- Collections (DOMAIN.md §5–§6; seed 001): monthly invoices, payments,
-- payment commitments, the dunning steps recorded once per invoice and step,
-- each customer's service status, and the ids of webhooks already applied.
-- The rules are the domain's (vip_domain::dunning, vip_domain::service);
-- triggers write each change's audit row, notice and effects in its statement.

CREATE TABLE IF NOT EXISTS invoices (
  id                   INTEGER PRIMARY KEY,
  customer_id          TEXT NOT NULL,
  month                TEXT NOT NULL,          -- YYYY-MM billed
  amount_minor         INTEGER NOT NULL CHECK (amount_minor > 0),
  currency             TEXT NOT NULL,
  due_on               TEXT NOT NULL,          -- YYYY-MM-DD
  paid_minor           INTEGER NOT NULL DEFAULT 0,
  paid_at              TEXT,                   -- when paid in full
  issued_at            TEXT NOT NULL,
  issued_by            TEXT NOT NULL,
  receipt_confirmed_at TEXT,
  receipt_confirmed_by TEXT,
  UNIQUE (customer_id, month)
);
CREATE INDEX IF NOT EXISTS invoices_unpaid ON invoices (id) WHERE paid_at IS NULL;

CREATE TRIGGER IF NOT EXISTS invoices_issued AFTER INSERT ON invoices BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.issued_at, NEW.issued_by, 'invoice.issued', 'invoice', NEW.id, NULL,
          json_object('customer_id', NEW.customer_id, 'month', NEW.month, 'amount_minor', NEW.amount_minor,
                      'currency', NEW.currency, 'due_on', NEW.due_on));
END;
CREATE TRIGGER IF NOT EXISTS invoices_receipt AFTER UPDATE OF receipt_confirmed_at ON invoices
WHEN OLD.receipt_confirmed_at IS NULL AND NEW.receipt_confirmed_at IS NOT NULL BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.receipt_confirmed_at, NEW.receipt_confirmed_by, 'invoice.receipt_confirmed', 'invoice', NEW.id, NULL, '{}');
END;

-- Payments: idempotent by the processor's (or staff's) payment id; partial
-- payments add up; the one that completes the amount marks the invoice paid.
CREATE TABLE IF NOT EXISTS payments (
  id           TEXT PRIMARY KEY,
  invoice_id   INTEGER NOT NULL REFERENCES invoices (id),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency     TEXT NOT NULL,
  received_at  TEXT NOT NULL,
  source       TEXT NOT NULL,                  -- staff, or webhook:<webhook-id>
  recorded_at  TEXT NOT NULL,
  recorded_by  TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS payments_no_update BEFORE UPDATE ON payments BEGIN
  SELECT RAISE(ABORT, 'payments are append-only');
END;
CREATE TRIGGER IF NOT EXISTS payments_no_delete BEFORE DELETE ON payments BEGIN
  SELECT RAISE(ABORT, 'payments are append-only');
END;
CREATE TRIGGER IF NOT EXISTS payments_applied AFTER INSERT ON payments BEGIN
  UPDATE invoices SET paid_minor = paid_minor + NEW.amount_minor,
         paid_at = CASE WHEN paid_at IS NULL AND paid_minor + NEW.amount_minor >= amount_minor
                        THEN NEW.received_at ELSE paid_at END
  WHERE id = NEW.invoice_id;
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.recorded_at, NEW.recorded_by, 'payment.received', 'invoice', NEW.invoice_id, NULL,
          json_object('payment_id', NEW.id, 'amount_minor', NEW.amount_minor, 'currency', NEW.currency,
                      'received_at', NEW.received_at, 'source', NEW.source));
END;

-- Promises to pay: the first and one renegotiation (vip_domain::dunning::check_commitment).
CREATE TABLE IF NOT EXISTS payment_commitments (
  invoice_id INTEGER NOT NULL REFERENCES invoices (id),
  seq        INTEGER NOT NULL,
  pay_by     TEXT NOT NULL,                    -- YYYY-MM-DD
  made_on    TEXT NOT NULL,
  made_at    TEXT NOT NULL,
  made_by    TEXT NOT NULL,
  PRIMARY KEY (invoice_id, seq)
);
CREATE TRIGGER IF NOT EXISTS payment_commitments_made AFTER INSERT ON payment_commitments BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.made_at, NEW.made_by, 'invoice.commitment', 'invoice', NEW.invoice_id, NULL,
          json_object('seq', NEW.seq, 'pay_by', NEW.pay_by));
END;

-- A customer's service status (vip_domain::service); no row: active.
CREATE TABLE IF NOT EXISTS service_status (
  customer_id TEXT PRIMARY KEY,
  status      TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  updated_by  TEXT NOT NULL,
  reason      TEXT
);
CREATE TRIGGER IF NOT EXISTS service_status_inserted AFTER INSERT ON service_status BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'service.' || NEW.status, 'customer', NEW.customer_id, NEW.reason,
          json_object('from', 'active', 'to', NEW.status));
END;
CREATE TRIGGER IF NOT EXISTS service_status_moved AFTER UPDATE OF status ON service_status
WHEN OLD.status <> NEW.status BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'service.' || NEW.status, 'customer', NEW.customer_id, NEW.reason,
          json_object('from', OLD.status, 'to', NEW.status));
END;

-- Each dunning step of an invoice, once: its audit row, its notice, and the
-- service status it moves to, in the statement that records it.
CREATE TABLE IF NOT EXISTS dunning_actions (
  invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
  step        TEXT NOT NULL,
  action      TEXT NOT NULL,                   -- remind, suspension_notice, suspend, pickup
  due_on      TEXT NOT NULL,
  why         TEXT NOT NULL,
  notify      TEXT NOT NULL,                   -- JSON list of recipients
  moves_to    TEXT,                            -- the customer's next service status
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL,
  PRIMARY KEY (invoice_id, step)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS dunning_actions_no_update BEFORE UPDATE ON dunning_actions BEGIN
  SELECT RAISE(ABORT, 'dunning_actions is append-only');
END;
CREATE TRIGGER IF NOT EXISTS dunning_actions_no_delete BEFORE DELETE ON dunning_actions BEGIN
  SELECT RAISE(ABORT, 'dunning_actions is append-only');
END;
CREATE TRIGGER IF NOT EXISTS dunning_action_recorded AFTER INSERT ON dunning_actions BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.recorded_at, NEW.recorded_by, 'dunning.' || NEW.action, 'invoice', NEW.invoice_id, NEW.why,
          json_object('step', NEW.step, 'due_on', NEW.due_on, 'moves_to', NEW.moves_to));
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  SELECT 'dunning-' || NEW.invoice_id || '-' || NEW.step, 'dunning.' || NEW.action, i.customer_id,
         json_object('invoice_id', NEW.invoice_id, 'step', NEW.step, 'due_on', NEW.due_on, 'why', NEW.why,
                     'to', json(NEW.notify)),
         NEW.recorded_at
  FROM invoices i WHERE i.id = NEW.invoice_id
  ON CONFLICT (id) DO NOTHING;
  INSERT INTO service_status (customer_id, status, updated_at, updated_by, reason)
  SELECT i.customer_id, NEW.moves_to, NEW.recorded_at, NEW.recorded_by, NEW.why
  FROM invoices i WHERE i.id = NEW.invoice_id AND NEW.moves_to IS NOT NULL
  ON CONFLICT (customer_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
     updated_by = excluded.updated_by, reason = excluded.reason;
END;

-- Inbound webhooks already applied, by `webhook-id` (Standard Webhooks):
-- a replay is acknowledged and changes nothing.
CREATE TABLE IF NOT EXISTS webhook_receipts (
  id          TEXT PRIMARY KEY,
  source      TEXT NOT NULL,
  received_at TEXT NOT NULL
);
