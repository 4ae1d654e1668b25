-- Applications from the public web form (issue 17): who applied, when, and
-- the consents they gave, per purpose. The applicant is stored as a customer
-- (customers, with its own audit) and evaluated like any other.
CREATE TABLE IF NOT EXISTS applications (
  id           INTEGER PRIMARY KEY,
  customer_id  TEXT NOT NULL UNIQUE,
  consents     TEXT NOT NULL,             -- JSON: purpose -> true/false, as given
  applied_at   TEXT NOT NULL
);
