-- Change requests (EVO) paid in T-Points (issue 21; docs/domain.md §8).
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

-- The T-Points ledger: append-only, apart from the loyalty points ledger.
-- Each entry moves hundredths into or out of what the customer can commit
-- (`available`) and what accepted work holds (`reserved`); the balance is
-- their sums (vip_domain::tpoints::Entry). Statements that take points are
-- guarded; the trigger below refuses any entry that would still leave a sum
-- below zero.
CREATE TABLE IF NOT EXISTS tpoint_ledger (
  id          INTEGER PRIMARY KEY,
  customer_id TEXT NOT NULL,
  entry       TEXT NOT NULL CHECK (entry IN ('pack', 'reserve', 'release', 'spend', 'fee')),
  available   INTEGER NOT NULL,
  reserved    INTEGER NOT NULL,
  pack_id     INTEGER,
  ticket_id   INTEGER,
  version     INTEGER,
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tpoint_ledger_by_customer ON tpoint_ledger (customer_id, id);
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
END;
