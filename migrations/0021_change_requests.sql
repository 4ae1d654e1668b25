-- Change requests (EVO) paid in T-Points (issue 21; docs/domain.md §10).
-- Idempotent for real Spin, which re-runs every file on each start.

-- Packs of T-Points a customer bought (seed 002 §12). Amounts in hundredths
-- of a T-Point (vip_domain::tpoints::TPoints). A pack's trigger credits it.
CREATE TABLE IF NOT EXISTS tpoint_packs (
  id          INTEGER PRIMARY KEY,
  customer_id TEXT NOT NULL,
  points      INTEGER NOT NULL CHECK (points > 0),
  price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
  currency    TEXT NOT NULL,
  bought_at   TEXT NOT NULL,
  expires_at  TEXT,
  reference   TEXT,
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tpoint_packs_by_customer ON tpoint_packs (customer_id, id);
CREATE INDEX IF NOT EXISTS tpoint_packs_by_expiry ON tpoint_packs (expires_at) WHERE expires_at IS NOT NULL;

-- The T-Points ledger: append-only, apart from the loyalty points ledger.
-- An `expire` entry takes what was left of a pack past its expiry (`pack_id`).
-- Each entry moves hundredths into or out of what the customer can commit
-- (`available`) and what accepted work holds (`reserved`); the balance is
-- their sums (vip_domain::tpoints::Entry). Statements that take points are
-- guarded; the trigger below refuses any entry that would still leave a sum
-- below zero.
CREATE TABLE IF NOT EXISTS tpoint_ledger (
  id          INTEGER PRIMARY KEY,
  customer_id TEXT NOT NULL,
  entry       TEXT NOT NULL CHECK (entry IN ('pack', 'reserve', 'release', 'spend', 'fee', 'expire')),
  available   INTEGER NOT NULL,
  reserved    INTEGER NOT NULL,
  pack_id     INTEGER,
  ticket_id   INTEGER,
  version     INTEGER,
  training_id INTEGER,
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tpoint_ledger_by_customer ON tpoint_ledger (customer_id, id);
-- What a change request holds (vip_store::change_requests::held).
CREATE INDEX IF NOT EXISTS tpoint_ledger_by_ticket ON tpoint_ledger (ticket_id) WHERE ticket_id IS NOT NULL;
-- What has expired of each pack (vip_store::tpoints::lots).
CREATE INDEX IF NOT EXISTS tpoint_ledger_expired_by_pack ON tpoint_ledger (pack_id) WHERE entry = 'expire';
CREATE TRIGGER IF NOT EXISTS tpoint_ledger_no_update BEFORE UPDATE ON tpoint_ledger BEGIN
  SELECT RAISE(ABORT, 'tpoint_ledger is append-only');
END;
CREATE TRIGGER IF NOT EXISTS tpoint_ledger_no_delete BEFORE DELETE ON tpoint_ledger BEGIN
  SELECT RAISE(ABORT, 'tpoint_ledger is append-only');
END;
CREATE TRIGGER IF NOT EXISTS tpoint_ledger_never_negative BEFORE INSERT ON tpoint_ledger
WHEN (SELECT COALESCE(SUM(available), 0) FROM tpoint_ledger WHERE customer_id = NEW.customer_id) + NEW.available < 0
  OR (SELECT COALESCE(SUM(reserved), 0) FROM tpoint_ledger WHERE customer_id = NEW.customer_id) + NEW.reserved < 0
BEGIN
  SELECT RAISE(ABORT, 'T-Points would go below zero');
END;

CREATE TRIGGER IF NOT EXISTS tpoint_pack_credited AFTER INSERT ON tpoint_packs BEGIN
  INSERT INTO tpoint_ledger (customer_id, entry, available, reserved, pack_id, at, actor)
  VALUES (NEW.customer_id, 'pack', NEW.points, 0, NEW.id, NEW.recorded_at, NEW.recorded_by);
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.recorded_at, NEW.recorded_by, 'tpoints.pack_bought', 'customer', NEW.customer_id, NEW.reference,
          json_object('pack', NEW.id, 'points', NEW.points / 100.0, 'price_minor', NEW.price_minor,
                      'currency', NEW.currency, 'expires_at', NEW.expires_at));
END;

-- A change request: a ticket of kind change_request once it is sized. Its
-- state and latest estimate version; `total` is that version's total. A move
-- carries its T-Points settlement (`settle_*`, vip_domain::change_requests::settlement)
-- and reason, which the move's trigger records.
CREATE TABLE IF NOT EXISTS change_requests (
  ticket_id        INTEGER PRIMARY KEY,
  customer_id      TEXT NOT NULL,
  category         TEXT NOT NULL CHECK (category IN ('simple', 'moderate', 'advanced', 'complex')),
  rough_points     INTEGER NOT NULL CHECK (rough_points >= 0),
  state            TEXT NOT NULL,
  version          INTEGER NOT NULL DEFAULT 0,
  total            INTEGER,
  reason           TEXT,
  settle_entry     TEXT,
  settle_available INTEGER,
  settle_reserved  INTEGER,
  started_at       TEXT,                     -- development began (vip_domain::change_requests::WorkMove::Start)
  sized_at         TEXT NOT NULL,
  sized_by         TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  updated_by       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS change_requests_by_customer ON change_requests (customer_id, state);

-- Every version of every estimate, kept (002 §10.2.1 t): the estimator's
-- input, the computed lines (JSON of vip_domain::change_requests::Estimate),
-- the fee charged for it (paid-estimates list), who made and reviewed it.
-- Its trigger makes it the request's latest version and charges the fee.
CREATE TABLE IF NOT EXISTS change_estimates (
  ticket_id   INTEGER NOT NULL,
  version     INTEGER NOT NULL CHECK (version >= 1),
  customer_id TEXT NOT NULL,
  category    TEXT NOT NULL,
  input       TEXT NOT NULL,
  estimate    TEXT NOT NULL,
  total       INTEGER NOT NULL CHECK (total >= 0),
  fee         INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0),
  opens_as    TEXT NOT NULL CHECK (opens_as IN ('in_review', 'awaiting_customer')),
  made_at     TEXT NOT NULL,
  made_by     TEXT NOT NULL,
  reviewed_at TEXT,
  reviewed_by TEXT,
  PRIMARY KEY (ticket_id, version)
);

-- Every move of a change request, append-only: the customer's decisions
-- with their (internal) reasons, the reviews, validation, cancellation.
CREATE TABLE IF NOT EXISTS change_request_moves (
  id          INTEGER PRIMARY KEY,
  ticket_id   INTEGER NOT NULL,
  customer_id TEXT NOT NULL,
  version     INTEGER NOT NULL,
  from_state  TEXT NOT NULL,
  to_state    TEXT NOT NULL,
  reason      TEXT,
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS change_request_moves_by_customer ON change_request_moves (customer_id, to_state);
CREATE INDEX IF NOT EXISTS change_request_moves_by_ticket ON change_request_moves (ticket_id, id);
CREATE TRIGGER IF NOT EXISTS change_request_moves_no_update BEFORE UPDATE ON change_request_moves BEGIN
  SELECT RAISE(ABORT, 'change_request_moves is append-only');
END;
CREATE TRIGGER IF NOT EXISTS change_request_moves_no_delete BEFORE DELETE ON change_request_moves BEGIN
  SELECT RAISE(ABORT, 'change_request_moves is append-only');
END;

CREATE TRIGGER IF NOT EXISTS change_request_sized AFTER INSERT ON change_requests BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.sized_at, NEW.sized_by, 'change_request.sized', 'ticket', NEW.ticket_id, NULL,
          json_object('category', NEW.category, 'rough_points', NEW.rough_points / 100.0));
END;

CREATE TRIGGER IF NOT EXISTS change_request_resized AFTER UPDATE OF category, rough_points ON change_requests
WHEN OLD.category IS NOT NEW.category OR OLD.rough_points IS NOT NEW.rough_points BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.sized_at, NEW.sized_by, 'change_request.resized', 'ticket', NEW.ticket_id, NULL,
          json_object('from', OLD.category, 'category', NEW.category, 'rough_points', NEW.rough_points / 100.0));
END;

CREATE TRIGGER IF NOT EXISTS change_estimate_made AFTER INSERT ON change_estimates BEGIN
  UPDATE change_requests
     SET version = NEW.version, total = NEW.total, state = NEW.opens_as, reason = NULL,
         settle_entry = NULL, settle_available = NULL, settle_reserved = NULL,
         updated_at = NEW.made_at, updated_by = NEW.made_by
   WHERE ticket_id = NEW.ticket_id;
  INSERT INTO tpoint_ledger (customer_id, entry, available, reserved, ticket_id, version, at, actor)
  SELECT NEW.customer_id, 'fee', -NEW.fee, 0, NEW.ticket_id, NEW.version, NEW.made_at, NEW.made_by
  WHERE NEW.fee > 0;
END;

CREATE TRIGGER IF NOT EXISTS change_estimate_reviewed AFTER UPDATE OF reviewed_at ON change_estimates
WHEN OLD.reviewed_at IS NULL AND NEW.reviewed_at IS NOT NULL BEGIN
  UPDATE change_requests
     SET state = 'awaiting_customer', reason = NULL,
         settle_entry = NULL, settle_available = NULL, settle_reserved = NULL,
         updated_at = NEW.reviewed_at, updated_by = NEW.reviewed_by
   WHERE ticket_id = NEW.ticket_id AND version = NEW.version AND state = 'in_review';
END;

CREATE TRIGGER IF NOT EXISTS change_request_moved AFTER UPDATE OF state ON change_requests
WHEN OLD.state IS NOT NEW.state OR OLD.version IS NOT NEW.version BEGIN
  INSERT INTO change_request_moves (ticket_id, customer_id, version, from_state, to_state, reason, at, actor)
  VALUES (NEW.ticket_id, NEW.customer_id, NEW.version, OLD.state, NEW.state, NEW.reason, NEW.updated_at, NEW.updated_by);
  INSERT INTO tpoint_ledger (customer_id, entry, available, reserved, ticket_id, version, at, actor)
  SELECT NEW.customer_id, NEW.settle_entry, NEW.settle_available, NEW.settle_reserved,
         NEW.ticket_id, NEW.version, NEW.updated_at, NEW.updated_by
  WHERE NEW.settle_entry IS NOT NULL;
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'change_request.' || NEW.state, 'ticket', NEW.ticket_id, NEW.reason,
          json_object('from', OLD.state, 'version', NEW.version, 'total', NEW.total / 100.0,
                      'entry', NEW.settle_entry));
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  SELECT 'change-estimate-' || NEW.ticket_id || '-' || NEW.version, 'change.estimate_ready', NEW.customer_id,
         json_object('ticket_id', NEW.ticket_id, 'version', NEW.version, 'total', NEW.total / 100.0),
         NEW.updated_at
  WHERE NEW.state = 'awaiting_customer'
  ON CONFLICT (id) DO NOTHING;
END;

-- The plan of accepted work (002 §10.2.2): dates and each technician's
-- hours (JSON of vip_domain::change_delivery::Plan assignments). Moving a
-- date tells the customer at once, with the reason.
CREATE TABLE IF NOT EXISTS change_plans (
  ticket_id   INTEGER PRIMARY KEY,
  customer_id TEXT NOT NULL,
  start_on    TEXT NOT NULL,
  deliver_on  TEXT NOT NULL,
  assignments TEXT NOT NULL,
  reason      TEXT,
  planned_at  TEXT NOT NULL,
  planned_by  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS change_plans_by_dates ON change_plans (deliver_on, start_on);

CREATE TRIGGER IF NOT EXISTS change_plan_made AFTER INSERT ON change_plans BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.planned_at, NEW.planned_by, 'change_request.planned', 'ticket', NEW.ticket_id, NULL,
          json_object('start_on', NEW.start_on, 'deliver_on', NEW.deliver_on, 'assignments', json(NEW.assignments)));
END;

CREATE TRIGGER IF NOT EXISTS change_plan_moved AFTER UPDATE OF start_on, deliver_on, assignments ON change_plans BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.planned_at, NEW.planned_by, 'change_request.replanned', 'ticket', NEW.ticket_id, NEW.reason,
          json_object('start_on', NEW.start_on, 'deliver_on', NEW.deliver_on,
                      'was_start_on', OLD.start_on, 'was_deliver_on', OLD.deliver_on,
                      'assignments', json(NEW.assignments)));
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  SELECT 'change-dates-' || NEW.ticket_id || '-' || NEW.planned_at, 'change.date_moved', NEW.customer_id,
         json_object('ticket_id', NEW.ticket_id, 'start_on', NEW.start_on, 'deliver_on', NEW.deliver_on,
                     'was_start_on', OLD.start_on, 'was_deliver_on', OLD.deliver_on, 'reason', NEW.reason),
         NEW.planned_at
  WHERE OLD.start_on IS NOT NEW.start_on OR OLD.deliver_on IS NOT NEW.deliver_on
  ON CONFLICT (id) DO NOTHING;
END;

-- Hours booked against a request in development, append-only (minutes).
CREATE TABLE IF NOT EXISTS change_hours (
  id         INTEGER PRIMARY KEY,
  ticket_id  INTEGER NOT NULL,
  technician TEXT NOT NULL,
  minutes    INTEGER NOT NULL CHECK (minutes > 0),
  worked_on  TEXT NOT NULL,
  note       TEXT,
  booked_at  TEXT NOT NULL,
  booked_by  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS change_hours_by_ticket ON change_hours (ticket_id);
CREATE TRIGGER IF NOT EXISTS change_hours_no_update BEFORE UPDATE ON change_hours BEGIN
  SELECT RAISE(ABORT, 'change_hours is append-only');
END;
CREATE TRIGGER IF NOT EXISTS change_hours_no_delete BEFORE DELETE ON change_hours BEGIN
  SELECT RAISE(ABORT, 'change_hours is append-only');
END;

-- The progress notices of requests in development, one per period
-- (vip_domain::change_delivery::progress_due), recorded like the tickets'
-- clock events: the key makes a repeated or overlapping run send none again.
CREATE TABLE IF NOT EXISTS change_progress (
  ticket_id   INTEGER NOT NULL,
  number      INTEGER NOT NULL,
  customer_id TEXT NOT NULL,
  due_at      TEXT NOT NULL,
  deliver_on  TEXT,
  sent_at     TEXT NOT NULL,
  PRIMARY KEY (ticket_id, number)
);

CREATE TRIGGER IF NOT EXISTS change_progress_noticed AFTER INSERT ON change_progress BEGIN
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  VALUES ('change-progress-' || NEW.ticket_id || '-' || NEW.number, 'change.progress', NEW.customer_id,
          json_object('ticket_id', NEW.ticket_id, 'deliver_on', NEW.deliver_on, 'due_at', NEW.due_at),
          NEW.sent_at)
  ON CONFLICT (id) DO NOTHING;
END;

-- Training (FOR, 002 §10.3): the request as written up, its budget
-- (JSON of vip_domain::training::Budget), the sessions planned, the
-- materials delivered at closing. A move carries its T-Points settlement,
-- which the move's trigger applies with the audit row.
CREATE TABLE IF NOT EXISTS trainings (
  id               INTEGER PRIMARY KEY,
  customer_id      TEXT NOT NULL,
  request          TEXT NOT NULL,
  budget           TEXT NOT NULL,
  total            INTEGER NOT NULL CHECK (total >= 0),
  state            TEXT NOT NULL CHECK (state IN ('budgeted', 'approved', 'planned', 'closed', 'rejected', 'cancelled')),
  sessions         TEXT,
  materials        TEXT,
  reason           TEXT,
  settle_entry     TEXT,
  settle_available INTEGER,
  settle_reserved  INTEGER,
  created_at       TEXT NOT NULL,
  created_by       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  updated_by       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trainings_by_customer ON trainings (customer_id, id);

CREATE TRIGGER IF NOT EXISTS training_budgeted AFTER INSERT ON trainings BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.created_at, NEW.created_by, 'training.budgeted', 'customer', NEW.customer_id, NULL,
          json_object('training', NEW.id, 'total', NEW.total / 100.0));
END;

CREATE TRIGGER IF NOT EXISTS training_moved AFTER UPDATE OF state, sessions ON trainings BEGIN
  INSERT INTO tpoint_ledger (customer_id, entry, available, reserved, training_id, at, actor)
  SELECT NEW.customer_id, NEW.settle_entry, NEW.settle_available, NEW.settle_reserved, NEW.id, NEW.updated_at, NEW.updated_by
  WHERE NEW.settle_entry IS NOT NULL AND OLD.state IS NOT NEW.state;
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'training.' || NEW.state, 'customer', NEW.customer_id, NEW.reason,
          json_object('training', NEW.id, 'from', OLD.state, 'total', NEW.total / 100.0, 'entry', NEW.settle_entry));
END;
