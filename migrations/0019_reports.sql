-- Reports (issue 19; docs/reports.md): indexes the report reads range over,
-- by time. No table: every figure is derived from the recorded facts.

-- A member's tier at a date: the last change before it.
CREATE INDEX IF NOT EXISTS tier_changes_by_customer ON tier_changes (customer_id, at);
CREATE INDEX IF NOT EXISTS tier_changes_by_time ON tier_changes (at);
-- Members by tier at a date: joined before it, by tier, from the index alone.
CREATE INDEX IF NOT EXISTS memberships_by_joined ON memberships (joined_at, tier);
-- The ledger's moves in a window and the balance at a date, from the index alone.
CREATE INDEX IF NOT EXISTS points_ledger_by_time ON points_ledger (at, kind, points, held);
CREATE INDEX IF NOT EXISTS redemptions_by_requested ON redemptions (requested_at);
-- The backlog at a date: opened before it, less resolved before it.
CREATE INDEX IF NOT EXISTS tickets_by_opened ON tickets (opened_at, resolved_at);
CREATE INDEX IF NOT EXISTS tickets_by_resolved ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS ticket_clock_events_by_due ON ticket_clock_events (due_at);
CREATE INDEX IF NOT EXISTS onboarding_cases_by_opened ON onboarding_cases (opened_at);
CREATE INDEX IF NOT EXISTS onboarding_cases_by_decided ON onboarding_cases (decided_at);
-- Invoices of a month by due day and payment, and days to pay, from the indexes alone.
CREATE INDEX IF NOT EXISTS invoices_by_issued ON invoices (issued_at, due_on, paid_at);
CREATE INDEX IF NOT EXISTS invoices_by_paid ON invoices (paid_at, issued_at) WHERE paid_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS dunning_actions_by_due ON dunning_actions (due_on, action);
CREATE INDEX IF NOT EXISTS service_orders_by_opened ON service_orders (opened_at);
CREATE INDEX IF NOT EXISTS ticket_messages_moves_by_time ON ticket_messages (at) WHERE moved IS NOT NULL;
