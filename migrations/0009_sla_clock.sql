-- The SLA sweep (DOMAIN.md §4 clock rules): every clock event of a ticket,
-- recorded once per ticket and key by the `sla-clock` sweep
-- (vip_kit::sla_sweep; the events are the domain's vip_domain::sweep).
-- Recording one audits it, queues its notice and, for an escalation or an
-- automatic close, moves the ticket, all in the statement that records it.

CREATE TABLE IF NOT EXISTS ticket_clock_events (
  ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
  key         TEXT NOT NULL,        -- kind, plus the start of the silence or wait it belongs to
  kind        TEXT NOT NULL,        -- first_response.warning, resolution.breach, follow_up.2, ...
  due_at      TEXT NOT NULL,        -- when it fell due (a catch-up records it late, dated then)
  notify      TEXT NOT NULL,        -- team:<team>, team_lead:<team>, head_of_department, customer
  moves_to    TEXT,                 -- escalated | closed
  reason      TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL,
  PRIMARY KEY (ticket_id, key)
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS ticket_clock_events_no_update BEFORE UPDATE ON ticket_clock_events BEGIN
  SELECT RAISE(ABORT, 'ticket_clock_events is append-only');
END;
CREATE TRIGGER IF NOT EXISTS ticket_clock_events_no_delete BEFORE DELETE ON ticket_clock_events BEGIN
  SELECT RAISE(ABORT, 'ticket_clock_events is append-only');
END;

CREATE TRIGGER IF NOT EXISTS ticket_clock_event_recorded AFTER INSERT ON ticket_clock_events BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.due_at, NEW.recorded_by, 'ticket.' || NEW.kind, 'ticket', NEW.ticket_id, NEW.reason,
          json_object('key', NEW.key, 'notify', NEW.notify, 'moves_to', NEW.moves_to, 'recorded_at', NEW.recorded_at));
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  SELECT 'ticket-' || NEW.ticket_id || '-' || NEW.key, 'ticket.' || NEW.kind, t.customer_id,
         json_object('ticket_id', NEW.ticket_id, 'event', NEW.kind, 'due_at', NEW.due_at, 'to', NEW.notify,
                     'reason', NEW.reason),
         NEW.recorded_at
  FROM tickets t WHERE t.id = NEW.ticket_id
  ON CONFLICT (id) DO NOTHING;
  -- The move is audited by tickets_moved, dated when the event fell due.
  UPDATE tickets SET state = NEW.moves_to, last_reason = NEW.reason, updated_at = NEW.due_at,
         updated_by = NEW.recorded_by,
         closed_at = CASE WHEN NEW.moves_to = 'closed' THEN NEW.due_at ELSE closed_at END
  WHERE id = NEW.ticket_id AND NEW.moves_to IS NOT NULL;
END;

-- A deleted calendar is audited with who deleted it (stamped on the row just before).
CREATE TRIGGER IF NOT EXISTS calendars_audit_delete AFTER DELETE ON calendars BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (OLD.updated_at, OLD.updated_by, 'calendar.deleted', 'calendar', OLD.id, OLD.change_reason,
          json_object('version', OLD.version));
END;
