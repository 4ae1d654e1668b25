-- The ticket workspace (issue 18): each ticket's conversation and who works
-- it. Messages and attachments are append-only; the description a ticket was
-- opened with is its first message.

CREATE TABLE IF NOT EXISTS ticket_messages (
  id          INTEGER PRIMARY KEY,
  ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
  side        TEXT NOT NULL CHECK (side IN ('customer', 'team')),
  visibility  TEXT NOT NULL CHECK (visibility IN ('public', 'internal')),
  body        TEXT NOT NULL,
  -- What each file is and where it lives (JSON array of name, media_type,
  -- size_bytes, sha256, url); never a file body.
  attachments TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(attachments)),
  -- The move a public message makes (the event it stands for, decided by the
  -- domain): {"event","from","to","first_responded_at","first_response_due",
  -- "resolution_due","resolved_at","closed_at","team_feedback_at"}; NULL for a note.
  moved       TEXT CHECK (moved IS NULL OR json_valid(moved)),
  author      TEXT NOT NULL,
  at          TEXT NOT NULL,
  request_key TEXT UNIQUE,                -- caller + Idempotency-Key, when given
  CHECK (side = 'team' OR visibility = 'public')
);
CREATE INDEX IF NOT EXISTS ticket_messages_by_ticket ON ticket_messages (ticket_id, id);

CREATE TRIGGER IF NOT EXISTS ticket_messages_no_update BEFORE UPDATE ON ticket_messages BEGIN
  SELECT RAISE(ABORT, 'ticket_messages is append-only');
END;
CREATE TRIGGER IF NOT EXISTS ticket_messages_no_delete BEFORE DELETE ON ticket_messages BEGIN
  SELECT RAISE(ABORT, 'ticket_messages is append-only');
END;

-- A public message moves the ticket in the statement that records it (the
-- INSERT is guarded on the ticket's state, so the move always applies):
-- tickets_moved then pauses or restarts the clocks and audits the move,
-- tickets_first_response audits a first answer.
CREATE TRIGGER IF NOT EXISTS ticket_message_moves AFTER INSERT ON ticket_messages
WHEN NEW.moved IS NOT NULL BEGIN
  UPDATE tickets SET
    state = json_extract(NEW.moved, '$.to'),
    first_responded_at = json_extract(NEW.moved, '$.first_responded_at'),
    first_response_due = json_extract(NEW.moved, '$.first_response_due'),
    resolution_due = json_extract(NEW.moved, '$.resolution_due'),
    resolved_at = json_extract(NEW.moved, '$.resolved_at'),
    closed_at = json_extract(NEW.moved, '$.closed_at'),
    last_team_feedback_at = COALESCE(json_extract(NEW.moved, '$.team_feedback_at'), last_team_feedback_at),
    last_reason = 'message ' || NEW.id,
    updated_at = NEW.at,
    updated_by = NEW.author
  WHERE id = NEW.ticket_id AND state = json_extract(NEW.moved, '$.from');
END;

-- The description is the first message, on the customer's side.
CREATE TRIGGER IF NOT EXISTS ticket_description_message AFTER INSERT ON tickets
WHEN NEW.description <> '' BEGIN
  INSERT INTO ticket_messages (ticket_id, side, visibility, body, author, at)
  VALUES (NEW.id, 'customer', 'public', NEW.description, NEW.opened_by, NEW.opened_at);
END;

-- Tickets opened before this migration: their description becomes their first message.
INSERT INTO ticket_messages (ticket_id, side, visibility, body, author, at)
SELECT t.id, 'customer', 'public', t.description, t.opened_by, t.opened_at
FROM tickets t
WHERE t.description <> ''
  AND NOT EXISTS (SELECT 1 FROM ticket_messages m WHERE m.ticket_id = t.id);

-- The team's public message goes to the customer through the ticket's channel.
CREATE TRIGGER IF NOT EXISTS ticket_message_to_customer AFTER INSERT ON ticket_messages
WHEN NEW.side = 'team' AND NEW.visibility = 'public' BEGIN
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  SELECT 'ticket-message-' || NEW.id, 'ticket.message', t.customer_id,
         json_object('ticket_id', NEW.ticket_id, 'message_id', NEW.id, 'channel', t.channel,
                     'subject', t.subject, 'body', NEW.body),
         NEW.at
  FROM tickets t WHERE t.id = NEW.ticket_id
  ON CONFLICT (id) DO NOTHING;
END;

-- Who works a ticket: its team (the kind's team until someone changes it)
-- and its assignee. One row per ticket once assigned; every change audited.
CREATE TABLE IF NOT EXISTS ticket_assignments (
  ticket_id  INTEGER PRIMARY KEY REFERENCES tickets (id),
  team       TEXT NOT NULL,
  assignee   TEXT,
  reason     TEXT,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ticket_assignments_by_assignee ON ticket_assignments (assignee)
  WHERE assignee IS NOT NULL;

CREATE TRIGGER IF NOT EXISTS ticket_assigned AFTER INSERT ON ticket_assignments BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'ticket.assigned', 'ticket', NEW.ticket_id, NEW.reason,
          json_object('team', NEW.team, 'assignee', NEW.assignee));
END;
CREATE TRIGGER IF NOT EXISTS ticket_reassigned AFTER UPDATE ON ticket_assignments
WHEN OLD.team IS NOT NEW.team OR OLD.assignee IS NOT NEW.assignee BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'ticket.assigned', 'ticket', NEW.ticket_id, NEW.reason,
          json_object('team', NEW.team, 'assignee', NEW.assignee,
                      'from_team', OLD.team, 'from_assignee', OLD.assignee));
END;

-- The team's corrections of how a ticket was filed (002 §10.1.1): the
-- classification, targets and due times before and after, and why. The
-- INSERT is guarded on the ticket as it was read; its trigger applies the new
-- classification and audits it in the same statement.
CREATE TABLE IF NOT EXISTS ticket_reclassifications (
  id        INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets (id),
  before    TEXT NOT NULL CHECK (json_valid(before)),
  after     TEXT NOT NULL CHECK (json_valid(after)),
  reason    TEXT NOT NULL,
  made_at   TEXT NOT NULL,
  made_by   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ticket_reclassifications_by_ticket ON ticket_reclassifications (ticket_id, id);

CREATE TRIGGER IF NOT EXISTS ticket_reclassifications_no_update BEFORE UPDATE ON ticket_reclassifications BEGIN
  SELECT RAISE(ABORT, 'ticket_reclassifications is append-only');
END;
CREATE TRIGGER IF NOT EXISTS ticket_reclassifications_no_delete BEFORE DELETE ON ticket_reclassifications BEGIN
  SELECT RAISE(ABORT, 'ticket_reclassifications is append-only');
END;

CREATE TRIGGER IF NOT EXISTS ticket_reclassified AFTER INSERT ON ticket_reclassifications BEGIN
  UPDATE tickets SET
    kind = json_extract(NEW.after, '$.kind'),
    priority = json_extract(NEW.after, '$.priority'),
    urgency = json_extract(NEW.after, '$.urgency'),
    complexity = json_extract(NEW.after, '$.complexity'),
    sla_priority = json_extract(NEW.after, '$.sla_priority'),
    natural_time = json_extract(NEW.after, '$.natural_time'),
    first_response_minutes = json_extract(NEW.after, '$.first_response_minutes'),
    resolution_minutes = json_extract(NEW.after, '$.resolution_minutes'),
    first_response_due = json_extract(NEW.after, '$.first_response_due'),
    resolution_due = json_extract(NEW.after, '$.resolution_due'),
    updated_at = NEW.made_at,
    updated_by = NEW.made_by
  WHERE id = NEW.ticket_id;
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.made_at, NEW.made_by, 'ticket.reclassified', 'ticket', NEW.ticket_id, NEW.reason,
          json_object('before', json(NEW.before), 'after', json(NEW.after)));
END;

-- Satisfaction surveys (seed 003): one answer per ticket, after its
-- resolution (the sweep sends the survey notice, clock event `survey`).
CREATE TABLE IF NOT EXISTS ticket_surveys (
  ticket_id   INTEGER PRIMARY KEY REFERENCES tickets (id),
  csat        INTEGER CHECK (csat BETWEEN 1 AND 5),
  nps         INTEGER CHECK (nps BETWEEN 0 AND 10),
  ces         INTEGER CHECK (ces BETWEEN 1 AND 7),
  comment     TEXT,
  answered_at TEXT NOT NULL,
  answered_by TEXT NOT NULL
);

CREATE TRIGGER IF NOT EXISTS ticket_surveys_no_update BEFORE UPDATE ON ticket_surveys BEGIN
  SELECT RAISE(ABORT, 'ticket_surveys is append-only');
END;
CREATE TRIGGER IF NOT EXISTS ticket_surveys_no_delete BEFORE DELETE ON ticket_surveys BEGIN
  SELECT RAISE(ABORT, 'ticket_surveys is append-only');
END;

-- Waits on an outside provider (002 §9.5): who, since when, the time they
-- committed to answer by, and whether the customer-facing clocks stop
-- meanwhile (the programme's setting when the wait began). One open wait per
-- ticket. Starting or ending one writes the ticket's due times (decided by the
-- domain, carried in `dues`/`end_dues`) and audits it, in the same statement.
CREATE TABLE IF NOT EXISTS ticket_provider_waits (
  ticket_id    INTEGER NOT NULL REFERENCES tickets (id),
  since        TEXT NOT NULL,
  provider     TEXT NOT NULL,
  committed_at TEXT NOT NULL,
  pauses       INTEGER NOT NULL,
  dues         TEXT NOT NULL CHECK (json_valid(dues)),
  started_by   TEXT NOT NULL,
  note         TEXT,
  until        TEXT,
  end_dues     TEXT CHECK (end_dues IS NULL OR json_valid(end_dues)),
  ended_by     TEXT,
  PRIMARY KEY (ticket_id, since)
);
CREATE UNIQUE INDEX IF NOT EXISTS ticket_provider_waits_open ON ticket_provider_waits (ticket_id)
  WHERE until IS NULL;

CREATE TRIGGER IF NOT EXISTS ticket_provider_wait_started AFTER INSERT ON ticket_provider_waits BEGIN
  UPDATE tickets SET first_response_due = json_extract(NEW.dues, '$.first_response_due'),
         resolution_due = json_extract(NEW.dues, '$.resolution_due'),
         updated_at = NEW.since, updated_by = NEW.started_by
  WHERE id = NEW.ticket_id;
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.since, NEW.started_by, 'ticket.waiting_on_provider', 'ticket', NEW.ticket_id, NEW.note,
          json_object('provider', NEW.provider, 'committed_at', NEW.committed_at, 'pauses_clocks', NEW.pauses));
END;

CREATE TRIGGER IF NOT EXISTS ticket_provider_wait_ended AFTER UPDATE OF until ON ticket_provider_waits
WHEN OLD.until IS NULL AND NEW.until IS NOT NULL BEGIN
  UPDATE tickets SET first_response_due = json_extract(NEW.end_dues, '$.first_response_due'),
         resolution_due = json_extract(NEW.end_dues, '$.resolution_due'),
         updated_at = NEW.until, updated_by = NEW.ended_by
  WHERE id = NEW.ticket_id;
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.until, NEW.ended_by, 'ticket.provider_answered', 'ticket', NEW.ticket_id, NULL,
          json_object('provider', NEW.provider, 'since', NEW.since, 'committed_at', NEW.committed_at));
END;
