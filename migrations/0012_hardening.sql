-- Partner webhooks that were signed correctly but can never be applied (a
-- payment above what is outstanding, an unknown invoice, data out of bounds):
-- acknowledged with 200 so the partner stops retrying, not applied, and kept
-- here with the reason, so the refusal is visible and a replay answers the same.
CREATE TABLE IF NOT EXISTS webhook_refusals (
  id          TEXT PRIMARY KEY,                -- the delivery's webhook-id
  source      TEXT NOT NULL,                   -- payments, partners
  received_at TEXT NOT NULL,
  status      INTEGER NOT NULL,                -- the problem's status (4xx)
  problem     TEXT NOT NULL,                   -- the problem's type slug
  detail      TEXT NOT NULL
);
