-- Member sessions (issue 17): a member asks for a one-time code by the email
-- or phone on file, so both are looked up. Codes, counters and tokens live in
-- the key-value store, not here.
CREATE INDEX IF NOT EXISTS customers_contact_email
  ON customers (lower(json_extract(contact, '$.email')));
CREATE INDEX IF NOT EXISTS customers_contact_phone
  ON customers (json_extract(contact, '$.phone'));
