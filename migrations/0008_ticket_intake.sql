-- Support tickets (DOMAIN.md §4): intake with the targets each ticket runs on.
-- Due times are computed by the domain (vip_domain::sla) at intake on the
-- calendar of the customer's plan and stored with the ticket, so the queue
-- can sort by them.

CREATE TABLE IF NOT EXISTS tickets (
  id                     INTEGER PRIMARY KEY,
  customer_id            TEXT NOT NULL,
  kind                   TEXT NOT NULL CHECK (kind IN ('question', 'incident', 'change_request')),
  channel                TEXT NOT NULL,
  subject                TEXT NOT NULL,
  description            TEXT NOT NULL,
  priority               TEXT,                 -- incidents
  urgency                TEXT,                 -- change requests
  complexity             TEXT,
  sla_priority           TEXT NOT NULL,        -- the row of the targets table
  complaint              INTEGER NOT NULL,
  key_account            INTEGER NOT NULL,
  support_plan           TEXT NOT NULL,
  calendar_id            TEXT NOT NULL,
  natural_time           INTEGER NOT NULL,     -- 1: the 24x7 clock
  first_response_minutes INTEGER NOT NULL,
  resolution_minutes     INTEGER NOT NULL,
  first_response_due     TEXT,
  resolution_due         TEXT,
  state                  TEXT NOT NULL CHECK (state IN ('new', 'open', 'pending_customer', 'escalated', 'resolved', 'closed')),
  month                  TEXT NOT NULL,        -- YYYY-MM opened, in the calendar's zone
  counts_towards_limit   INTEGER NOT NULL,     -- a medium/urgent change request
  opened_at              TEXT NOT NULL,
  opened_by              TEXT NOT NULL,
  first_responded_at     TEXT,
  last_team_feedback_at  TEXT NOT NULL,        -- follow-ups count from here
  last_reason            TEXT,                 -- why of the last state change
  resolved_at            TEXT,
  closed_at              TEXT,
  updated_at             TEXT NOT NULL,
  updated_by             TEXT NOT NULL,
  request_key            TEXT UNIQUE           -- caller + Idempotency-Key, when given
);
CREATE INDEX IF NOT EXISTS tickets_by_customer_month ON tickets (customer_id, month) WHERE counts_towards_limit = 1;
CREATE INDEX IF NOT EXISTS tickets_open ON tickets (state, first_response_due) WHERE state <> 'closed';

-- Times a ticket waited on the customer (the clocks stop).
CREATE TABLE IF NOT EXISTS ticket_pauses (
  ticket_id INTEGER NOT NULL REFERENCES tickets (id),
  from_at   TEXT NOT NULL,
  to_at     TEXT,
  PRIMARY KEY (ticket_id, from_at)
);

CREATE TRIGGER IF NOT EXISTS tickets_opened AFTER INSERT ON tickets BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.opened_at, NEW.opened_by, 'ticket.opened', 'ticket', NEW.id, NULL,
          json_object('customer_id', NEW.customer_id, 'kind', NEW.kind, 'channel', NEW.channel,
                      'sla_priority', NEW.sla_priority, 'first_response_due', NEW.first_response_due,
                      'resolution_due', NEW.resolution_due, 'complaint', NEW.complaint));
  -- A formal complaint goes to the customer success manager at once (002 §9.3).
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  SELECT 'ticket-' || NEW.id || '-complaint', 'ticket.escalated', NEW.customer_id,
         json_object('ticket_id', NEW.id, 'to', 'customer_success_manager', 'reason', 'formal complaint'), NEW.opened_at
  WHERE NEW.complaint = 1
  ON CONFLICT (id) DO NOTHING;
END;

-- A state change: the clocks stop while the ticket waits on the customer or
-- is resolved, and run again when it is open (the customer answered, or it
-- was reopened); the change is audited with its reason.
CREATE TRIGGER IF NOT EXISTS tickets_moved AFTER UPDATE OF state ON tickets
WHEN OLD.state <> NEW.state BEGIN
  INSERT INTO ticket_pauses (ticket_id, from_at)
  SELECT NEW.id, NEW.updated_at
  WHERE NEW.state IN ('pending_customer', 'resolved') AND OLD.state IN ('new', 'open', 'escalated')
  ON CONFLICT DO NOTHING;
  UPDATE ticket_pauses SET to_at = NEW.updated_at
  WHERE ticket_id = NEW.id AND to_at IS NULL AND NEW.state IN ('new', 'open', 'escalated');
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'ticket.' || NEW.state, 'ticket', NEW.id, NEW.last_reason,
          json_object('from', OLD.state, 'to', NEW.state, 'first_response_due', NEW.first_response_due,
                      'resolution_due', NEW.resolution_due));
END;

CREATE TRIGGER IF NOT EXISTS tickets_first_response AFTER UPDATE OF first_responded_at ON tickets
WHEN OLD.first_responded_at IS NULL AND NEW.first_responded_at IS NOT NULL BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.first_responded_at, NEW.updated_by, 'ticket.first_response', 'ticket', NEW.id, NULL,
          json_object('due', NEW.first_response_due,
                      'met', CASE WHEN NEW.first_response_due IS NULL OR NEW.first_responded_at <= NEW.first_response_due THEN 1 ELSE 0 END));
END;
