-- Erasure on request (issue 17; seed 004, DOMAIN §8): who was erased, when,
-- by whom. The customer's personal fields are pseudonymised in place; their
-- ledgers, invoices, payments and audit stay under the same id (accounting
-- retention). The audit row carries no personal data.
CREATE TABLE IF NOT EXISTS erasures (
  customer_id TEXT PRIMARY KEY,
  erased_at   TEXT NOT NULL,
  erased_by   TEXT NOT NULL
);

CREATE TRIGGER IF NOT EXISTS erasures_audit AFTER INSERT ON erasures BEGIN
  INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
  VALUES (NEW.erased_at, NEW.erased_by, 'customer.erased', 'customer', NEW.customer_id, NULL, json_object());
END;
