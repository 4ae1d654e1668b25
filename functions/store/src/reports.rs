//! Report reads (issue 19): aggregates over the recorded facts (memberships,
//! tier changes, the points ledger, redemptions, tickets and their clock
//! events, invoices, dunning actions, service orders), for one window at a
//! time. Only counts, sums and per-record facts without personal data leave
//! this module; the figures are assembled and classified by the domain
//! (`vip_domain::figures`). Read-only: these statements fire no trigger.
//!
//! Every statement takes the window's bounds and reads nothing recorded
//! after `as_of` where a record can change later (a payment, a reply), so a
//! past period answers the same tomorrow.

use chrono::{DateTime, NaiveDate, Utc};
use vip_domain::figures::{default_program, ReportsProgram};
use vip_domain::reports::Window;
use vip_domain::sla::Pause;
use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::settings::Document;
use vip_kit::Problem;

/// The reports programme: zone, row limit, targets, alerts, the weekly summary.
pub const PROGRAM: Document<ReportsProgram> = Document {
    name: "reports",
    key: "program",
    default: default_program,
    validate: ReportsProgram::validate,
    in_use: None,
};

fn span(w: &Window) -> [Value; 2] {
    [timestamp(w.from), timestamp(w.to)]
}

fn count(row: &Row<'_>) -> Result<i64, Problem> {
    row.int("n")
}

/// (Selected as `tier_then`: `GROUP BY tier` would group by the column
/// `memberships.tier`, the tier held now, not by this expression.)
///
/// A member's tier at the instant `at` (an SQL expression): the last
/// change before it, else the tier the first change after it started
/// from, else the tier held since joining (a change at `at` itself counts
/// when `from_at` says so: a join or a purchase sees the tier it brought).
fn tier_at(at: &str, inclusive: bool) -> String {
    let (before, after) = if inclusive { ("<=", ">") } else { ("<", ">=") };
    format!(
        "COALESCE(
           (SELECT c.to_tier FROM tier_changes c WHERE c.customer_id = m.customer_id AND c.at {before} {at}
             ORDER BY c.at DESC, c.id DESC LIMIT 1),
           (SELECT c.from_tier FROM tier_changes c WHERE c.customer_id = m.customer_id AND c.at {after} {at}
             ORDER BY c.at, c.id LIMIT 1),
           m.tier)"
    )
}

/// A member counts as VIP at `?1` if they joined before it and had
/// neither been erased nor disconnected (a closed retention case) by then.
const MEMBER_AT: &str = "m.joined_at < ?1
    AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.customer_id = m.customer_id AND e.erased_at < ?1)
    AND NOT EXISTS (SELECT 1 FROM retention_cases r WHERE r.customer_id = m.customer_id
                    AND r.status = 'disconnected' AND r.closed_at < ?1)";

/// VIP members by tier at `at`: the members who joined before it by the
/// tier they hold now (an index range), less those who had left by then,
/// with the tier at `at` instead of now for the members whose tier ever
/// changed (the few, not every membership).
pub fn members_by_tier(db: &Db, at: DateTime<Utc>) -> Result<Vec<(String, i64)>, Problem> {
    db.all(
        &format!(
            "WITH {LEFT}, changed AS (
               SELECT m.customer_id, m.tier, {tier_then} AS tier_then
               FROM (SELECT DISTINCT customer_id FROM tier_changes) c
               JOIN memberships m ON m.customer_id = c.customer_id
               LEFT JOIN left_members l ON l.customer_id = c.customer_id
               WHERE m.joined_at < ?1 AND (l.left_at IS NULL OR l.left_at >= ?1))
             SELECT tier_then, SUM(n) AS n FROM (
               SELECT m.tier AS tier_then, COUNT(*) AS n FROM memberships m WHERE m.joined_at < ?1 GROUP BY m.tier
               UNION ALL
               SELECT m.tier, -COUNT(*) FROM left_members l JOIN memberships m ON m.customer_id = l.customer_id
                WHERE m.joined_at < ?1 AND l.left_at < ?1 GROUP BY m.tier
               UNION ALL
               SELECT tier, -COUNT(*) FROM changed GROUP BY tier
               UNION ALL
               SELECT tier_then, COUNT(*) FROM changed GROUP BY tier_then)
             GROUP BY tier_then",
            tier_then = tier_at("?1", false)
        ),
        &[timestamp(at)],
        |r| Ok((r.text("tier_then")?, count(&r)?)),
    )
}

/// Members who joined in `w`, by the tier they joined at.
pub fn joins(db: &Db, w: &Window) -> Result<Vec<(String, i64)>, Problem> {
    db.all(
        &format!(
            "SELECT {} AS tier_then, COUNT(*) AS n FROM memberships m
             WHERE m.joined_at >= ?1 AND m.joined_at < ?2 GROUP BY tier_then",
            tier_at("m.joined_at", true)
        ),
        &span(w),
        |r| Ok((r.text("tier_then")?, count(&r)?)),
    )
}

/// Tier changes in `w`: direction, the tier moved to, how many.
pub fn tier_moves(db: &Db, w: &Window) -> Result<Vec<(String, String, i64)>, Problem> {
    db.all(
        "SELECT direction, to_tier, COUNT(*) AS n FROM tier_changes
         WHERE at >= ?1 AND at < ?2 GROUP BY direction, to_tier",
        &span(w),
        |r| Ok((r.text("direction")?, r.text("to_tier")?, count(&r)?)),
    )
}

/// (Read from the erasures and closed retention cases, which are few, not
/// from every membership.)
///
/// When each member who left stopped being VIP, and how: `erased` (the
/// member's erasure) or `disconnected` (their service ended after
/// retention); a member both erased and disconnected left at the first.
const LEFT: &str = "left_members AS (
    SELECT m.customer_id, m.joined_at, x.how, x.left_at FROM (
      SELECT customer_id, how, left_at, ROW_NUMBER() OVER (PARTITION BY customer_id
        ORDER BY left_at, CASE how WHEN 'erased' THEN 0 ELSE 1 END) AS k FROM (
        SELECT customer_id, 'erased' AS how, erased_at AS left_at FROM erasures
        UNION ALL SELECT customer_id, 'disconnected', closed_at FROM retention_cases
          WHERE status = 'disconnected'
        UNION ALL SELECT customer_id, to_state, at FROM membership_state_changes
          WHERE to_state IN ('exited', 'revoked'))) x
    JOIN memberships m ON m.customer_id = x.customer_id WHERE x.k = 1)";

/// A member who stopped being VIP.
pub struct Left {
    pub joined_at: DateTime<Utc>,
    pub left_at: DateTime<Utc>,
    /// `erased`, `disconnected`, `exited` or `revoked`.
    pub how: String,
    /// The tier held when leaving.
    pub tier: String,
    pub customer: String,
}

/// Every member who left (erasures and disconnections are few), read once
/// per report.
pub fn left_members(db: &Db) -> Result<Vec<Left>, Problem> {
    db.all(
        &format!(
            "WITH {LEFT} SELECT l.customer_id, l.joined_at, l.left_at, l.how, {tier} AS tier_then
             FROM left_members l JOIN memberships m ON m.customer_id = l.customer_id",
            tier = tier_at("l.left_at", true)
        ),
        &[],
        |r| {
            Ok(Left {
                customer: r.text("customer_id")?,
                joined_at: r.time("joined_at")?,
                left_at: r.time("left_at")?,
                how: r.text("how")?,
                tier: r.text("tier_then")?,
            })
        },
    )
}

/// A tier change, with when its member joined.
pub struct Change {
    pub customer: String,
    pub at: DateTime<Utc>,
    pub joined_at: DateTime<Utc>,
    pub from_tier: String,
    pub to_tier: String,
}

/// The tier changes in `w`.
pub fn tier_changes(db: &Db, w: &Window) -> Result<Vec<Change>, Problem> {
    db.all(
        "SELECT c.customer_id, c.at, m.joined_at, c.from_tier, c.to_tier
         FROM tier_changes c JOIN memberships m ON m.customer_id = c.customer_id
         WHERE c.at >= ?1 AND c.at < ?2",
        &span(w),
        |r| {
            Ok(Change {
                customer: r.text("customer_id")?,
                at: r.time("at")?,
                joined_at: r.time("joined_at")?,
                from_tier: r.text("from_tier")?,
                to_tier: r.text("to_tier")?,
            })
        },
    )
}

/// Of the members who joined in `joined`, how many joined and how many are
/// still VIP at `at`.
pub fn cohort(db: &Db, joined: &Window, at: DateTime<Utc>) -> Result<(i64, i64), Problem> {
    let still = MEMBER_AT.replace("?1", "?3");
    db.one(
        &format!(
            "SELECT COUNT(*) AS joined, COALESCE(SUM({still}), 0) AS still FROM memberships m
             WHERE m.joined_at >= ?1 AND m.joined_at < ?2"
        ),
        &[timestamp(joined.from), timestamp(joined.to), timestamp(at)],
        |r| Ok((r.int("joined")?, r.int("still")?)),
    )
    .map(Option::unwrap_or_default)
}

/// Onboarding cases in a window.
#[derive(Debug, Default)]
pub struct Onboarding {
    pub opened: i64,
    pub approved: i64,
    pub rejected: i64,
    /// Approved in the window by their due time.
    pub approved_within_target: i64,
}

/// Cases opened in `w`, and decided in `w` (decisions after `w` ends are
/// not counted; `w` ends at `as_of` at the latest).
pub fn onboarding(db: &Db, w: &Window) -> Result<Onboarding, Problem> {
    db.one(
        "SELECT
           (SELECT COUNT(*) FROM onboarding_cases WHERE opened_at >= ?1 AND opened_at < ?2) AS opened,
           COALESCE(SUM(state = 'approved'), 0) AS approved,
           COALESCE(SUM(state = 'rejected'), 0) AS rejected,
           COALESCE(SUM(state = 'approved' AND decided_at <= due_at), 0) AS within
         FROM onboarding_cases WHERE decided_at >= ?1 AND decided_at < ?2",
        &span(w),
        |r| {
            Ok(Onboarding {
                opened: r.int("opened")?,
                approved: r.int("approved")?,
                rejected: r.int("rejected")?,
                approved_within_target: r.int("within")?,
            })
        },
    )
    .map(Option::unwrap_or_default)
}

/// Follow-through tasks due in `w`, by task: how many, and how many were
/// not completed by their due time.
pub struct Tasks {
    pub key: String,
    pub due: i64,
    pub late: i64,
}

pub fn tasks(db: &Db, w: &Window) -> Result<Vec<Tasks>, Problem> {
    db.all(
        "SELECT key, COUNT(*) AS due, COALESCE(SUM(done_at IS NULL OR done_at > due_at), 0) AS late
         FROM member_tasks WHERE due_at >= ?1 AND due_at < ?2 GROUP BY key",
        &span(w),
        |r| {
            Ok(Tasks {
                key: r.text("key")?,
                due: r.int("due")?,
                late: r.int("late")?,
            })
        },
    )
}

/// Purchases made in `w` by members, by the tier held at the purchase and
/// currency: how many, and the qualifying spend (special prices excluded).
pub struct Purchases {
    pub tier: String,
    pub currency: String,
    pub count: i64,
    pub qualifying_minor: i64,
}

pub fn purchases(db: &Db, w: &Window) -> Result<Vec<Purchases>, Problem> {
    db.all(
        &format!(
            "SELECT {} AS tier_then, p.currency, COUNT(*) AS n,
                    COALESCE(SUM(CASE WHEN p.special_price = 0 THEN p.amount_minor ELSE 0 END), 0) AS spend
             FROM purchases p JOIN memberships m ON m.customer_id = p.customer_id
             WHERE p.at >= ?1 AND p.at < ?2 AND m.joined_at <= p.at
             GROUP BY tier_then, p.currency",
            tier_at("p.at", true)
        ),
        &span(w),
        |r| {
            Ok(Purchases {
                tier: r.text("tier_then")?,
                currency: r.text("currency")?,
                count: count(&r)?,
                qualifying_minor: r.int("spend")?,
            })
        },
    )
}

/// The points ledger's moves in a window, in points.
#[derive(Debug, Default)]
pub struct LedgerMoves {
    pub earned: i64,
    /// Net staff adjustments.
    pub adjusted: i64,
    /// Committed at approval, less what cancellations after approval gave back.
    pub redeemed: i64,
    pub expired: i64,
    /// The change in points held (available and reserved) over the window.
    pub net: i64,
}

pub fn ledger_moves(db: &Db, w: &Window) -> Result<LedgerMoves, Problem> {
    db.one(
        "SELECT
           COALESCE(SUM(CASE WHEN kind = 'earn' THEN points END), 0) AS earned,
           COALESCE(SUM(CASE WHEN kind = 'adjust' THEN points END), 0) AS adjusted,
           COALESCE(-SUM(CASE WHEN kind = 'commit' THEN held END), 0)
             - COALESCE(SUM(CASE WHEN kind = 'release' AND held = 0 THEN points END), 0) AS redeemed,
           COALESCE(-SUM(CASE WHEN kind = 'expire' THEN points END), 0) AS expired,
           COALESCE(SUM(points + held), 0) AS net
         FROM points_ledger WHERE at >= ?1 AND at < ?2",
        &span(w),
        |r| {
            Ok(LedgerMoves {
                earned: r.int("earned")?,
                adjusted: r.int("adjusted")?,
                redeemed: r.int("redeemed")?,
                expired: r.int("expired")?,
                net: r.int("net")?,
            })
        },
    )
    .map(Option::unwrap_or_default)
}

/// Points members hold at `at` (available and reserved): the programme's
/// liability.
pub fn outstanding(db: &Db, at: DateTime<Utc>) -> Result<i64, Problem> {
    db.one(
        "SELECT COALESCE(SUM(points + held), 0) AS n FROM points_ledger WHERE at < ?1",
        &[timestamp(at)],
        |r| count(&r),
    )
    .map(Option::unwrap_or_default)
}

/// A redemption requested in a window, without who asked.
pub struct Redemption {
    pub kind: String,
    pub approval: String,
    /// Its state now (`rejected`, `cancelled` are read from it).
    pub state: String,
    pub requested_at: DateTime<Utc>,
    pub review_due_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub fulfil_by: Option<DateTime<Utc>>,
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// When its last move was made.
    pub updated_at: DateTime<Utc>,
}

pub fn redemptions(db: &Db, w: &Window) -> Result<Vec<Redemption>, Problem> {
    db.all(
        "SELECT COALESCE(json_extract(w.spec, '$.kind'), 'unknown') AS kind, r.approval, r.state,
                r.requested_at, r.review_due_at, r.decided_at, r.fulfil_by, r.fulfilled_at, r.updated_at
         FROM redemptions r JOIN rewards w ON w.id = r.reward_id
         WHERE r.requested_at >= ?1 AND r.requested_at < ?2",
        &span(w),
        |r| {
            Ok(Redemption {
                kind: r.text("kind")?,
                approval: r.text("approval")?,
                state: r.text("state")?,
                requested_at: r.time("requested_at")?,
                review_due_at: r.time("review_due_at")?,
                decided_at: r.opt_time("decided_at")?,
                fulfil_by: r.opt_time("fulfil_by")?,
                fulfilled_at: r.opt_time("fulfilled_at")?,
                updated_at: r.time("updated_at")?,
            })
        },
    )
}

/// A limited reward running low (now; stock is not kept as history).
pub struct LowStock {
    pub reward_id: i64,
    pub name: String,
    pub kind: String,
    pub stock_left: i64,
}

pub fn low_stock(db: &Db, units: u32) -> Result<Vec<LowStock>, Problem> {
    db.all(
        "SELECT id, COALESCE(json_extract(spec, '$.name'), '') AS name,
                COALESCE(json_extract(spec, '$.kind'), 'unknown') AS kind, stock_left
         FROM rewards WHERE stock_left IS NOT NULL AND stock_left <= ? ORDER BY stock_left, id",
        &[Value::Integer(i64::from(units))],
        |r| {
            Ok(LowStock {
                reward_id: r.int("id")?,
                name: r.text("name")?,
                kind: r.text("kind")?,
                stock_left: r.int("stock_left")?,
            })
        },
    )
}

/// What a report needs of a ticket opened in a window (no customer, no text).
pub struct Ticket {
    pub priority: String,
    pub plan: String,
    pub team: String,
    pub calendar_id: String,
    pub natural_time: bool,
    pub opened_at: DateTime<Utc>,
    pub first_response_due: Option<DateTime<Utc>>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub resolution_due: Option<DateTime<Utc>>,
    /// The first time it was resolved (a reopen does not erase it).
    pub resolved_at: Option<DateTime<Utc>>,
    pub first_response_breach_at: Option<DateTime<Utc>>,
    pub resolution_breach_at: Option<DateTime<Utc>>,
    pub reopened_at: Option<DateTime<Utc>>,
    pub pauses: Vec<Pause>,
}

pub fn tickets_opened(db: &Db, w: &Window) -> Result<Vec<Ticket>, Problem> {
    let mut tickets: Vec<(i64, Ticket)> = db.all(
        "SELECT t.id, t.sla_priority, t.support_plan, t.calendar_id, t.natural_time,
                t.opened_at, t.first_response_due, t.first_responded_at, t.resolution_due,
                COALESCE(a.team, 'unassigned') AS team,
                COALESCE((SELECT MIN(m.at) FROM ticket_messages m WHERE m.ticket_id = t.id
                          AND json_extract(m.moved, '$.to') = 'resolved'), t.resolved_at) AS resolved_at,
                (SELECT MIN(e.due_at) FROM ticket_clock_events e WHERE e.ticket_id = t.id
                  AND e.kind = 'first_response.breach') AS first_response_breach_at,
                (SELECT MIN(e.due_at) FROM ticket_clock_events e WHERE e.ticket_id = t.id
                  AND e.kind = 'resolution.breach') AS resolution_breach_at,
                (SELECT MIN(m.at) FROM ticket_messages m WHERE m.ticket_id = t.id
                  AND json_extract(m.moved, '$.event') = 'reopen') AS reopened_at
         FROM tickets t LEFT JOIN ticket_assignments a ON a.ticket_id = t.id
         WHERE t.opened_at >= ?1 AND t.opened_at < ?2 ORDER BY t.id",
        &span(w),
        |r| {
            Ok((
                r.int("id")?,
                Ticket {
                    priority: r.text("sla_priority")?,
                    plan: r.text("support_plan")?,
                    team: r.text("team")?,
                    calendar_id: r.text("calendar_id")?,
                    natural_time: r.flag("natural_time")?,
                    opened_at: r.time("opened_at")?,
                    first_response_due: r.opt_time("first_response_due")?,
                    first_responded_at: r.opt_time("first_responded_at")?,
                    resolution_due: r.opt_time("resolution_due")?,
                    resolved_at: r.opt_time("resolved_at")?,
                    first_response_breach_at: r.opt_time("first_response_breach_at")?,
                    resolution_breach_at: r.opt_time("resolution_breach_at")?,
                    reopened_at: r.opt_time("reopened_at")?,
                    pauses: Vec::new(),
                },
            ))
        },
    )?;
    let pauses = db.all(
        "SELECT p.ticket_id, p.from_at, p.to_at FROM ticket_pauses p JOIN tickets t ON t.id = p.ticket_id
         WHERE t.opened_at >= ?1 AND t.opened_at < ?2 ORDER BY p.ticket_id, p.from_at",
        &span(w),
        |r| {
            Ok((
                r.int("ticket_id")?,
                Pause {
                    from: r.time("from_at")?,
                    to: r.opt_time("to_at")?,
                },
            ))
        },
    )?;
    for (id, pause) in pauses {
        if let Ok(i) = tickets.binary_search_by_key(&id, |(t, _)| *t) {
            if let Some((_, t)) = tickets.get_mut(i) {
                t.pauses.push(pause);
            }
        }
    }
    Ok(tickets.into_iter().map(|(_, t)| t).collect())
}

/// Tickets opened in `w` by channel, kind, SLA priority, plan and team
/// (`unassigned` if none): the counts alone, grouped in SQL.
pub fn tickets_opened_counts(db: &Db, w: &Window) -> Result<Vec<(Vec<String>, i64)>, Problem> {
    db.all(
        "SELECT t.channel, t.kind, t.sla_priority, t.support_plan, COALESCE(a.team, 'unassigned') AS team,
                COUNT(*) AS n
         FROM tickets t LEFT JOIN ticket_assignments a ON a.ticket_id = t.id
         WHERE t.opened_at >= ?1 AND t.opened_at < ?2
         GROUP BY t.channel, t.kind, t.sla_priority, t.support_plan, team",
        &span(w),
        |r| {
            Ok((
                vec![
                    r.text("channel")?,
                    r.text("kind")?,
                    r.text("sla_priority")?,
                    r.text("support_plan")?,
                    r.text("team")?,
                ],
                count(&r)?,
            ))
        },
    )
}

/// Tickets open at `at` (opened before it, not resolved by it): how many in
/// all, and how many of them were opened after each cutoff (cutoffs in
/// descending order, newest first). The total is the tickets opened before
/// `at` less those resolved before it (two index ranges); the bands read
/// only the tickets opened after the oldest cutoff.
pub fn backlog(
    db: &Db,
    at: DateTime<Utc>,
    cutoffs: &[DateTime<Utc>],
) -> Result<(i64, Vec<i64>), Problem> {
    let total = db
        .one(
            "SELECT (SELECT COUNT(*) FROM tickets WHERE opened_at < ?1)
                  - (SELECT COUNT(*) FROM tickets WHERE resolved_at < ?1) AS n",
            &[timestamp(at)],
            |r| count(&r),
        )?
        .unwrap_or_default();
    let Some(oldest) = cutoffs.last() else {
        return Ok((total, Vec::new()));
    };
    let sums: String = (0..cutoffs.len())
        .map(|i| format!("COALESCE(SUM(opened_at > ?{}), 0) AS c{i},", i + 3))
        .collect();
    let mut params = vec![timestamp(at), timestamp(*oldest)];
    params.extend(cutoffs.iter().map(|c| timestamp(*c)));
    let newer = db
        .one(
            &format!(
                "SELECT {sums} 0 AS unused FROM tickets
                 WHERE opened_at > ?2 AND opened_at < ?1 AND (resolved_at IS NULL OR resolved_at >= ?1)"
            ),
            &params,
            |r| {
                (0..cutoffs.len())
                    .map(|i| r.int(&format!("c{i}")))
                    .collect::<Result<Vec<_>, _>>()
            },
        )?
        .unwrap_or_default();
    Ok((total, newer))
}

/// Clock events that fell due in `w`, by kind (`follow_up.2`,
/// `resolution.breach`, …), and how many of them escalated a ticket.
pub fn clock_events(db: &Db, w: &Window) -> Result<Vec<(String, bool, i64)>, Problem> {
    db.all(
        "SELECT kind, moves_to = 'escalated' AS escalates, COUNT(*) AS n FROM ticket_clock_events
         WHERE due_at >= ?1 AND due_at < ?2 GROUP BY kind, escalates",
        &span(w),
        |r| {
            Ok((
                r.text("kind")?,
                r.opt_int("escalates")? == Some(1),
                count(&r)?,
            ))
        },
    )
}

/// Tickets escalated in `w` by a team member or at intake (complaints).
pub fn escalations_by_people(db: &Db, w: &Window) -> Result<i64, Problem> {
    db.one(
        "SELECT
           (SELECT COUNT(*) FROM ticket_messages WHERE moved IS NOT NULL AND at >= ?1 AND at < ?2
             AND json_extract(moved, '$.event') = 'escalate')
         + (SELECT COUNT(*) FROM tickets t WHERE t.opened_at >= ?1 AND t.opened_at < ?2 AND t.complaint = 1)
           AS n",
        &span(w),
        |r| count(&r),
    )
    .map(Option::unwrap_or_default)
}

/// Invoices issued in `w` with one due day, and how each stood at `as_of`.
pub struct InvoiceOutcomes {
    pub due_on: NaiveDate,
    pub issued: i64,
    pub paid_by_due: i64,
    pub paid_late: i64,
    pub unpaid: i64,
}

/// Invoices issued in `w`, per due day; `end_of_due_day` gives the instant
/// a due day ends (programme zone), `as_of` hides later payments.
pub fn invoices(
    db: &Db,
    w: &Window,
    as_of: DateTime<Utc>,
    end_of_due_day: impl Fn(NaiveDate) -> DateTime<Utc>,
) -> Result<Vec<InvoiceOutcomes>, Problem> {
    let due_days = db.all(
        "SELECT DISTINCT due_on FROM invoices WHERE issued_at >= ?1 AND issued_at < ?2 ORDER BY due_on",
        &span(w),
        |r| {
            let text = r.text("due_on")?;
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map_err(|e| Problem::internal(format!("stored due day {text}: {e}")))
        },
    )?;
    due_days
        .into_iter()
        .map(|due_on| {
            db.one(
                "SELECT COUNT(*) AS n,
                   COALESCE(SUM(paid_at IS NOT NULL AND paid_at <= ?4 AND paid_at < ?5), 0) AS by_due,
                   COALESCE(SUM(paid_at IS NOT NULL AND paid_at <= ?4 AND paid_at >= ?5), 0) AS late
                 FROM invoices WHERE issued_at >= ?1 AND issued_at < ?2 AND due_on = ?3",
                &[
                    timestamp(w.from),
                    timestamp(w.to),
                    Value::Text(due_on.to_string()),
                    timestamp(as_of),
                    timestamp(end_of_due_day(due_on)),
                ],
                |r| {
                    let issued = count(&r)?;
                    let (by_due, late) = (r.int("by_due")?, r.int("late")?);
                    Ok(InvoiceOutcomes {
                        due_on,
                        issued,
                        paid_by_due: by_due,
                        paid_late: late,
                        unpaid: issued - by_due - late,
                    })
                },
            )?
            .ok_or_else(|| Problem::internal("an aggregate returned no row"))
        })
        .collect()
}

/// Whole days (24 h) from issue to payment in full, for invoices paid in
/// `w`, by days.
pub fn days_to_pay(db: &Db, w: &Window) -> Result<Vec<(i64, i64)>, Problem> {
    db.all(
        "SELECT CAST(julianday(paid_at) - julianday(issued_at) AS INTEGER) AS days, COUNT(*) AS n
         FROM invoices WHERE paid_at >= ?1 AND paid_at < ?2 GROUP BY days ORDER BY days",
        &span(w),
        |r| Ok((r.int("days")?, count(&r)?)),
    )
}

/// A payment commitment made in a window: by when, and when (if ever, up
/// to now) its invoice was paid in full.
pub struct Commitment {
    pub pay_by: NaiveDate,
    pub paid_at: Option<DateTime<Utc>>,
}

pub fn commitments(db: &Db, w: &Window) -> Result<Vec<Commitment>, Problem> {
    db.all(
        "SELECT c.pay_by, i.paid_at FROM payment_commitments c JOIN invoices i ON i.id = c.invoice_id
         WHERE c.made_at >= ?1 AND c.made_at < ?2",
        &span(w),
        |r| {
            let text = r.text("pay_by")?;
            Ok(Commitment {
                pay_by: NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map_err(|e| Problem::internal(format!("stored pay-by day {text}: {e}")))?,
                paid_at: r.opt_time("paid_at")?,
            })
        },
    )
}

/// Dunning steps that fell due on local days `first..=last`, by action
/// (`remind`, `suspension_notice`, `suspend`, `pickup`), recorded by `as_of`.
pub fn dunning_steps(
    db: &Db,
    first: NaiveDate,
    last: NaiveDate,
    as_of: DateTime<Utc>,
) -> Result<Vec<(String, i64)>, Problem> {
    db.all(
        "SELECT action, COUNT(*) AS n FROM dunning_actions
         WHERE due_on >= ?1 AND due_on <= ?2 AND recorded_at <= ?3 GROUP BY action",
        &[
            Value::Text(first.to_string()),
            Value::Text(last.to_string()),
            timestamp(as_of),
        ],
        |r| Ok((r.text("action")?, count(&r)?)),
    )
}

/// Service orders opened in `w`, by action (`suspend`, `reconnect`, …).
pub fn orders_opened(db: &Db, w: &Window) -> Result<Vec<(String, i64)>, Problem> {
    db.all(
        "SELECT action, COUNT(*) AS n FROM service_orders WHERE opened_at >= ?1 AND opened_at < ?2 GROUP BY action",
        &span(w),
        |r| Ok((r.text("action")?, count(&r)?)),
    )
}

/// Customers whose service ended (retention case closed as disconnected) in `w`.
pub fn disconnections(db: &Db, w: &Window) -> Result<i64, Problem> {
    db.one(
        "SELECT COUNT(*) AS n FROM retention_cases
         WHERE status = 'disconnected' AND closed_at >= ?1 AND closed_at < ?2",
        &span(w),
        |r| count(&r),
    )
    .map(Option::unwrap_or_default)
}

/// A suspension order's path and times.
pub struct Cycle {
    /// `direct` or `third_party`.
    pub delivery: String,
    pub opened_at: DateTime<Utc>,
    pub confirmed_at: DateTime<Utc>,
}

/// Suspension orders confirmed in `w`.
pub fn suspension_cycles(db: &Db, w: &Window) -> Result<Vec<Cycle>, Problem> {
    db.all(
        "SELECT delivery, opened_at, closed_at FROM service_orders
         WHERE action = 'suspend' AND closed_at >= ?1 AND closed_at < ?2",
        &span(w),
        |r| {
            Ok(Cycle {
                delivery: r.text("delivery")?,
                opened_at: r.time("opened_at")?,
                confirmed_at: r.time("closed_at")?,
            })
        },
    )
}
