-- The tier a membership starts at is programme data (the tier ladder's
-- lowest tier, which may be renamed), not a literal in SQL. The approving
-- request stamps the case's entry tier from the ladder just before its
-- approval (vip_store::onboarding::stamp_entry_tier), and the approval's
-- trigger reads it; without a stamp the approval fails (memberships.tier is
-- NOT NULL), so no membership is ever created at a guessed tier.
-- Idempotent for real Spin, which re-runs every file on each start.
CREATE TABLE IF NOT EXISTS onboarding_entry_tiers (
  case_id INTEGER PRIMARY KEY,
  tier    TEXT NOT NULL
);

DROP TRIGGER IF EXISTS onboarding_approved;
CREATE TRIGGER onboarding_approved AFTER UPDATE OF state ON onboarding_cases
WHEN NEW.state = 'approved' BEGIN
  INSERT INTO memberships (customer_id, tier, tier_since, joined_at, case_id)
  VALUES (NEW.customer_id, (SELECT tier FROM onboarding_entry_tiers WHERE case_id = NEW.id),
          NEW.decided_at, NEW.decided_at, NEW.id)
  ON CONFLICT (customer_id) DO NOTHING;
  INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
  VALUES ('onboarding-' || NEW.id || '-approved', 'onboarding.approved', NEW.customer_id,
          json_object('case_id', NEW.id), NEW.decided_at)
  ON CONFLICT (id) DO NOTHING;
END;
