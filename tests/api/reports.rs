//! Reports (issue 19; docs/reports.md) against a seeded data set whose
//! figures were computed by hand: facts written straight into the app's
//! database with exact times (local midnight in Madrid, the DST change on
//! 29 March 2026, a member who changed tier twice in a day, an erased and a
//! disconnected member), then read through the `reports` component. Also:
//! every breakdown adds up to its total, CSV, bad input, roles, the empty
//! database, the executive summary and its weekly notice.

use e2e::{boot, call, call_with, json, problem, App, Host};
use serde_json::Value;

/// Writes facts into the running app's database.
fn seed(app: &App, sql: &str) {
    app.database().execute_batch(sql).expect("seed");
}

fn report(host: &Host, path: &str) -> Value {
    let r = call(host, Some("program_manager"), "GET", path, None);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    json(&r)
}

/// Asserts each expected value: `v` reads one line's value, from the
/// expectation's texts (row, figure, breakdown, key, or without the row).
fn expect<A: Copy + std::fmt::Debug>(v: &impl Fn(A) -> Option<i64>, expected: &[(A, i64)]) {
    for (args, n) in expected {
        assert_eq!(v(*args), Some(*n), "{args:?}");
    }
}

/// The value of one line: (row, figure, breakdown, key).
fn value(report: &Value, period: &str, figure: &str, breakdown: &str, key: &str) -> Option<i64> {
    line(report, period, figure, breakdown, key)["value"].as_i64()
}

fn line<'a>(
    report: &'a Value,
    period: &str,
    figure: &str,
    breakdown: &str,
    key: &str,
) -> &'a Value {
    report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| {
            l["period"] == period
                && l["figure"] == figure
                && l["breakdown"] == breakdown
                && l["key"] == key
        })
        .unwrap_or_else(|| panic!("no line {period} {figure} {breakdown} {key} in {report}"))
}

/// A ratio line's part, whole and percent.
fn share(line: &Value) -> (Option<i64>, Option<i64>, Option<&str>) {
    (
        line["part"].as_i64(),
        line["whole"].as_i64(),
        line["percent"].as_str(),
    )
}

/// Every (row, figure) of `report`: a breakdown's lines (except ratios and
/// medians, which do not add) sum to the figure's total line.
fn assert_breakdowns_add_up(report: &Value) {
    let lines = report["lines"].as_array().unwrap();
    for total in lines.iter().filter(|l| l["breakdown"] == "total") {
        if !["count", "points"].contains(&total["unit"].as_str().unwrap()) {
            continue;
        }
        let same = |l: &&Value| l["period"] == total["period"] && l["figure"] == total["figure"];
        let mut sums: std::collections::BTreeMap<String, i64> = Default::default();
        for l in lines
            .iter()
            .filter(same)
            .filter(|l| l["breakdown"] != "total")
        {
            *sums
                .entry(l["breakdown"].as_str().unwrap().into())
                .or_default() += l["value"].as_i64().unwrap();
        }
        for (breakdown, sum) in sums {
            assert_eq!(
                Some(sum),
                total["value"].as_i64(),
                "{} {} by {breakdown} does not add up",
                total["period"],
                total["figure"]
            );
        }
    }
}

/// Four members who joined around the night of the DST change (Madrid:
/// 29 March 2026 02:00 CET became 03:00 CEST), one of whom (A) changed tier
/// twice on the 29th, one downgraded (B), one erased (D), one disconnected
/// after the window (C); onboarding cases and purchases on those days.
const PROGRAMME: &str = "
INSERT INTO memberships (customer_id, tier, tier_since, joined_at, case_id) VALUES
 ('P-A', 'silver', '2026-03-28T22:59:59.000Z', '2026-03-28T22:59:59.000Z', 1),
 ('P-B', 'gold',   '2026-03-28T23:00:00.000Z', '2026-03-28T23:00:00.000Z', 2),
 ('P-C', 'gold',   '2026-03-29T22:00:00.000Z', '2026-03-29T22:00:00.000Z', 3),
 ('P-D', 'silver', '2026-03-29T21:59:59.000Z', '2026-03-29T21:59:59.000Z', 4);
INSERT INTO tier_changes (customer_id, at, from_tier, to_tier, direction, reason, cause, actor, recorded_at) VALUES
 ('P-A', '2026-03-29T10:00:00.000Z', 'silver', 'gold', 'upgrade', 'spend', 'purchase:a1', 'test', '2026-03-29T10:00:00.000Z'),
 ('P-A', '2026-03-29T12:00:00.000Z', 'gold', 'platinum', 'upgrade', 'spend', 'purchase:a2', 'test', '2026-03-29T12:00:00.000Z'),
 ('P-B', '2026-03-30T10:00:00.000Z', 'gold', 'silver', 'downgrade', 'review', 'review:2026-03', 'test', '2026-03-30T10:00:00.000Z');
INSERT INTO erasures (customer_id, erased_at, erased_by) VALUES ('P-D', '2026-03-30T08:00:00.000Z', 'test');
INSERT INTO retention_cases (customer_id, cause, status, sales_due, recovery_due, balance, opened_at, opened_by,
   closed_at, updated_at, updated_by, reason) VALUES
 ('P-C', 'disconnection_request', 'disconnected', '2026-03-30T10:00:00.000Z', '2026-03-31T10:00:00.000Z', '[]',
  '2026-03-30T09:00:00.000Z', 'test', '2026-03-31T10:00:00.000Z', '2026-03-31T10:00:00.000Z', 'test', 'left');
INSERT INTO onboarding_cases (customer_id, state, opened_at, due_at, decided_by, decided_at, reason, updated_at, updated_by) VALUES
 ('P-A', 'approved', '2026-03-28T10:00:00.000Z', '2026-03-29T10:00:00.000Z', 'pm', '2026-03-29T09:00:00.000Z', NULL, '2026-03-29T09:00:00.000Z', 'pm'),
 ('P-B', 'approved', '2026-03-29T10:00:00.000Z', '2026-03-30T10:00:00.000Z', 'pm', '2026-03-30T11:00:00.000Z', NULL, '2026-03-30T11:00:00.000Z', 'pm'),
 ('P-E', 'rejected', '2026-03-30T10:00:00.000Z', '2026-03-31T10:00:00.000Z', 'pm', '2026-03-30T12:00:00.000Z', 'no', '2026-03-30T12:00:00.000Z', 'pm');
INSERT INTO purchases (customer_id, purchase_id, amount_minor, currency, at, special_price, recorded_at, recorded_by) VALUES
 ('P-A', 'a1', 5000, 'EUR', '2026-03-29T11:00:00.000Z', 0, '2026-03-29T11:00:00.000Z', 'test'),
 ('P-A', 'a2', 3000, 'EUR', '2026-03-29T12:00:00.000Z', 1, '2026-03-29T12:00:00.000Z', 'test'),
 ('P-B', 'b1', 2000, 'EUR', '2026-03-30T09:00:00.000Z', 0, '2026-03-30T09:00:00.000Z', 'test');
";

#[test]
fn the_programme_report_counts_members_by_local_day_across_the_dst_change() {
    let (app, host) = boot();
    seed(&app, PROGRAMME);
    let r = report(
        &host,
        "/api/v1/reports/programme?from=2026-03-28&to=2026-03-30&by=day&as_of=2026-04-01T00:00:00Z",
    );
    assert_eq!(
        r["rows"],
        serde_json::json!(["2026-03-28", "2026-03-29", "2026-03-30"])
    );
    assert_eq!(r["zone"], "Europe/Madrid");
    // The 29th is 23 hours long: 00:00 CET to 00:00 CEST.
    let day = line(&r, "2026-03-29", "joins", "total", "all");
    assert_eq!(
        (day["from"].as_str(), day["to"].as_str()),
        (
            Some("2026-03-28T23:00:00.000Z"),
            Some("2026-03-29T22:00:00.000Z")
        )
    );
    let v = |(p, f, b, k)| value(&r, p, f, b, k);
    // A joined at 23:59:59 on the 28th, B at 00:00 on the 29th (CET), D at
    // 23:59:59 on the 29th (CEST), C at 00:00 on the 30th.
    expect(
        &v,
        &[
            (("2026-03-28", "joins", "total", "all"), 1),
            (("2026-03-28", "joins", "tier", "silver"), 1),
            (("2026-03-29", "joins", "total", "all"), 2),
            (("2026-03-29", "joins", "tier", "gold"), 1),
            (("2026-03-29", "joins", "tier", "silver"), 1),
            (("2026-03-30", "joins", "tier", "gold"), 1),
        ],
    );
    // Members at each day's end, by the tier held then: A was silver on
    // the 28th and platinum after two upgrades on the 29th; B gold until
    // its downgrade on the 30th; D erased on the 30th.
    expect(
        &v,
        &[
            (("2026-03-28", "vip_members", "total", "all"), 1),
            (("2026-03-28", "vip_members", "tier", "silver"), 1),
            (("2026-03-29", "vip_members", "total", "all"), 3),
        ],
    );
    for tier in ["gold", "platinum", "silver"] {
        assert_eq!(
            v(("2026-03-29", "vip_members", "tier", tier)),
            Some(1),
            "{tier}"
        );
        assert_eq!(
            v(("2026-03-30", "vip_members", "tier", tier)),
            Some(1),
            "{tier}"
        );
    }
    expect(
        &v,
        &[
            (("2026-03-30", "vip_members", "total", "all"), 3),
            (("2026-03-29", "tier_changes", "direction", "upgrade"), 2),
            (("2026-03-29", "tier_changes", "tier", "platinum"), 1),
            (("2026-03-30", "tier_changes", "direction", "downgrade"), 1),
            (("2026-03-30", "exits", "how", "erased"), 1),
            (("2026-03-28", "exits", "total", "all"), 0),
        ],
    );
    // Onboarding: the case approved on the 29th within its 24 h, the one
    // on the 30th an hour late.
    assert_eq!(
        v(("2026-03-28", "onboarding_opened", "total", "all")),
        Some(1)
    );
    let within = line(&r, "2026-03-29", "onboarding_within_target", "total", "all");
    assert_eq!(share(within), (Some(1), Some(1), Some("100.0")));
    let late = line(&r, "2026-03-30", "onboarding_within_target", "total", "all");
    assert_eq!(late["percent"], "0.0");
    assert_eq!(
        v(("2026-03-30", "onboarding_rejected", "total", "all")),
        Some(1)
    );
    // Purchases by the tier held at the purchase: gold at 11:00, platinum
    // from 12:00 (a special price: not qualifying).
    expect(
        &v,
        &[
            (("2026-03-29", "purchases", "tier", "gold"), 1),
            (("2026-03-29", "purchases", "tier", "platinum"), 1),
            (("2026-03-29", "qualifying_spend", "currency", "EUR"), 5000),
            (
                ("2026-03-29", "qualifying_spend", "tier", "EUR platinum"),
                0,
            ),
            (("2026-03-30", "qualifying_spend", "tier", "EUR gold"), 2000),
        ],
    );
    // Retention of the March cohort at the window's end: D erased.
    let cohort = line(&r, "total", "retention", "cohort", "2026-03");
    assert_eq!(
        (cohort["part"].as_i64(), cohort["whole"].as_i64()),
        (Some(3), Some(4))
    );
    assert_breakdowns_add_up(&r);

    // Asked from the 30th alone, the members at its start are counted
    // directly (not carried from the 28th): the same figures.
    let alone = report(
        &host,
        "/api/v1/reports/programme?from=2026-03-30&to=2026-03-30&as_of=2026-04-01T00:00:00Z",
    );
    for tier in ["gold", "platinum", "silver"] {
        assert_eq!(
            value(&alone, "total", "vip_members", "tier", tier),
            Some(1),
            "{tier}"
        );
    }
    assert_eq!(
        value(&alone, "total", "vip_members", "total", "all"),
        Some(3)
    );
    // The whole month: C's disconnection on the 31st is an exit too.
    let m = report(
        &host,
        "/api/v1/reports/programme?from=2026-03-01&to=2026-03-31&as_of=2026-04-01T00:00:00Z",
    );
    assert_eq!(value(&m, "total", "exits", "how", "disconnected"), Some(1));
    assert_eq!(value(&m, "total", "exits", "total", "all"), Some(2));
    assert_eq!(value(&m, "total", "vip_members", "total", "all"), Some(2));
    assert_eq!(
        line(&m, "total", "retention", "cohort", "2026-03")["percent"],
        "50.0"
    );
    // The same report tomorrow answers the same: nothing after as_of counts.
    let again = report(
        &host,
        "/api/v1/reports/programme?from=2026-03-01&to=2026-03-31&as_of=2026-04-01T00:00:00Z",
    );
    assert_eq!(again["lines"], m["lines"]);
}

/// November 2026 in support, points and collections (as of 30 November
/// 12:00 UTC). Tickets: T4 opened one second before local midnight on 1
/// November (October), T5 at midnight (November).
const NOVEMBER: &str = "
INSERT INTO tickets (id, customer_id, kind, channel, subject, description, priority, sla_priority, complaint, key_account,
  support_plan, calendar_id, natural_time, first_response_minutes, resolution_minutes, first_response_due, resolution_due,
  state, month, counts_towards_limit, opened_at, opened_by, first_responded_at, last_team_feedback_at, resolved_at,
  updated_at, updated_by) VALUES
 (1, 'S-1', 'incident', 'web', 's', '', 'high', 'high', 0, 0, 'gold', 'default', 1, 60, 480,
  '2026-11-02T11:00:00.000Z', '2026-11-02T18:00:00.000Z', 'resolved', '2026-11', 0, '2026-11-02T10:00:00.000Z', 't',
  '2026-11-02T10:30:00.000Z', '2026-11-02T10:30:00.000Z', '2026-11-02T20:00:00.000Z', '2026-11-02T20:00:00.000Z', 't'),
 (2, 'S-2', 'question', 'phone', 's', '', NULL, 'medium', 0, 0, 'silver', 'default', 1, 240, 2880,
  '2026-11-10T14:00:00.000Z', '2026-11-12T10:00:00.000Z', 'open', '2026-11', 0, '2026-11-10T10:00:00.000Z', 't',
  NULL, '2026-11-10T10:00:00.000Z', NULL, '2026-11-10T10:00:00.000Z', 't'),
 (3, 'S-3', 'incident', 'email', 's', '', 'low', 'low', 0, 0, 'gold', 'default', 0, 240, 9000,
  '2026-11-09T12:00:00.000Z', '2026-12-20T00:00:00.000Z', 'open', '2026-11', 0, '2026-11-06T15:00:00.000Z', 't',
  '2026-11-09T08:30:00.000Z', '2026-11-09T08:30:00.000Z', NULL, '2026-11-09T08:30:00.000Z', 't'),
 (4, 'S-4', 'question', 'phone', 's', '', NULL, 'medium', 0, 0, 'silver', 'default', 1, 240, 2880,
  '2026-11-01T02:59:59.000Z', '2026-11-02T22:59:59.000Z', 'open', '2026-10', 0, '2026-10-31T22:59:59.000Z', 't',
  NULL, '2026-10-31T22:59:59.000Z', NULL, '2026-10-31T22:59:59.000Z', 't'),
 (5, 'S-5', 'question', 'web', 's', '', NULL, 'medium', 0, 0, 'silver', 'default', 1, 120, 5760,
  '2026-11-01T01:00:00.000Z', '2026-11-05T00:00:00.000Z', 'resolved', '2026-11', 0, '2026-10-31T23:00:00.000Z', 't',
  '2026-11-01T00:30:00.000Z', '2026-11-01T00:30:00.000Z', '2026-11-04T23:00:00.000Z', '2026-11-04T23:00:00.000Z', 't'),
 (6, 'S-6', 'question', 'chat', 's', '', NULL, 'medium', 0, 0, 'silver', 'default', 1, 240, 2880,
  '2026-11-30T10:00:00.000Z', '2026-12-02T06:00:00.000Z', 'open', '2026-11', 0, '2026-11-30T06:00:00.000Z', 't',
  NULL, '2026-11-30T06:00:00.000Z', NULL, '2026-11-30T06:00:00.000Z', 't');
INSERT INTO ticket_assignments (ticket_id, team, updated_at, updated_by) VALUES
 (1, 'alpha', '2026-11-02T10:00:00.000Z', 't'), (2, 'beta', '2026-11-10T10:00:00.000Z', 't'),
 (5, 'alpha', '2026-10-31T23:00:00.000Z', 't'), (6, 'alpha', '2026-11-30T06:00:00.000Z', 't');
INSERT INTO ticket_pauses (ticket_id, from_at, to_at) VALUES (3, '2026-11-09T08:00:00.000Z', '2026-11-09T08:15:00.000Z');
INSERT INTO ticket_messages (ticket_id, side, visibility, body, moved, author, at) VALUES
 (1, 'customer', 'public', 'again', '{\"event\":\"reopen\",\"from\":\"nothing\",\"to\":\"open\"}', 't', '2026-11-03T09:00:00.000Z');
INSERT INTO ticket_clock_events (ticket_id, key, kind, due_at, notify, moves_to, reason, recorded_at, recorded_by) VALUES
 (2, 'first_response.breach', 'first_response.breach', '2026-11-10T14:00:00.000Z', 'team:beta', NULL, 'late', '2026-11-10T14:00:00.000Z', 't'),
 (3, 'follow_up.1', 'follow_up.1', '2026-11-20T10:00:00.000Z', 'customer', NULL, 'silence', '2026-11-20T10:00:00.000Z', 't'),
 (2, 'follow_up.4', 'follow_up.4', '2026-11-25T10:00:00.000Z', 'head_of_department', 'escalated', 'silence', '2026-11-25T10:00:00.000Z', 't');

INSERT INTO points_ledger (customer_id, kind, points, held, at, expires_at, source, actor, recorded_at) VALUES
 ('M-1', 'earn', 100, 0, '2026-10-31T22:59:59.000Z', '2027-10-31T00:00:00.000Z', 'purchase:1', 't', '2026-10-31T22:59:59.000Z'),
 ('M-1', 'earn', 200, 0, '2026-10-31T23:00:00.000Z', '2027-10-31T00:00:00.000Z', 'purchase:2', 't', '2026-10-31T23:00:00.000Z'),
 ('M-1', 'earn', 50, 0, '2026-11-15T10:00:00.000Z', '2027-11-15T00:00:00.000Z', 'purchase:3', 't', '2026-11-15T10:00:00.000Z'),
 ('M-1', 'adjust', -20, 0, '2026-11-16T10:00:00.000Z', NULL, 'adjustment:1', 't', '2026-11-16T10:00:00.000Z'),
 ('M-1', 'expire', -30, 0, '2026-11-20T10:00:00.000Z', NULL, 'expiry:2026-11-20', 't', '2026-11-20T10:00:00.000Z');
INSERT INTO rewards (id, spec, stock_left, created_at, updated_at, updated_by) VALUES
 (1, '{\"name\":\"Spa day\",\"kind\":\"experience\"}', 3, '2026-10-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z', 't'),
 (2, '{\"name\":\"E-book\",\"kind\":\"digital\"}', NULL, '2026-10-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z', 't');
INSERT INTO redemptions (id, request_key, customer_id, reward_id, cost, limited_stock, state, approval, approval_reason,
  fulfilment, requested_at, requested_by, review_due_at, updated_at, updated_by, settle_entry, settle_points, settle_held,
  settle_stock_left, settle_stock_held) VALUES
 (1, 'k1', 'M-1', 1, 120, 0, 'requested', 'manual', 'high value', '{}', '2026-11-17T10:00:00.000Z', 't',
  '2026-11-18T10:00:00.000Z', '2026-11-17T10:00:00.000Z', 't', 'reserve', -120, 120, 0, 0),
 (2, 'k2', 'M-1', 2, 50, 0, 'requested', 'manual', 'review', '{}', '2026-11-21T10:00:00.000Z', 't',
  '2026-11-22T10:00:00.000Z', '2026-11-21T10:00:00.000Z', 't', 'reserve', -50, 50, 0, 0),
 (3, 'k3', 'M-1', 2, 40, 0, 'requested', 'automatic', 'within limits', '{}', '2026-11-29T10:00:00.000Z', 't',
  '2026-11-30T10:00:00.000Z', '2026-11-29T10:00:00.000Z', 't', 'reserve', -40, 40, 0, 0);
UPDATE redemptions SET state = 'approved', decided_at = '2026-11-18T09:00:00.000Z', fulfil_by = '2026-11-25T09:00:00.000Z',
  updated_at = '2026-11-18T09:00:00.000Z', settle_entry = 'commit', settle_points = 0, settle_held = -120 WHERE id = 1;
UPDATE redemptions SET state = 'fulfilled', fulfilled_at = '2026-11-26T09:00:00.000Z',
  updated_at = '2026-11-26T09:00:00.000Z', settle_entry = NULL, settle_points = 0, settle_held = 0 WHERE id = 1;
UPDATE redemptions SET state = 'rejected', decided_at = '2026-11-23T10:00:00.000Z',
  updated_at = '2026-11-23T10:00:00.000Z', settle_entry = 'release', settle_points = 50, settle_held = -50 WHERE id = 2;
UPDATE redemptions SET state = 'approved', decided_at = '2026-11-29T10:00:00.000Z',
  updated_at = '2026-11-29T10:00:00.000Z', settle_entry = 'commit', settle_points = 0, settle_held = -40 WHERE id = 3;

INSERT INTO invoices (id, customer_id, month, amount_minor, currency, due_on, paid_minor, paid_at, issued_at, issued_by) VALUES
 (1, 'K-1', '2026-10', 1000, 'EUR', '2026-11-10', 1000, '2026-11-10T22:59:59.000Z', '2026-11-01T08:00:00.000Z', 't'),
 (2, 'K-2', '2026-10', 1000, 'EUR', '2026-11-10', 1000, '2026-11-10T23:00:00.000Z', '2026-11-01T08:00:00.000Z', 't'),
 (3, 'K-3', '2026-10', 1000, 'EUR', '2026-11-10', 0, NULL, '2026-11-01T08:00:00.000Z', 't'),
 (4, 'K-4', '2026-10', 1000, 'EUR', '2026-11-10', 1000, '2026-11-30T13:00:00.000Z', '2026-11-01T08:00:00.000Z', 't'),
 (5, 'K-5', '2026-09', 1000, 'EUR', '2026-11-10', 1000, '2026-11-02T22:00:00.000Z', '2026-10-31T22:00:00.000Z', 't');
INSERT INTO payment_commitments (invoice_id, seq, pay_by, made_on, made_at, made_by) VALUES
 (2, 1, '2026-11-10', '2026-11-05', '2026-11-05T10:00:00.000Z', 't'),
 (3, 1, '2026-12-05', '2026-11-20', '2026-11-20T10:00:00.000Z', 't'),
 (1, 1, '2026-11-10', '2026-11-08', '2026-11-08T10:00:00.000Z', 't');
INSERT INTO dunning_actions (invoice_id, step, action, due_on, why, notify, moves_to, recorded_at, recorded_by) VALUES
 (3, 'reminder', 'remind', '2026-11-11', 'unpaid', '[]', NULL, '2026-11-11T08:00:00.000Z', 't'),
 (3, 'notice', 'suspension_notice', '2026-11-20', 'unpaid', '[]', NULL, '2026-11-20T08:00:00.000Z', 't'),
 (3, 'suspend', 'suspend', '2026-12-01', 'unpaid', '[]', NULL, '2026-11-30T08:00:00.000Z', 't');
INSERT INTO service_orders (customer_id, action, delivery, stage, status, status_at, why, notify, opened_at, opened_by,
  closed_at, updated_at, updated_by) VALUES
 ('K-3', 'suspend', 'direct', 'closed', 'suspended', '2026-11-12T10:00:00.000Z', 'unpaid', '[]', '2026-11-12T10:00:00.000Z', 't',
  '2026-11-12T12:00:00.000Z', '2026-11-12T12:00:00.000Z', 't'),
 ('K-6', 'suspend', 'third_party', 'closed', 'suspended', '2026-11-13T10:00:00.000Z', 'unpaid', '[]', '2026-11-13T10:00:00.000Z', 't',
  '2026-11-14T10:00:00.000Z', '2026-11-14T10:00:00.000Z', 't'),
 ('K-2', 'reconnect', 'direct', 'provisioning', 'active', '2026-11-15T10:00:00.000Z', 'paid', '[]', '2026-11-15T10:00:00.000Z', 't',
  NULL, '2026-11-15T10:00:00.000Z', 't');
INSERT INTO retention_cases (customer_id, cause, status, sales_due, recovery_due, balance, opened_at, opened_by,
   closed_at, updated_at, updated_by, reason) VALUES
 ('K-3', 'disconnection_request', 'disconnected', '2026-11-20T10:00:00.000Z', '2026-11-24T10:00:00.000Z', '[]',
  '2026-11-18T09:00:00.000Z', 'test', '2026-11-25T10:00:00.000Z', '2026-11-25T10:00:00.000Z', 'test', 'left');
";

const AS_OF: &str = "as_of=2026-11-30T12:00:00Z";

fn november() -> (App, Host) {
    let (app, host) = boot();
    seed(&app, NOVEMBER);
    (app, host)
}

#[test]
fn the_support_report_classifies_every_clock_and_measures_business_time() {
    let (_app, host) = november();
    let r = report(
        &host,
        &format!("/api/v1/reports/support?from=2026-11-01&to=2026-11-30&{AS_OF}"),
    );
    let v = |(f, b, k)| value(&r, "total", f, b, k);
    // T4 (23:59:59 on 31 October, Madrid) is October's; T5 (00:00) November's.
    assert_eq!(v(("tickets_opened", "total", "all")), Some(5));
    for (b, k, n) in [
        ("channel", "web", 2),
        ("channel", "phone", 1),
        ("channel", "email", 1),
        ("channel", "chat", 1),
        ("kind", "incident", 2),
        ("kind", "question", 3),
        ("priority", "high", 1),
        ("priority", "low", 1),
        ("priority", "medium", 3),
        ("plan", "gold", 2),
        ("plan", "silver", 3),
        ("team", "alpha", 3),
        ("team", "beta", 1),
        ("team", "unassigned", 1),
    ] {
        assert_eq!(v(("tickets_opened", b, k)), Some(n), "{b} {k}");
    }
    // First response: T1, T3, T5 met; T2 overdue (its breach recorded), T6
    // past due at 12:00 without a response.
    assert_eq!(v(("first_response_outcomes", "outcome", "met")), Some(3));
    assert_eq!(
        v(("first_response_outcomes", "outcome", "overdue")),
        Some(2)
    );
    assert_eq!(
        line(&r, "total", "first_response_sla", "total", "all")["percent"],
        "100.0"
    );
    // Resolution: T1 resolved two hours late, T5 on time, T2 overdue, T3
    // and T6 still within their time.
    for (k, n) in [
        ("met", 1),
        ("breached", 1),
        ("overdue", 1),
        ("open_on_time", 2),
    ] {
        assert_eq!(v(("resolution_outcomes", "outcome", k)), Some(n), "{k}");
    }
    assert_eq!(
        v(("resolution_outcomes", "plan_priority", "gold/high/breached")),
        Some(1)
    );
    let sla = line(&r, "total", "resolution_sla", "total", "all");
    assert_eq!(share(sla), (Some(1), Some(2), Some("50.0")));
    // By priority (the dashboard's chart): T1 (high) late, T5 (medium) on time.
    let high = line(&r, "total", "resolution_sla", "priority", "high");
    assert_eq!(share(high), (Some(0), Some(1), Some("0.0")));
    let medium = line(&r, "total", "first_response_sla", "priority", "medium");
    assert_eq!(share(medium), (Some(1), Some(1), Some("100.0")));
    assert_eq!(
        line(&r, "total", "resolution_sla", "team", "alpha")["percent"],
        "50.0"
    );
    assert_eq!(
        line(
            &r,
            "total",
            "resolution_sla",
            "plan_priority",
            "silver/medium"
        )["percent"],
        "100.0"
    );
    // Business minutes to first response: T1 30 and T5 90 on the 24x7
    // clock; T3 opened Friday 16:00 Madrid, answered Monday 09:30 on the
    // 08:00-17:00 calendar, 15 minutes waiting on the customer: 60 + 90 - 15.
    expect(
        &v,
        &[
            (("first_response_minutes_median", "total", "all"), 90),
            (("first_response_minutes_p90", "total", "all"), 135),
            (("first_response_minutes_median", "priority", "low"), 135),
            (("resolution_minutes_median", "total", "all"), 600),
            (("resolution_minutes_p90", "total", "all"), 5760),
        ],
    );
    // Open at 12:00 on the 30th: T6 (6 h), T2, T3 and T4 (a week to a month).
    expect(
        &v,
        &[
            (("backlog", "age", "0-24h"), 1),
            (("backlog", "age", "168-720h"), 3),
            (("backlog", "total", "all"), 4),
            (("clock_events", "event", "follow_up.1"), 1),
            (("clock_events", "total", "all"), 3),
            (("escalations", "total", "all"), 1),
        ],
    );
    let reopen = line(&r, "total", "reopen_rate", "total", "all");
    assert_eq!(
        (reopen["part"].as_i64(), reopen["whole"].as_i64()),
        (Some(1), Some(2))
    );
    assert_breakdowns_add_up(&r);
}

#[test]
fn the_points_report_reads_the_ledger_and_redemptions_as_they_stood() {
    let (_app, host) = november();
    let r = report(
        &host,
        &format!("/api/v1/reports/points?from=2026-10-01&to=2026-11-30&by=month&{AS_OF}"),
    );
    let v = |(p, f, b, k)| value(&r, p, f, b, k);
    // 100 points earned one second before November (Madrid), 200 at its first instant.
    expect(
        &v,
        &[
            (("2026-10", "points_earned", "total", "all"), 100),
            (("2026-10", "outstanding_points", "total", "all"), 100),
            (("2026-11", "points_earned", "total", "all"), 250),
            (("2026-11", "points_adjusted", "total", "all"), -20),
        ],
    );
    // 120 and 40 committed; the rejected request's 50 released.
    expect(
        &v,
        &[
            (("2026-11", "points_redeemed", "total", "all"), 160),
            (("2026-11", "points_expired", "total", "all"), 30),
            (("2026-11", "outstanding_points", "total", "all"), 140),
            (("2026-11", "redemptions", "total", "all"), 3),
        ],
    );
    for (b, k, n) in [
        ("reward_kind", "digital", 2),
        ("reward_kind", "experience", 1),
        ("state", "fulfilled", 1),
        ("state", "rejected", 1),
        ("state", "approved", 1),
        ("approval", "automatic", 1),
        ("approval", "manual", 2),
    ] {
        assert_eq!(v(("2026-11", "redemptions", b, k)), Some(n), "{b} {k}");
    }
    let reviewed = line(
        &r,
        "2026-11",
        "redemptions_reviewed_on_time",
        "total",
        "all",
    );
    assert_eq!(share(reviewed), (Some(2), Some(3), Some("66.7")));
    assert_eq!(
        line(
            &r,
            "2026-11",
            "redemptions_reviewed_on_time",
            "reward_kind",
            "digital"
        )["percent"],
        "50.0"
    );
    assert_eq!(
        line(
            &r,
            "2026-11",
            "redemptions_fulfilled_on_time",
            "total",
            "all"
        )["percent"],
        "0.0"
    );
    expect(
        &v,
        &[
            (
                ("2026-11", "minutes_to_decision_median", "total", "all"),
                1380,
            ),
            (("2026-11", "minutes_to_decision_p90", "total", "all"), 2880),
            (
                (
                    "2026-11",
                    "minutes_to_fulfilment_median",
                    "reward_kind",
                    "experience",
                ),
                12900,
            ),
        ],
    );
    assert_eq!(
        v(("total", "stock_left", "reward", "1 Spa day (experience)")),
        Some(3)
    );
    assert_breakdowns_add_up(&r);

    // Before the fulfilment, the same redemption was approved, not fulfilled.
    let early = report(
        &host,
        "/api/v1/reports/points?from=2026-11-01&to=2026-11-30&as_of=2026-11-20T00:00:00Z",
    );
    assert_eq!(
        value(&early, "total", "redemptions", "state", "approved"),
        Some(1)
    );
    assert_eq!(
        value(&early, "total", "outstanding_points", "total", "all"),
        Some(210)
    );
}

#[test]
fn the_collections_report_judges_due_days_in_local_time() {
    let (_app, host) = november();
    let r = report(
        &host,
        &format!("/api/v1/reports/collections?from=2026-11-01&to=2026-11-30&{AS_OF}"),
    );
    let v = |(f, b, k)| value(&r, "total", f, b, k);
    // Paid at 23:59:59 on the due day (Madrid): by due; at 00:00 the next
    // day: late; paid after as_of: unpaid then. Invoice 5 was issued in October.
    expect(
        &v,
        &[
            (("invoices", "total", "all"), 4),
            (("invoices", "outcome", "paid_by_due"), 1),
            (("invoices", "outcome", "paid_late"), 1),
            (("invoices", "outcome", "unpaid"), 2),
        ],
    );
    assert_eq!(
        line(&r, "total", "invoices_paid_by_due", "total", "all")["percent"],
        "25.0"
    );
    for (k, n) in [("kept", 1), ("broken", 1), ("pending", 1)] {
        assert_eq!(v(("commitments", "outcome", k)), Some(n), "{k}");
    }
    expect(
        &v,
        &[
            (("dunning_steps", "action", "remind"), 1),
            (("dunning_steps", "total", "all"), 2),
            (("service_orders", "action", "suspend"), 2),
            (("service_orders", "action", "reconnect"), 1),
            (("disconnections", "total", "all"), 1),
            (("days_to_pay", "days", "0-7"), 1),
            (("days_to_pay", "days", "8-15"), 2),
            (("suspension_cycle_minutes_median", "total", "all"), 120),
            (("suspension_cycle_minutes_p90", "total", "all"), 1440),
            (
                ("suspension_cycle_minutes_median", "delivery", "third_party"),
                1440,
            ),
        ],
    );
    assert_breakdowns_add_up(&r);
}

#[test]
fn reports_answer_csv_with_a_header_row_and_charts_with_their_figures() {
    let (_app, host) = november();
    let path = format!("/api/v1/reports/support?from=2026-11-01&to=2026-11-30&{AS_OF}");
    let j = report(&host, &path);
    for r in [
        call(
            &host,
            Some("staff"),
            "GET",
            &format!("{path}&format=csv"),
            None,
        ),
        call_with(
            &host,
            Some("staff"),
            "GET",
            &path,
            None,
            &[("accept", "text/csv")],
        ),
    ] {
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
        assert!(r
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment; filename=\"support-"));
        let mut rows = r.body.lines();
        assert_eq!(
            rows.next(),
            Some("period,from,to,figure,breakdown,key,unit,value,part,whole,percent")
        );
        assert_eq!(rows.count(), j["lines"].as_array().unwrap().len());
        assert!(r.body.contains("\ntotal,2026-10-31T23:00:00.000Z,2026-11-30T12:00:00.000Z,tickets_opened,total,all,count,5,,,\n"), "{}", r.body);
    }
    // A breakdown keeps its lines and the totals.
    let b = report(&host, &format!("{path}&breakdown=channel"));
    assert!(b["lines"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["breakdown"] == "total" || l["breakdown"] == "channel"));
    assert!(b["definitions"]["tickets_opened"]
        .as_str()
        .unwrap()
        .contains("by channel"));
}

#[test]
fn bad_report_requests_are_named_and_roles_are_checked() {
    let (_app, host) = boot();
    for (query, field) in [
        ("from=2026-11-10&to=2026-11-01", "from"),
        ("period=year", "period"),
        ("by=hour", "by"),
        ("breakdown=colour", "breakdown"),
        ("format=xml", "format"),
        ("from=2026-11-01", "to"),
        ("from=2023-01-01&to=2025-12-31&by=day", "by"),
    ] {
        let r = call(
            &host,
            Some("staff"),
            "GET",
            &format!("/api/v1/reports/support?{query}"),
            None,
        );
        let p = problem(&r, 400, "validation-error");
        assert_eq!(e2e::fields(&p), vec![field], "{query}: {}", r.body);
        if query.ends_with("by=day") {
            assert!(r.body.contains("at most 400 rows"), "{}", r.body);
        }
    }
    let r = call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/reports/summary?period=day",
        None,
    );
    assert_eq!(
        e2e::fields(&problem(&r, 400, "validation-error")),
        vec!["period"]
    );
    for role in ["webform", "chatbot", "scheduler"] {
        let r = call(&host, Some(role), "GET", "/api/v1/reports/programme", None);
        assert_eq!(r.status, 403, "{role}: {}", r.body);
    }
    let r = call(&host, None, "GET", "/api/v1/reports/points", None);
    assert_eq!(r.status, 401);
    // An empty database answers every report, rows and all.
    for name in ["programme", "points", "support", "collections"] {
        for query in ["", "?period=quarter&by=day", "?period=week&format=csv"] {
            let r = call(
                &host,
                Some("customer_success"),
                "GET",
                &format!("/api/v1/reports/{name}{query}"),
                None,
            );
            assert_eq!(r.status, 200, "{name}{query}: {}", r.body);
        }
    }
    for period in ["week", "month", "quarter"] {
        let r = call(
            &host,
            Some("staff"),
            "GET",
            &format!("/api/v1/reports/summary?period={period}"),
            None,
        );
        assert_eq!(r.status, 200, "{period}: {}", r.body);
    }
}

#[test]
fn the_summary_compares_with_the_month_before_and_the_targets() {
    let (_app, host) = november();
    let s = report(
        &host,
        "/api/v1/reports/summary?period=month&as_of=2026-12-01T12:00:00Z",
    );
    assert_eq!(s["period"], "2026-11");
    assert_eq!(
        (s["from"].as_str(), s["to"].as_str()),
        (
            Some("2026-10-31T23:00:00.000Z"),
            Some("2026-11-30T23:00:00.000Z")
        )
    );
    assert_eq!(s["previous_from"], "2026-09-30T22:00:00.000Z");
    let figure = |name: &str| {
        s["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["figure"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name}: {s}"))
    };
    let tickets = figure("tickets_opened");
    assert_eq!(
        (
            tickets["current"].as_i64(),
            tickets["previous"].as_i64(),
            tickets["change"].as_i64()
        ),
        (Some(5), Some(1), Some(4))
    );
    let resolution = figure("resolution_sla");
    assert_eq!(resolution["current"], 500);
    assert_eq!(resolution["target_percent"], 95);
    let alerts: Vec<&str> = s["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        alerts.contains(&"resolution_sla: 50.0% (1 of 2) is below the 95% target"),
        "{alerts:?}"
    );
    assert!(
        alerts.contains(&"invoices_paid_by_due: 25.0% (1 of 4) is below the 90% target"),
        "{alerts:?}"
    );
    assert!(figure("first_response_sla")["alert"].is_null());
    // Targets are programme data: lowered, the alert goes.
    let r = call(
        &host,
        Some("program_manager"),
        "GET",
        "/api/v1/program/reports",
        None,
    );
    let mut program = json(&r)["program"].clone();
    program["targets"]["invoices_paid_by_due_percent"] = 25.into();
    let r = call(
        &host,
        Some("program_manager"),
        "PUT",
        "/api/v1/program/reports",
        Some(&program),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let s = report(
        &host,
        "/api/v1/reports/summary?period=month&as_of=2026-12-01T12:00:00Z",
    );
    assert!(
        !s["alerts"].to_string().contains("invoices_paid_by_due"),
        "{s}"
    );
    program["backlog_age_bands_hours"] = serde_json::json!([]);
    let r = call(
        &host,
        Some("program_manager"),
        "PUT",
        "/api/v1/program/reports",
        Some(&program),
    );
    assert_eq!(
        e2e::fields(&problem(&r, 400, "validation-error")),
        vec!["backlog_age_bands_hours"]
    );
}

#[test]
fn the_weekly_summary_is_queued_once_a_week_from_monday_seven_madrid() {
    let (app, host) = november();
    let run = |at: &str| {
        let r = call(
            &host,
            Some("scheduler"),
            "POST",
            &format!("/api/v1/reports/summary/runs?as_of={at}"),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        json(&r)
    };
    // Monday 30 November 06:59:59 Madrid: still week 47's summary.
    assert_eq!(run("2026-11-30T05:59:59Z")["week"], "2026-W47");
    let first = run("2026-11-30T06:00:00Z");
    assert_eq!(
        (first["week"].as_str(), first["queued"].as_bool()),
        (Some("2026-W48"), Some(true))
    );
    assert_eq!(run("2026-11-30T06:00:00Z")["queued"], false);
    // The cron event an hour later finds it queued.
    app.fire_cron("reports", "2026-11-30T07:00:00Z");
    let db = app.database();
    let notices: Vec<(String, String, String)> = db
        .prepare("SELECT id, customer_id, payload FROM notice_outbox WHERE kind = 'reports.weekly_summary' ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(notices.len(), 2, "{notices:?}");
    let (id, customer, payload) = &notices[1];
    assert_eq!(
        (id.as_str(), customer.as_str()),
        ("reports.weekly_summary:2026-W48", "")
    );
    let payload: Value = serde_json::from_str(payload).unwrap();
    assert_eq!(payload["to"], "program_manager");
    assert_eq!(payload["summary"]["from"], "2026-11-22T23:00:00.000Z");
    // Week 48 (23-29 November): T2's escalation fell due in it.
    assert!(payload["summary"]["figures"]
        .to_string()
        .contains("tickets_opened"));
    // The notices component delivers staff notices like any other.
    let r = call(
        &host,
        Some("scheduler"),
        "POST",
        "/api/v1/notices/runs",
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
}
