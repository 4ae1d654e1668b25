-- Members (DOMAIN.md §1-§2): purchases that count towards tiers, tier changes,
-- membership cards and the orders that issue them.
--
-- A tier change is one INSERT into tier_changes: its trigger moves the
-- membership, writes the audit event, queues the customer's notice and orders
-- the re-issued card, all in that statement. Approvals and losses order cards
-- the same way, so no event is ever left without its card order.

-- Spend events. One row per seller reference: recording it again is a no-op.
CREATE TABLE IF NOT EXISTS purchases (
  customer_id   TEXT NOT NULL,
  purchase_id   TEXT NOT NULL,              -- receipt / order number
  amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
  currency      TEXT NOT NULL,
  at            TEXT NOT NULL,              -- RFC 3339 UTC, when it was bought
  special_price INTEGER NOT NULL,           -- 1: does not qualify (004)
  recorded_at   TEXT NOT NULL,
  recorded_by   TEXT NOT NULL,
  PRIMARY KEY (customer_id, purchase_id)
);
CREATE INDEX IF NOT EXISTS purchases_by_time ON purchases (customer_id, at);
CREATE INDEX IF NOT EXISTS purchases_by_at ON purchases (at);

CREATE TRIGGER IF NOT EXISTS purchases_audit AFTER INSERT ON purchases BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.recorded_at, NEW.recorded_by, 'purchase.recorded', 'membership', NEW.customer_id, NULL,
          json_object('purchase_id', NEW.purchase_id, 'amount_minor', NEW.amount_minor,
                      'currency', NEW.currency, 'at', NEW.at, 'special_price', NEW.special_price));
END;

-- Per-region card sequences: allocated by one UPDATE ... RETURNING, so two
-- issuances never get the same number. A crash after allocating may skip a
-- number; a number is never used twice.
CREATE TABLE IF NOT EXISTS card_sequences (
  region TEXT PRIMARY KEY,
  last   INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS cards (
  number      TEXT PRIMARY KEY,             -- region + sequence + Luhn digit
  customer_id TEXT NOT NULL,
  region      TEXT NOT NULL,
  sequence    INTEGER NOT NULL,
  tier        TEXT NOT NULL,                -- printed on the card
  status      TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'lost', 'replaced', 'revoked', 'expired')),
  issued_at   TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  order_id    TEXT NOT NULL UNIQUE,         -- the order it fulfils: one card per order
  replaces    TEXT,                         -- the card it took over from
  updated_at  TEXT NOT NULL,
  updated_by  TEXT NOT NULL,
  UNIQUE (region, sequence)
);
CREATE INDEX IF NOT EXISTS cards_by_customer ON cards (customer_id, issued_at);
CREATE INDEX IF NOT EXISTS cards_by_replaces ON cards (replaces) WHERE replaces IS NOT NULL;
-- A member holds at most one card in use.
CREATE UNIQUE INDEX IF NOT EXISTS cards_one_in_use ON cards (customer_id)
  WHERE status IN ('active', 'suspended');

-- Cards to issue. Fulfilled by the component that wrote the event, right
-- away; pending ones (after a crash) by POST /api/v1/cards/orders/run.
CREATE TABLE IF NOT EXISTS card_orders (
  id          TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('issue', 'reissue', 'replace_lost')),
  region      TEXT,                         -- NULL: the held card's, else the default
  replaces    TEXT,                         -- the lost card
  created_at  TEXT NOT NULL,
  card_number TEXT,
  done_at     TEXT
);
CREATE INDEX IF NOT EXISTS card_orders_pending ON card_orders (customer_id, created_at) WHERE done_at IS NULL;

-- Every tier change with its reason. `cause` (purchase:<id> or review:<date>)
-- is unique per member, so a replayed event changes nothing.
CREATE TABLE IF NOT EXISTS tier_changes (
  id          INTEGER PRIMARY KEY,
  customer_id TEXT NOT NULL,
  at          TEXT NOT NULL,                -- the member holds the new tier from here
  from_tier   TEXT NOT NULL,
  to_tier     TEXT NOT NULL,
  direction   TEXT NOT NULL CHECK (direction IN ('upgrade', 'downgrade')),
  reason      TEXT NOT NULL,
  cause       TEXT NOT NULL,
  actor       TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  UNIQUE (customer_id, cause)
);

CREATE TRIGGER IF NOT EXISTS tier_changes_apply AFTER INSERT ON tier_changes BEGIN
  UPDATE memberships SET tier = NEW.to_tier, tier_since = NEW.at WHERE customer_id = NEW.customer_id;
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.recorded_at, NEW.actor, 'membership.' || NEW.direction, 'membership', NEW.customer_id, NEW.reason,
          json_object('from', NEW.from_tier, 'to', NEW.to_tier, 'cause', NEW.cause, 'since', NEW.at));
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  VALUES ('tier-change-' || NEW.id, 'membership.tier_changed', NEW.customer_id,
          json_object('from', NEW.from_tier, 'to', NEW.to_tier, 'reason', NEW.reason), NEW.recorded_at)
  ON CONFLICT (id) DO NOTHING;
  INSERT INTO card_orders (id, customer_id, kind, created_at)
  VALUES ('tier-change-' || NEW.id, NEW.customer_id, 'reissue', NEW.recorded_at)
  ON CONFLICT (id) DO NOTHING;
END;

CREATE TRIGGER IF NOT EXISTS onboarding_card_order AFTER UPDATE OF state ON onboarding_cases
WHEN NEW.state = 'approved' BEGIN
  INSERT INTO card_orders (id, customer_id, kind, created_at)
  VALUES ('onboarding-' || NEW.id, NEW.customer_id, 'issue', NEW.decided_at)
  ON CONFLICT (id) DO NOTHING;
END;

-- Issuing the card completes its order in the same statement.
CREATE TRIGGER IF NOT EXISTS cards_fulfil_order AFTER INSERT ON cards BEGIN
  UPDATE card_orders SET card_number = NEW.number, done_at = NEW.issued_at
  WHERE id = NEW.order_id AND done_at IS NULL;
END;

CREATE TRIGGER IF NOT EXISTS cards_audit_insert AFTER INSERT ON cards BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.issued_at, NEW.updated_by, 'card.issued', 'card', NEW.number, NULL,
          json_object('customer_id', NEW.customer_id, 'tier', NEW.tier, 'order_id', NEW.order_id,
                      'replaces', NEW.replaces, 'expires_at', NEW.expires_at));
END;

CREATE TRIGGER IF NOT EXISTS cards_audit_status AFTER UPDATE OF status ON cards BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.updated_at, NEW.updated_by, 'card.' || NEW.status, 'card', NEW.number, NULL,
          json_object('customer_id', NEW.customer_id, 'from', OLD.status));
END;

-- Reporting a card lost blocks it and orders its replacement in one statement.
CREATE TRIGGER IF NOT EXISTS cards_lost_order AFTER UPDATE OF status ON cards
WHEN NEW.status = 'lost' BEGIN
  INSERT INTO card_orders (id, customer_id, kind, region, replaces, created_at)
  VALUES ('lost-' || NEW.number, NEW.customer_id, 'replace_lost', NEW.region, NEW.number, NEW.updated_at)
  ON CONFLICT (id) DO NOTHING;
END;
