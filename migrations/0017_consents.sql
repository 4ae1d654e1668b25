-- Consents per purpose, with their history (issue 17; seed 004: member data
-- used only for the programme, shared with third parties only with consent).
-- Append-only: the latest row of a purpose is the consent in force.
CREATE TABLE IF NOT EXISTS consents (
  id          INTEGER PRIMARY KEY,
  customer_id TEXT NOT NULL,
  purpose     TEXT NOT NULL,              -- programme | marketing | third_parties
  granted     INTEGER NOT NULL,           -- 1 given, 0 withdrawn
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS consents_by_customer ON consents (customer_id, purpose, id);

CREATE TRIGGER IF NOT EXISTS consents_no_update BEFORE UPDATE ON consents BEGIN
  SELECT RAISE(ABORT, 'consents is append-only');
END;
CREATE TRIGGER IF NOT EXISTS consents_no_delete BEFORE DELETE ON consents BEGIN
  SELECT RAISE(ABORT, 'consents is append-only');
END;
