-- Member lifecycle and communications (issue 20). Idempotent for real Spin,
-- which re-runs every file on each start.

-- When each dunning step fell due: the start of its due day in the
-- programme's zone, written by the dunning run (vip_store::collections)
-- just before the step itself. A run that catches up after missed days
-- moves the customer's service status as of the step's due time, not the
-- time the run recorded it (never before the status it moves from: at least
-- a millisecond after it, so each move keeps its own time, the key of the
-- order it may give rise to).
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
             COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ',
                               (SELECT updated_at FROM service_status WHERE customer_id = i.customer_id),
                               '+0.001 seconds'), '')),
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

-- A membership's state (seed 004): every move is a row, the current state is
-- the latest row (none: active). A move is written only if the state read is
-- still the latest (vip_store::memberships::change_state), so two requests
-- never both move a member. Its trigger audits it, tells the member and
-- moves the member's card in use the same way (suspend, reactivate, revoke).
CREATE TABLE IF NOT EXISTS membership_state_changes (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id TEXT NOT NULL,
  event       TEXT NOT NULL CHECK (event IN ('suspend', 'reactivate', 'exit', 'revoke')),
  from_state  TEXT NOT NULL CHECK (from_state IN ('active', 'suspended', 'exited', 'revoked')),
  to_state    TEXT NOT NULL CHECK (to_state IN ('active', 'suspended', 'exited', 'revoked')),
  reason      TEXT,
  at          TEXT NOT NULL,
  by          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS membership_state_changes_by_customer
  ON membership_state_changes (customer_id, id);
CREATE INDEX IF NOT EXISTS membership_state_changes_by_time
  ON membership_state_changes (at, to_state);

CREATE TRIGGER IF NOT EXISTS membership_state_changes_kept BEFORE UPDATE ON membership_state_changes BEGIN
  SELECT RAISE(ABORT, 'membership_state_changes are append-only');
END;
CREATE TRIGGER IF NOT EXISTS membership_state_changes_not_deleted BEFORE DELETE ON membership_state_changes BEGIN
  SELECT RAISE(ABORT, 'membership_state_changes are append-only');
END;

CREATE TRIGGER IF NOT EXISTS membership_state_changed AFTER INSERT ON membership_state_changes BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.at, NEW.by, 'membership.' || NEW.to_state, 'membership', NEW.customer_id, NEW.reason,
          json_object('event', NEW.event, 'from', NEW.from_state, 'change_id', NEW.id));
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  VALUES ('membership-state-' || NEW.id, 'membership.' || NEW.to_state, NEW.customer_id,
          json_object('from', NEW.from_state, 'to', NEW.to_state, 'reason', NEW.reason), NEW.at)
  ON CONFLICT (id) DO NOTHING;
  UPDATE cards SET status = CASE NEW.event WHEN 'suspend' THEN 'suspended'
                                           WHEN 'reactivate' THEN 'active'
                                           ELSE 'revoked' END,
                   updated_at = NEW.at, updated_by = NEW.by
  WHERE customer_id = NEW.customer_id
    AND status IN (CASE NEW.event WHEN 'suspend' THEN 'active' WHEN 'reactivate' THEN 'suspended' ELSE 'active' END,
                   CASE WHEN NEW.event IN ('exit', 'revoke') THEN 'suspended' ELSE '' END);
END;

-- A member's language and channels for notices, in the order to try
-- (vip_domain::notices::Preferences). No row: the programme's default
-- language, email then SMS.
CREATE TABLE IF NOT EXISTS notice_preferences (
  customer_id TEXT PRIMARY KEY,
  language    TEXT NOT NULL CHECK (language IN ('es', 'en', 'zh')),
  channels    TEXT NOT NULL,               -- JSON array of email | sms | whatsapp
  updated_at  TEXT NOT NULL,
  updated_by  TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS notice_preferences_audit_insert AFTER INSERT ON notice_preferences BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'notice_preferences.set', 'customer', NEW.customer_id, NULL,
          json_object('language', NEW.language, 'channels', json(NEW.channels)));
END;
CREATE TRIGGER IF NOT EXISTS notice_preferences_audit_update AFTER UPDATE ON notice_preferences BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'notice_preferences.set', 'customer', NEW.customer_id, NULL,
          json_object('language', NEW.language, 'channels', json(NEW.channels)));
END;

-- How a member notice went out: the channel it was delivered by, or why it
-- could not be (`gave_up_at`: no channel could reach the member, or every
-- channel refused it for good; such a notice is not tried again and is
-- listed for staff). A notice not sent yet has no row.
CREATE TABLE IF NOT EXISTS notice_routes (
  id         TEXT PRIMARY KEY,            -- notice_outbox.id
  channel    TEXT,                        -- the channel of the last try
  language   TEXT,
  gave_up_at TEXT,
  reason     TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS notice_routes_given_up ON notice_routes (gave_up_at) WHERE gave_up_at IS NOT NULL;

-- Broadcasts (seed 000 §8): one message to every active member of an
-- audience, queued as one notice per member (`broadcast-<id>-<customer>`)
-- whose `created_at` is the moment it may go, paced per channel
-- (vip_domain::broadcasts::Pacer); the notices run delivers nothing before
-- its moment. An update (`follows`) goes to the members of the broadcast it
-- follows. `recipients`, `unreachable` and `last_at` are written once
-- every notice is queued.
CREATE TABLE IF NOT EXISTS broadcasts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  audience    TEXT NOT NULL,              -- JSON Audience (the followed broadcast's for an update)
  purpose     TEXT NOT NULL CHECK (purpose IN ('service', 'marketing')),
  messages    TEXT NOT NULL,              -- JSON [BroadcastMessage]
  follows     INTEGER REFERENCES broadcasts (id),
  recipients  INTEGER,
  unreachable INTEGER,
  last_at     TEXT,
  created_at  TEXT NOT NULL,
  created_by  TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS broadcasts_audit AFTER INSERT ON broadcasts BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.created_at, NEW.created_by, 'broadcast.created', 'broadcast', NEW.id, NULL,
          json_object('audience', json(NEW.audience), 'purpose', NEW.purpose, 'follows', NEW.follows));
END;

-- The follow-through after approval and the congratulation call after a
-- promotion to a high tier (seed 000 SOP-001, §2.2, §3.2): tasks opened in
-- the statement that approves (or promotes), from the programme document
-- `onboarding_tasks` (vip_domain::member_tasks::TaskProgram; the approving
-- and purchasing requests load it first, so it is on file), each due so
-- many hours later. Assigned and completed once, with a note; audited.
CREATE TABLE IF NOT EXISTS member_tasks (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id TEXT NOT NULL,
  key         TEXT NOT NULL,
  title       TEXT NOT NULL,
  owner       TEXT NOT NULL,
  cause       TEXT NOT NULL,              -- onboarding-<case> | promotion-<tier change>
  opened_at   TEXT NOT NULL,
  due_at      TEXT NOT NULL,
  assignee    TEXT,
  done_at     TEXT,
  done_by     TEXT,
  note        TEXT,
  updated_at  TEXT NOT NULL,
  updated_by  TEXT NOT NULL,
  UNIQUE (customer_id, cause, key)
);
CREATE INDEX IF NOT EXISTS member_tasks_open ON member_tasks (due_at) WHERE done_at IS NULL;
CREATE INDEX IF NOT EXISTS member_tasks_by_customer ON member_tasks (customer_id, id);
CREATE INDEX IF NOT EXISTS member_tasks_by_due ON member_tasks (due_at, key);

CREATE TRIGGER IF NOT EXISTS onboarding_tasks_opened AFTER UPDATE OF state ON onboarding_cases
WHEN NEW.state = 'approved' BEGIN
  INSERT INTO member_tasks (customer_id, key, title, owner, cause, opened_at, due_at, updated_at, updated_by)
  SELECT NEW.customer_id, json_extract(t.value, '$.key'), json_extract(t.value, '$.title'),
         json_extract(t.value, '$.owner'), 'onboarding-' || NEW.id, NEW.decided_at,
         strftime('%Y-%m-%dT%H:%M:%fZ', NEW.decided_at, '+' || json_extract(t.value, '$.due_hours') || ' hours'),
         NEW.decided_at, NEW.decided_by
  FROM program_settings p, json_each(p.document, '$.after_approval') t
  WHERE p.name = 'onboarding_tasks'
  ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER IF NOT EXISTS promotion_call_opened AFTER INSERT ON tier_changes
WHEN NEW.direction = 'upgrade' BEGIN
  INSERT INTO member_tasks (customer_id, key, title, owner, cause, opened_at, due_at, updated_at, updated_by)
  SELECT NEW.customer_id, json_extract(p.document, '$.promotion_call.task.key'),
         json_extract(p.document, '$.promotion_call.task.title'),
         json_extract(p.document, '$.promotion_call.task.owner'), 'promotion-' || NEW.id, NEW.recorded_at,
         strftime('%Y-%m-%dT%H:%M:%fZ', NEW.recorded_at,
                  '+' || json_extract(p.document, '$.promotion_call.task.due_hours') || ' hours'),
         NEW.recorded_at, NEW.actor
  FROM program_settings p
  WHERE p.name = 'onboarding_tasks'
    AND NEW.to_tier IN (SELECT value FROM json_each(p.document, '$.promotion_call.tiers'))
  ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER IF NOT EXISTS member_tasks_audit_opened AFTER INSERT ON member_tasks BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.opened_at, NEW.updated_by, 'task.opened', 'task', NEW.id, NULL,
          json_object('customer_id', NEW.customer_id, 'key', NEW.key, 'cause', NEW.cause, 'due_at', NEW.due_at));
END;
CREATE TRIGGER IF NOT EXISTS member_tasks_audit_assigned AFTER UPDATE OF assignee ON member_tasks
WHEN OLD.assignee IS NOT NEW.assignee BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'task.assigned', 'task', NEW.id, NULL,
          json_object('from', OLD.assignee, 'to', NEW.assignee));
END;
CREATE TRIGGER IF NOT EXISTS member_tasks_audit_done AFTER UPDATE OF done_at ON member_tasks
WHEN OLD.done_at IS NULL AND NEW.done_at IS NOT NULL BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.done_at, NEW.done_by, 'task.completed', 'task', NEW.id, NEW.note,
          json_object('due_at', NEW.due_at, 'on_time', NEW.done_at <= NEW.due_at));
END;

-- A member's date of birth (optional, given with the programme consent;
-- personal data: erased with the customer) and the birthday benefits
-- granted, once per member and year (vip_domain::birthdays). A grant's
-- trigger audits it and queues the member's `member.birthday` notice.
CREATE TABLE IF NOT EXISTS member_birthdays (
  customer_id TEXT PRIMARY KEY,
  birth_date  TEXT NOT NULL,               -- YYYY-MM-DD
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS birthday_grants (
  customer_id TEXT NOT NULL,
  year        INTEGER NOT NULL,
  tier        TEXT NOT NULL,
  benefit     TEXT NOT NULL,
  granted_at  TEXT NOT NULL,
  granted_by  TEXT NOT NULL,
  PRIMARY KEY (customer_id, year)
);
CREATE TRIGGER IF NOT EXISTS birthday_granted AFTER INSERT ON birthday_grants BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.granted_at, NEW.granted_by, 'membership.birthday', 'membership', NEW.customer_id, NEW.benefit,
          json_object('year', NEW.year, 'tier', NEW.tier));
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  VALUES ('birthday-' || NEW.customer_id || '-' || NEW.year, 'member.birthday', NEW.customer_id,
          json_object('tier', NEW.tier, 'benefit', NEW.benefit, 'year', NEW.year), NEW.granted_at)
  ON CONFLICT (id) DO NOTHING;
END;

-- The balance handed to legal (seed 001: at pickup, "el saldo al abogado";
-- and when a customer is disconnected owing money): one record per move,
-- keyed by the move's time, opened by the suspension run with the unpaid
-- balance as collections report it, and closed by staff with the outcome.
-- A pickup's record tells the legal contact (a staff notice); a
-- disconnection's was told by the retention case already.
CREATE TABLE IF NOT EXISTS legal_handoffs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id TEXT NOT NULL,
  cause       TEXT NOT NULL CHECK (cause IN ('pickup', 'disconnected')),
  status_at   TEXT NOT NULL,               -- service_status.updated_at of the move
  balance     TEXT NOT NULL,               -- JSON [Money]
  legal       TEXT NOT NULL,               -- who takes it over (suspension programme `legal`)
  opened_at   TEXT NOT NULL,
  opened_by   TEXT NOT NULL,
  closed_at   TEXT,
  closed_by   TEXT,
  outcome     TEXT CHECK (outcome IN ('recovered', 'settled', 'written_off', 'withdrawn')),
  note        TEXT,
  UNIQUE (customer_id, cause, status_at)
);
CREATE INDEX IF NOT EXISTS legal_handoffs_open ON legal_handoffs (opened_at) WHERE closed_at IS NULL;

CREATE TRIGGER IF NOT EXISTS legal_handoff_opened AFTER INSERT ON legal_handoffs BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.opened_at, NEW.opened_by, 'legal.handoff_opened', 'customer', NEW.customer_id, NEW.cause,
          json_object('handoff_id', NEW.id, 'balance', json(NEW.balance), 'legal', NEW.legal));
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  SELECT 'legal-handoff-' || NEW.id, 'legal.handoff', '',
         json_object('handoff_id', NEW.id, 'customer_id', NEW.customer_id, 'cause', NEW.cause,
                     'balance', json(NEW.balance), 'to', json_array(NEW.legal)),
         NEW.opened_at
  WHERE NEW.cause = 'pickup'
  ON CONFLICT (id) DO NOTHING;
END;
CREATE TRIGGER IF NOT EXISTS legal_handoff_closed AFTER UPDATE OF closed_at ON legal_handoffs
WHEN OLD.closed_at IS NULL AND NEW.closed_at IS NOT NULL BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.closed_at, NEW.closed_by, 'legal.handoff_closed', 'customer', NEW.customer_id, NEW.note,
          json_object('handoff_id', NEW.id, 'outcome', NEW.outcome));
END;

-- Collections' side of the month-end VIP list (seed 001: "colocar a los
-- clientes en Estatus CLIENTE VIP, con una Nota detallando que es cliente
-- VIP"): each change of the list marks (or unmarks) the customer in
-- collections, in the statement that records it; shown on invoices.
CREATE TABLE IF NOT EXISTS collections_marks (
  customer_id TEXT PRIMARY KEY,
  vip         INTEGER NOT NULL,
  note        TEXT NOT NULL,
  month       TEXT NOT NULL                -- the close that set it
);
CREATE TRIGGER IF NOT EXISTS month_end_marks_collections AFTER INSERT ON month_end_changes BEGIN
  INSERT INTO collections_marks (customer_id, vip, note, month)
  VALUES (NEW.customer_id, NEW.vip,
          CASE WHEN NEW.vip THEN 'CLIENTE VIP desde el cierre de ' || NEW.month || ': ' || NEW.summary
               ELSE 'Ya no es CLIENTE VIP desde el cierre de ' || NEW.month || ': ' || NEW.summary END,
          NEW.month)
  ON CONFLICT (customer_id) DO UPDATE SET vip = excluded.vip, note = excluded.note, month = excluded.month
  WHERE excluded.month >= collections_marks.month;
END;
-- VIPs listed before this migration.
INSERT INTO collections_marks (customer_id, vip, note, month)
SELECT c.customer_id, c.vip,
       CASE WHEN c.vip THEN 'CLIENTE VIP desde el cierre de ' || c.month || ': ' || c.summary
            ELSE 'Ya no es CLIENTE VIP desde el cierre de ' || c.month || ': ' || c.summary END,
       c.month
FROM month_end_changes c
WHERE c.month = (SELECT MAX(month) FROM month_end_changes l WHERE l.customer_id = c.customer_id)
ON CONFLICT (customer_id) DO NOTHING;

-- Collector portfolios (seed 001: "La Cartera de Clientes VIP será asignada
-- a los Gestores de Cobros"): one collector per customer; every assignment
-- and reassignment audited.
CREATE TABLE IF NOT EXISTS collector_assignments (
  customer_id TEXT PRIMARY KEY,
  collector   TEXT NOT NULL,
  assigned_at TEXT NOT NULL,
  assigned_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS collector_assignments_by_collector ON collector_assignments (collector, customer_id);
CREATE TRIGGER IF NOT EXISTS collector_assigned AFTER INSERT ON collector_assignments BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.assigned_at, NEW.assigned_by, 'collections.assigned', 'customer', NEW.customer_id, NULL,
          json_object('collector', NEW.collector));
END;
CREATE TRIGGER IF NOT EXISTS collector_reassigned AFTER UPDATE OF collector ON collector_assignments
WHEN OLD.collector <> NEW.collector BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.assigned_at, NEW.assigned_by, 'collections.reassigned', 'customer', NEW.customer_id, NULL,
          json_object('from', OLD.collector, 'to', NEW.collector));
END;

-- A reconnected customer's basis changing (seed 001: temporary payment,
-- investigation, payment plan): the service stays connected, so the status
-- keeps the time it was reconnected (which keys its reconnect order; no new
-- order) and the change is its own row, audited at its own time.
CREATE TABLE IF NOT EXISTS reconnection_basis_changes (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id TEXT NOT NULL,
  from_status TEXT NOT NULL,
  to_status   TEXT NOT NULL,
  why         TEXT NOT NULL,
  at          TEXT NOT NULL,
  by          TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS reconnection_basis_changed AFTER INSERT ON reconnection_basis_changes BEGIN
  UPDATE service_status SET status = NEW.to_status, reason = NEW.why, updated_by = NEW.by
  WHERE customer_id = NEW.customer_id;
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.at, NEW.by, 'service.basis_changed', 'customer', NEW.customer_id, NEW.why,
          json_object('from', NEW.from_status, 'to', NEW.to_status));
END;
-- A status move is audited when it has its own time; a basis change (same
-- time) is audited by its own row above.
DROP TRIGGER IF EXISTS service_status_moved;
CREATE TRIGGER service_status_moved AFTER UPDATE OF status ON service_status
WHEN OLD.status <> NEW.status AND OLD.updated_at <> NEW.updated_at BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'service.' || NEW.status, 'customer', NEW.customer_id, NEW.reason,
          json_object('from', OLD.status, 'to', NEW.status));
END;
