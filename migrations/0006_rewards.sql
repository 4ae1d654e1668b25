-- Points and rewards (DOMAIN.md §3): the append-only points ledger, the
-- reward catalogue, and redemptions.
--
-- A redemption row carries the settlement of its last move (computed by the
-- domain: vip_domain::rewards::Settlement); the triggers below apply it to the
-- ledger and the reward's stock in the same statement as the move, so a
-- request, a decision or a cancellation is never half-applied.

-- One entry per change to a membership's points. `points` changes what the
-- member can spend; `held` changes what redemptions hold. Credits (earned or
-- granted) carry the date their unspent rest expires.
CREATE TABLE IF NOT EXISTS points_ledger (
  id          INTEGER PRIMARY KEY,
  customer_id TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('earn', 'adjust', 'expire', 'reserve', 'commit', 'release')),
  points      INTEGER NOT NULL,
  held        INTEGER NOT NULL DEFAULT 0,
  at          TEXT NOT NULL,              -- when it took effect (an earn: the purchase time)
  expires_at  TEXT,                       -- credits only
  source      TEXT NOT NULL,              -- purchase:<id>, adjustment:<key>, expiry:<date>, redemption:<id>:<state>
  reason      TEXT,
  actor       TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  UNIQUE (customer_id, source),
  CHECK ((expires_at IS NOT NULL) = (points > 0 AND kind IN ('earn', 'adjust')))
);
CREATE INDEX IF NOT EXISTS points_ledger_by_kind ON points_ledger (customer_id, kind, at);
CREATE INDEX IF NOT EXISTS points_ledger_credits_due ON points_ledger (expires_at, customer_id) WHERE expires_at IS NOT NULL;

CREATE TRIGGER IF NOT EXISTS points_ledger_no_update BEFORE UPDATE ON points_ledger BEGIN
  SELECT RAISE(ABORT, 'points_ledger is append-only');
END;
CREATE TRIGGER IF NOT EXISTS points_ledger_no_delete BEFORE DELETE ON points_ledger BEGIN
  SELECT RAISE(ABORT, 'points_ledger is append-only');
END;

CREATE TRIGGER IF NOT EXISTS points_ledger_audit AFTER INSERT ON points_ledger
WHEN NEW.kind IN ('adjust', 'expire') BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.recorded_at, NEW.actor, 'points.' || CASE NEW.kind WHEN 'adjust' THEN 'adjusted' ELSE 'expired' END,
          'membership', NEW.customer_id, NEW.reason,
          json_object('points', NEW.points, 'source', NEW.source, 'ledger_id', NEW.id));
END;

-- The catalogue. `spec` is the reward as staff wrote it (JSON); stock is kept
-- beside it: units left to redeem (NULL: unlimited) and units held by
-- undecided redemptions.
CREATE TABLE IF NOT EXISTS rewards (
  id             INTEGER PRIMARY KEY,
  spec           TEXT NOT NULL,
  version        INTEGER NOT NULL DEFAULT 1,
  stock_left     INTEGER CHECK (stock_left IS NULL OR stock_left >= 0),
  stock_held     INTEGER NOT NULL DEFAULT 0 CHECK (stock_held >= 0),
  restocks       INTEGER NOT NULL DEFAULT 0,
  restock_reason TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  updated_by     TEXT NOT NULL
);

CREATE TRIGGER IF NOT EXISTS rewards_audit_insert AFTER INSERT ON rewards BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'reward.created', 'reward', NEW.id, NULL,
          json_object('spec', json(NEW.spec), 'stock_left', NEW.stock_left));
END;
CREATE TRIGGER IF NOT EXISTS rewards_audit_update AFTER UPDATE OF spec ON rewards
WHEN OLD.version <> NEW.version BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'reward.updated', 'reward', NEW.id, NULL,
          json_object('version', NEW.version, 'spec', json(NEW.spec)));
END;
CREATE TRIGGER IF NOT EXISTS rewards_audit_restock AFTER UPDATE OF restocks ON rewards
WHEN OLD.restocks <> NEW.restocks BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'reward.restocked', 'reward', NEW.id, NEW.restock_reason,
          json_object('change', NEW.stock_left - OLD.stock_left, 'stock_left', NEW.stock_left));
END;

CREATE TABLE IF NOT EXISTS redemptions (
  id                INTEGER PRIMARY KEY,
  request_key       TEXT NOT NULL UNIQUE,  -- caller + Idempotency-Key: a retry never redeems twice
  customer_id       TEXT NOT NULL,
  reward_id         INTEGER NOT NULL REFERENCES rewards (id),
  cost              INTEGER NOT NULL CHECK (cost > 0),
  limited_stock     INTEGER NOT NULL,      -- 1: holds a unit of stock
  state             TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'fulfilled', 'rejected', 'cancelled')),
  approval          TEXT NOT NULL CHECK (approval IN ('automatic', 'manual')),
  approval_reason   TEXT NOT NULL,
  fulfilment        TEXT NOT NULL,         -- JSON fulfilment target
  requested_at      TEXT NOT NULL,
  requested_by      TEXT NOT NULL,
  review_due_at     TEXT NOT NULL,
  decided_at        TEXT,
  fulfil_by         TEXT,
  fulfilled_at      TEXT,
  reason            TEXT,                  -- why of the last move
  updated_at        TEXT NOT NULL,
  updated_by        TEXT NOT NULL,
  settle_entry      TEXT,                  -- the last move's settlement
  settle_points     INTEGER NOT NULL,
  settle_held       INTEGER NOT NULL,
  settle_stock_left INTEGER NOT NULL,
  settle_stock_held INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS redemptions_by_customer ON redemptions (customer_id, id);
CREATE INDEX IF NOT EXISTS redemptions_open ON redemptions (state, review_due_at)
  WHERE state IN ('requested', 'approved');

CREATE TRIGGER IF NOT EXISTS redemptions_requested AFTER INSERT ON redemptions BEGIN
  INSERT INTO points_ledger (customer_id, kind, points, held, at, source, reason, actor, recorded_at)
  VALUES (NEW.customer_id, NEW.settle_entry, NEW.settle_points, NEW.settle_held, NEW.updated_at,
          'redemption:' || NEW.id || ':' || NEW.state, NEW.reason, NEW.updated_by, NEW.updated_at);
  UPDATE rewards SET stock_left = stock_left + NEW.settle_stock_left, stock_held = stock_held + NEW.settle_stock_held
  WHERE id = NEW.reward_id AND stock_left IS NOT NULL;
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'redemption.requested', 'redemption', NEW.id, NEW.approval_reason,
          json_object('customer_id', NEW.customer_id, 'reward_id', NEW.reward_id, 'cost', NEW.cost,
                      'approval', NEW.approval, 'review_due_at', NEW.review_due_at));
END;

CREATE TRIGGER IF NOT EXISTS redemptions_moved AFTER UPDATE OF state ON redemptions
WHEN OLD.state <> NEW.state BEGIN
  INSERT INTO points_ledger (customer_id, kind, points, held, at, source, reason, actor, recorded_at)
  SELECT NEW.customer_id, NEW.settle_entry, NEW.settle_points, NEW.settle_held, NEW.updated_at,
         'redemption:' || NEW.id || ':' || NEW.state, NEW.reason, NEW.updated_by, NEW.updated_at
  WHERE NEW.settle_entry IS NOT NULL;
  UPDATE rewards SET stock_left = stock_left + NEW.settle_stock_left, stock_held = stock_held + NEW.settle_stock_held
  WHERE id = NEW.reward_id AND stock_left IS NOT NULL;
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'redemption.' || NEW.state, 'redemption', NEW.id, NEW.reason,
          json_object('from', OLD.state, 'to', NEW.state, 'points', NEW.settle_points, 'customer_id', NEW.customer_id));
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  VALUES ('redemption-' || NEW.id || '-' || NEW.state, 'redemption.' || NEW.state, NEW.customer_id,
          json_object('redemption_id', NEW.id, 'reward_id', NEW.reward_id, 'reason', NEW.reason), NEW.updated_at)
  ON CONFLICT (id) DO NOTHING;
END;
