//! The SLA sweep (docs/domain.md §4 clock rules; 002 §9.8, §10.1): which clock
//! events a ticket has due by a moment, whom each one notifies, and which
//! ones move the ticket. The `sla-clock` component records each event once
//! per ticket and key, so re-runs write nothing and a run after downtime
//! catches up in order.
//!
//! Events are computed from the ticket as it stands. Warnings and breaches
//! of a clock met late are still recorded (dated when they fell due), since
//! they are SLA facts; follow-ups and reminders belong to one silence or one
//! wait, so a team answer or a customer reply during downtime makes the
//! pending ones moot and they are not sent late.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::calendar::{Clock, Schedule};
use crate::levels::Level;
use crate::sla::SlaClock;
use crate::tickets::{transition, TicketEvent, TicketState, TicketsProgram};

/// One SLA clock of a ticket and when it was met, if it was.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub clock: SlaClock,
    pub met_at: Option<DateTime<Utc>>,
}

/// Who an event's notice is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The team the ticket is routed to.
    Team,
    /// That team's lead: a target was missed.
    TeamLead,
    /// After the last follow-up without an answer (002 §10.1).
    HeadOfDepartment,
    /// The customer: a reminder, or the close of a ticket left unanswered.
    Customer,
    /// The owner of the support level a ticket climbs to.
    LevelOwner(String),
}

impl Recipient {
    pub fn as_str(&self) -> &str {
        match self {
            Recipient::Team => "team",
            Recipient::TeamLead => "team_lead",
            Recipient::HeadOfDepartment => "head_of_department",
            Recipient::Customer => "customer",
            Recipient::LevelOwner(owner) => owner,
        }
    }
}

/// A clock event the sweep records, once per ticket and key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepEvent {
    /// `first_response.warning`, `resolution.breach`, `follow_up.2`,
    /// `escalation.head_of_department`, `reminder`, `auto_close`.
    pub kind: String,
    /// Unique per ticket: the kind, plus the moment its count started for
    /// events that start again (follow-ups after each team answer, reminders
    /// after each wait), so a re-run or a catch-up never records one twice.
    pub key: String,
    pub at: DateTime<Utc>,
    pub notify: Recipient,
    /// The state the event moves the ticket to (escalation, automatic close).
    pub moves_to: Option<TicketState>,
    /// Why, in words, for the audit trail and the notice.
    pub reason: String,
}

/// A ticket's clocks as the sweep sees them.
#[derive(Debug, Clone)]
pub struct Sweepable {
    pub state: TicketState,
    pub first_response: Tracked,
    pub resolution: Tracked,
    /// The team's last answer (or the intake).
    pub last_team_feedback: DateTime<Utc>,
    /// Since when the ticket waits on the customer, if it does.
    pub pending_since: Option<DateTime<Utc>>,
    /// The support level it started at.
    pub start_level: Level,
    /// It came in through the emergency line (000 §5.2).
    pub emergency: bool,
    /// The open wait on an outside provider, if any (002 §9.5).
    pub provider_wait: Option<ProviderWait>,
}

/// A wait on an outside provider: who, since when, and the time they
/// committed to answer by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderWait {
    pub provider: String,
    pub since: DateTime<Utc>,
    pub committed_at: DateTime<Utc>,
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%S").to_string()
}

/// The satisfaction survey owed after the resolution at `resolved` (003).
fn survey(key: String, at: DateTime<Utc>, resolved: DateTime<Utc>) -> SweepEvent {
    SweepEvent {
        kind: key.clone(),
        key,
        at,
        notify: Recipient::Customer,
        moves_to: None,
        reason: format!(
            "resolved {}: how did we do? (satisfaction, recommendation, effort)",
            resolved.format("%Y-%m-%d %H:%M UTC")
        ),
    }
}

/// The clock events due by `as_of` and not yet recorded, in time order, up
/// to and including the first one that moves the ticket: what follows a move
/// depends on it, so the sweep computes it again from the moved ticket.
/// `clock` runs the SLA targets (business or natural); follow-ups,
/// reminders and the automatic close count business time on `business`.
/// `recorded` says which keys the ticket has already: those count as due
/// (what follows them is still computed) without computing their instants,
/// so the every-minute sweep of a settled ticket walks no calendar.
pub fn due_events(
    program: &TicketsProgram,
    t: &Sweepable,
    clock: &Clock<'_>,
    business: &Schedule,
    as_of: DateTime<Utc>,
    recorded: &dyn Fn(&str) -> bool,
) -> Vec<SweepEvent> {
    let (rules, levels) = (&program.clock_rules, &program.levels);
    let business_day_hours = program.targets.business_day_hours;
    let mut out: Vec<SweepEvent> = Vec::new();
    // An event by key: already recorded counts as due; otherwise its instant
    // is computed and, when due, the event (its reason) is built.
    let mut push = |key: String,
                    at: &dyn Fn() -> Option<DateTime<Utc>>,
                    event: &dyn Fn(String, DateTime<Utc>) -> SweepEvent|
     -> bool {
        if recorded(&key) {
            return true;
        }
        match at().filter(|at| *at <= as_of) {
            Some(at) => {
                out.push(event(key, at));
                true
            }
            None => false,
        }
    };
    // The survey after a resolution; a closed ticket owes nothing else.
    if let Some(resolved) = t
        .resolution
        .met_at
        .filter(|_| matches!(t.state, TicketState::Resolved | TicketState::Closed))
    {
        push(
            "survey".into(),
            &|| Some(resolved + Duration::hours(i64::from(program.surveys.delay_hours))),
            &|key, at| survey(key, at, resolved),
        );
    }
    if t.state == TicketState::Closed {
        return out;
    }
    for (name, tracked) in [
        ("first_response", &t.first_response),
        ("resolution", &t.resolution),
    ] {
        let c = &tracked.clock;
        let before_met =
            |at: Option<DateTime<Utc>>| at.filter(|at| tracked.met_at.is_none_or(|met| *at < met));
        let target = c.target.num_minutes();
        let warned = push(
            format!("{name}.warning"),
            &|| before_met(c.reaches(clock, rules.warning_percent)),
            &|key, at| SweepEvent {
                kind: key.clone(),
                key,
                at,
                notify: Recipient::Team,
                moves_to: None,
                reason: format!(
                    "{}% of the {target}-minute {name} target used",
                    rules.warning_percent
                ),
            },
        );
        // The breach comes after the warning: not due if the warning is not.
        let breached = warned
            && push(
                format!("{name}.breach"),
                &|| before_met(c.due(clock)),
                &|key, at| SweepEvent {
                    kind: key.clone(),
                    key,
                    at,
                    notify: Recipient::TeamLead,
                    moves_to: None,
                    reason: format!("the {target}-minute {name} target was missed"),
                },
            );
        // The customer is told once, with a new estimate (002 §9.7), unless
        // the clock has been met since (a catch-up does not send it late).
        if breached && tracked.met_at.is_none() {
            push(
                format!("{name}.breach_notice"),
                &|| c.due(clock),
                &|key, at| SweepEvent {
                    kind: key.clone(),
                    key,
                    at,
                    notify: Recipient::Customer,
                    moves_to: None,
                    reason: match c.reaches(clock, 100 + rules.breach_estimate_percent) {
                        Some(e) => format!(
                            "we missed the {name} target; our new estimate is {}",
                            e.format("%Y-%m-%d %H:%M UTC")
                        ),
                        None => format!("we missed the {name} target; we will send a new estimate"),
                    },
                },
            );
        }
    }
    // A provider past the time they committed to: the team chases them, once per wait.
    if let Some(wait) = &t.provider_wait {
        push(
            format!("provider.chase@{}", stamp(wait.since)),
            &|| Some(wait.committed_at),
            &|key, at| SweepEvent {
                kind: "provider.chase".into(),
                key,
                at,
                notify: Recipient::Team,
                moves_to: None,
                reason: format!(
                    "{} committed to answer by {}: chase them",
                    wait.provider,
                    wait.committed_at.format("%Y-%m-%d %H:%M UTC")
                ),
            },
        );
    }
    // The emergency line goes to the programme manager at once.
    if t.emergency {
        push(
            "emergency".into(),
            &|| Some(t.first_response.clock.started),
            &|key, at| SweepEvent {
                kind: key.clone(),
                key,
                at,
                notify: Recipient::LevelOwner(levels.beyond_l3.clone()),
                moves_to: None,
                reason: format!(
                    "a call to the emergency line goes to {} at once",
                    levels.beyond_l3
                ),
            },
        );
    }
    // Support levels: unresolved for a level's window (on the resolution
    // clock, so waits on the customer do not count), the ticket climbs.
    let natural = matches!(clock, Clock::Natural);
    let resolution = &t.resolution;
    let mut window = Duration::zero();
    let mut level = Some(t.start_level);
    while let Some(at_level) = level {
        let rule = levels.rule(at_level);
        window += rule.escalate_after.duration(natural, business_day_hours);
        let next = at_level.next();
        let (key, owner) = match next {
            Some(n) => (format!("level.{n}"), &levels.rule(n).owner),
            None => ("level.beyond".to_string(), &levels.beyond_l3),
        };
        let reason = || match next {
            Some(n) => format!(
                "unresolved after {} at {at_level}: now {n}, owned by {owner}, to answer within {}",
                rule.escalate_after,
                levels.rule(n).respond
            ),
            None => format!(
                "unresolved after {} at {at_level}: to {owner}",
                rule.escalate_after
            ),
        };
        let climbed = push(
            key,
            &|| {
                SlaClock {
                    target: window,
                    ..resolution.clock.clone()
                }
                .due(clock)
                .filter(|at| resolution.met_at.is_none_or(|met| *at < met))
            },
            &|key, at| SweepEvent {
                kind: key.clone(),
                key,
                at,
                notify: Recipient::LevelOwner(owner.clone()),
                moves_to: None,
                reason: reason(),
            },
        );
        if !climbed {
            break;
        }
        level = next;
    }
    if t.state.clocks_run() {
        let step = Duration::hours(i64::from(rules.follow_up_business_hours));
        let since = stamp(t.last_team_feedback);
        let silence = |k: u32| {
            format!(
                "{} business hours without feedback from the team since {}",
                u64::from(rules.follow_up_business_hours) * u64::from(k),
                t.last_team_feedback.format("%Y-%m-%d %H:%M UTC")
            )
        };
        let follow_up_at = |k: u32| {
            business.add_business(
                t.last_team_feedback,
                step * i32::try_from(k).unwrap_or(i32::MAX),
            )
        };
        for k in 1..=rules.escalate_after_follow_ups {
            let due = push(
                format!("follow_up.{k}@{since}"),
                &|| follow_up_at(k),
                &|key, at| SweepEvent {
                    kind: format!("follow_up.{k}"),
                    key,
                    at,
                    notify: Recipient::Team,
                    moves_to: None,
                    reason: silence(k),
                },
            );
            // Each follow-up comes after the one before.
            if !due {
                break;
            }
            if k == rules.escalate_after_follow_ups {
                push(
                    format!("escalation.head_of_department@{since}"),
                    &|| follow_up_at(k),
                    &|key, at| SweepEvent {
                        kind: "escalation.head_of_department".into(),
                        key,
                        at,
                        notify: Recipient::HeadOfDepartment,
                        moves_to: transition(t.state, TicketEvent::Escalate, false).ok(),
                        reason: format!("follow-up {k} is due: {}", silence(k)),
                    },
                );
            }
        }
    }
    if let (TicketState::PendingCustomer, Some(since)) = (t.state, t.pending_since) {
        let day = Duration::hours(i64::from(business_day_hours));
        let days = |n: u32| day * i32::try_from(n).unwrap_or(i32::MAX);
        let waiting = |n: u32| {
            format!(
                "waiting on the customer for {n} business days since {}",
                since.format("%Y-%m-%d %H:%M UTC")
            )
        };
        let reminded = push(
            format!("reminder@{}", stamp(since)),
            &|| business.add_business(since, days(rules.reminder_business_days)),
            &|key, at| SweepEvent {
                kind: "reminder".into(),
                key,
                at,
                notify: Recipient::Customer,
                moves_to: None,
                reason: waiting(rules.reminder_business_days),
            },
        );
        if reminded {
            push(
                format!("auto_close@{}", stamp(since)),
                &|| business.add_business(since, days(rules.auto_close_business_days)),
                &|key, at| SweepEvent {
                    kind: "auto_close".into(),
                    key,
                    at,
                    notify: Recipient::Customer,
                    moves_to: Some(TicketState::Closed),
                    reason: waiting(rules.auto_close_business_days),
                },
            );
        }
    }
    // Stable: simultaneous events keep their order (the 4th follow-up before its escalation).
    out.sort_by_key(|e| e.at);
    if let Some(first_move) = out.iter().position(|e| e.moves_to.is_some()) {
        out.truncate(first_move + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use crate::sla::Pause;
    use crate::tickets::{default_clock_rules, default_tickets_program, ClockRules};

    /// The sweep's events without the support-level climbs (tested on their own).
    fn sweep_without_levels(
        rules: &ClockRules,
        t: &Sweepable,
        clock: &Clock<'_>,
        business: &Schedule,
        business_day_hours: u32,
        as_of: DateTime<Utc>,
    ) -> Vec<SweepEvent> {
        assert_eq!(
            business_day_hours, 9,
            "the default programme's business day"
        );
        let program = TicketsProgram {
            clock_rules: *rules,
            ..default_tickets_program()
        };
        due_events(&program, t, clock, business, as_of, &|_| false)
            .into_iter()
            .filter(|e| !e.kind.starts_with("level."))
            .collect()
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn tracked(started: DateTime<Utc>, hours: i64, pauses: Vec<Pause>) -> Tracked {
        Tracked {
            clock: SlaClock {
                started,
                pauses,
                target: Duration::hours(hours),
            },
            met_at: None,
        }
    }

    #[test]
    fn silence_brings_four_follow_ups_then_escalation_and_the_sweep_stops_at_the_move() {
        let cal = Calendar::default_business().compile();
        let clock = Clock::Business(&cal);
        let rules = default_clock_rules();
        // Opened Monday 23 Nov 2026, 09:00 Madrid; medium × gold: 4 h / 5 days.
        let opened = t("2026-11-23T08:00:00Z");
        let ticket = Sweepable {
            state: TicketState::New,
            first_response: tracked(opened, 4, vec![]),
            resolution: tracked(opened, 45, vec![]),
            last_team_feedback: opened,
            pending_since: None,
            start_level: Level::L1,
            emergency: false,
            provider_wait: None,
        };
        let events = |as_of: &str| sweep_without_levels(&rules, &ticket, &clock, &cal, 9, t(as_of));
        let kinds =
            |as_of: &str| -> Vec<String> { events(as_of).into_iter().map(|e| e.kind).collect() };
        assert!(kinds("2026-11-23T10:00:00Z").is_empty());
        assert_eq!(kinds("2026-11-23T11:00:00Z"), ["first_response.warning"]);
        let two = events("2026-11-23T12:00:00Z");
        assert_eq!(two[1].kind, "first_response.breach");
        assert_eq!(two[1].notify, Recipient::TeamLead);
        assert_eq!(
            two[1].reason,
            "the 240-minute first_response target was missed"
        );
        // The customer is told too, once, with a new estimate: 150 % of the
        // 4 h target (6 business hours from 09:00) is 15:00 Madrid.
        assert_eq!(
            (two[2].kind.as_str(), two[2].notify.clone(), two[2].at),
            (
                "first_response.breach_notice",
                Recipient::Customer,
                t("2026-11-23T12:00:00Z")
            )
        );
        assert_eq!(
            two[2].reason,
            "we missed the first_response target; our new estimate is 2026-11-23 14:00 UTC"
        );
        // 48 business hours (44 by Friday 17:00, then 4 more): Monday 30 Nov, 12:00 Madrid.
        let follow_up = events("2026-11-30T11:00:00Z").pop().unwrap();
        assert_eq!(
            (follow_up.kind.as_str(), follow_up.at),
            ("follow_up.1", t("2026-11-30T11:00:00Z"))
        );
        assert_eq!(follow_up.key, "follow_up.1@20261123T080000");
        let all = events("2027-01-31T00:00:00Z");
        let last = all.last().unwrap();
        // The escalation moves the ticket, so nothing after it is computed yet.
        assert_eq!(last.kind, "escalation.head_of_department");
        assert_eq!(last.moves_to, Some(TicketState::Escalated));
        assert_eq!(last.notify, Recipient::HeadOfDepartment);
        let fourth = &all[all.len() - 2];
        assert_eq!((fourth.kind.as_str(), fourth.at), ("follow_up.4", last.at));
        assert_eq!(
            all.iter()
                .filter(|e| e.kind.starts_with("follow_up"))
                .count(),
            4
        );
        // Once escalated, the same silence brings no second escalation move.
        let escalated = Sweepable {
            state: TicketState::Escalated,
            ..ticket.clone()
        };
        let after = sweep_without_levels(
            &rules,
            &escalated,
            &clock,
            &cal,
            9,
            t("2027-01-31T00:00:00Z"),
        );
        assert!(after.iter().all(|e| e.moves_to.is_none()));
        assert!(after.iter().any(|e| e.kind == "resolution.breach"));
    }

    #[test]
    fn a_clock_met_late_keeps_its_breach_and_one_met_in_time_has_none() {
        let cal = Calendar::default_business().compile();
        let clock = Clock::Business(&cal);
        let opened = t("2026-11-23T08:00:00Z");
        let mut ticket = Sweepable {
            state: TicketState::Open,
            first_response: tracked(opened, 4, vec![]),
            resolution: tracked(opened, 45, vec![]),
            last_team_feedback: t("2026-11-23T13:00:00Z"),
            pending_since: None,
            start_level: Level::L1,
            emergency: false,
            provider_wait: None,
        };
        ticket.first_response.met_at = Some(t("2026-11-23T13:00:00Z"));
        let kinds = |t_: &Sweepable| -> Vec<String> {
            sweep_without_levels(
                &default_clock_rules(),
                t_,
                &clock,
                &cal,
                9,
                t("2026-11-24T08:00:00Z"),
            )
            .into_iter()
            .map(|e| e.kind)
            .collect()
        };
        assert_eq!(
            kinds(&ticket),
            ["first_response.warning", "first_response.breach"]
        );
        ticket.first_response.met_at = Some(t("2026-11-23T10:30:00Z"));
        assert!(kinds(&ticket).is_empty());
    }

    #[test]
    fn waiting_on_the_customer_brings_a_reminder_then_the_close() {
        let cal = Calendar::default_business().compile();
        let clock = Clock::Business(&cal);
        let opened = t("2026-11-23T08:00:00Z");
        // Waiting on the customer from Wednesday 25 Nov 10:00 Madrid: the
        // clocks stop, no follow-ups; a reminder after 3 business days, the
        // close after 7.
        let wait = t("2026-11-25T09:00:00Z");
        let mut first_response = tracked(opened, 4, vec![]);
        first_response.met_at = Some(t("2026-11-23T09:00:00Z"));
        let waiting = Sweepable {
            state: TicketState::PendingCustomer,
            first_response,
            resolution: tracked(
                opened,
                45,
                vec![Pause {
                    from: wait,
                    to: None,
                }],
            ),
            last_team_feedback: wait,
            pending_since: Some(wait),
            start_level: Level::L1,
            emergency: false,
            provider_wait: None,
        };
        let events = sweep_without_levels(
            &default_clock_rules(),
            &waiting,
            &clock,
            &cal,
            9,
            t("2027-01-31T00:00:00Z"),
        );
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["reminder", "auto_close"]);
        assert_eq!(events[0].at, t("2026-11-30T09:00:00Z"));
        assert_eq!(events[1].at, t("2026-12-04T09:00:00Z"));
        assert_eq!(events[1].moves_to, Some(TicketState::Closed));
        assert_eq!(
            events[1].reason,
            "waiting on the customer for 7 business days since 2026-11-25 09:00 UTC"
        );
        // Keys carry the start of the wait: a new wait reminds again.
        assert_eq!(events[0].key, "reminder@20261125T090000");
    }

    #[test]
    fn an_unresolved_ticket_climbs_the_levels_once_each_and_waits_do_not_count() {
        let cal = Calendar::default_business().compile();
        let clock = Clock::Business(&cal);
        let program = default_tickets_program();
        // Opened Monday 23 Nov 2026, 09:00 Madrid; answered at once; waiting
        // on the customer from 10:00 to 12:00. L1 has 2 business hours, L2
        // 1 more, L3 1 more, then the programme manager.
        let opened = t("2026-11-23T08:00:00Z");
        let mut first_response = tracked(opened, 4, vec![]);
        first_response.met_at = Some(opened);
        let wait = vec![Pause {
            from: t("2026-11-23T09:00:00Z"),
            to: Some(t("2026-11-23T11:00:00Z")),
        }];
        let ticket = Sweepable {
            state: TicketState::Open,
            first_response,
            resolution: tracked(opened, 45, wait),
            last_team_feedback: t("2026-11-23T11:00:00Z"),
            pending_since: None,
            start_level: Level::L1,
            emergency: false,
            provider_wait: None,
        };
        let climbs = |t_: &Sweepable, as_of: &str| -> Vec<(String, DateTime<Utc>, String)> {
            due_events(&program, t_, &clock, &cal, t(as_of), &|_| false)
                .into_iter()
                .filter(|e| e.kind.starts_with("level."))
                .map(|e| (e.kind, e.at, e.notify.as_str().to_string()))
                .collect()
        };
        // 1 h ran before the wait, so L1's 2 h end at 13:00 Madrid.
        assert_eq!(
            climbs(&ticket, "2026-11-23T15:00:00Z"),
            [
                (
                    "level.L2".into(),
                    t("2026-11-23T12:00:00Z"),
                    "vip_technical_support".into()
                ),
                (
                    "level.L3".into(),
                    t("2026-11-23T13:00:00Z"),
                    "customer_success_manager".into()
                ),
                (
                    "level.beyond".into(),
                    t("2026-11-23T14:00:00Z"),
                    "program_manager".into()
                ),
            ]
        );
        let first = &due_events(
            &program,
            &ticket,
            &clock,
            &cal,
            t("2026-11-23T12:00:00Z"),
            &|_| false,
        )
        .into_iter()
        .find(|e| e.kind == "level.L2")
        .unwrap()
        .reason
        .clone();
        assert_eq!(
            first,
            "unresolved after 2h at L1: now L2, owned by vip_technical_support, to answer within 2h"
        );
        // Recorded climbs are not computed again, and the next one still is.
        let after_two = due_events(
            &program,
            &ticket,
            &clock,
            &cal,
            t("2026-11-23T15:00:00Z"),
            &|key| key == "level.L2" || key == "level.L3",
        );
        let kinds: Vec<&str> = after_two
            .iter()
            .filter(|e| e.kind.starts_with("level."))
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(kinds, ["level.beyond"]);
        // A key account starting at L2 skips L1's window: L2's 1 h ends at
        // 10:00 Madrid, as the wait begins. Resolved in time, nothing climbs.
        let key_account = Sweepable {
            start_level: Level::L2,
            ..ticket.clone()
        };
        let emergency = Sweepable {
            emergency: true,
            start_level: Level::L3,
            ..ticket.clone()
        };
        let told = due_events(&program, &emergency, &clock, &cal, opened, &|_| false);
        assert_eq!(
            (told[0].kind.as_str(), told[0].at, told[0].notify.as_str()),
            ("emergency", opened, "program_manager")
        );
        assert_eq!(
            climbs(&key_account, "2026-11-23T15:00:00Z")[0].1,
            t("2026-11-23T09:00:00Z")
        );
        let mut resolved = ticket.clone();
        resolved.resolution.met_at = Some(t("2026-11-23T11:30:00Z"));
        resolved.state = TicketState::Resolved;
        assert!(climbs(&resolved, "2026-11-30T00:00:00Z").is_empty());
    }

    #[test]
    fn a_resolved_ticket_is_sent_its_survey_a_day_later_even_once_closed() {
        let cal = Calendar::default_business().compile();
        let clock = Clock::Business(&cal);
        let program = default_tickets_program();
        let opened = t("2026-11-23T08:00:00Z");
        let mut resolution = tracked(opened, 45, vec![]);
        resolution.met_at = Some(t("2026-11-23T10:00:00Z"));
        let mut first_response = tracked(opened, 4, vec![]);
        first_response.met_at = Some(t("2026-11-23T09:00:00Z"));
        let resolved = Sweepable {
            state: TicketState::Resolved,
            first_response,
            resolution,
            last_team_feedback: t("2026-11-23T10:00:00Z"),
            pending_since: None,
            start_level: Level::L1,
            emergency: false,
            provider_wait: None,
        };
        let kinds = |ticket: &Sweepable, as_of: &str| -> Vec<(String, DateTime<Utc>)> {
            due_events(&program, ticket, &clock, &cal, t(as_of), &|_| false)
                .into_iter()
                .map(|e| (e.kind, e.at))
                .collect()
        };
        assert!(kinds(&resolved, "2026-11-24T09:59:00Z").is_empty());
        assert_eq!(
            kinds(&resolved, "2026-11-24T10:00:00Z"),
            [("survey".to_string(), t("2026-11-24T10:00:00Z"))]
        );
        let closed = Sweepable {
            state: TicketState::Closed,
            ..resolved
        };
        assert_eq!(kinds(&closed, "2026-12-24T10:00:00Z").len(), 1);
    }

    #[test]
    fn a_provider_past_their_committed_time_is_chased_once() {
        let cal = Calendar::default_business().compile();
        let clock = Clock::Business(&cal);
        let program = default_tickets_program();
        let opened = t("2026-11-23T08:00:00Z");
        let mut first_response = tracked(opened, 4, vec![]);
        first_response.met_at = Some(opened);
        let since = t("2026-11-23T09:00:00Z");
        let waiting = Sweepable {
            state: TicketState::Escalated,
            first_response,
            resolution: tracked(
                opened,
                45,
                vec![Pause {
                    from: since,
                    to: None,
                }],
            ),
            last_team_feedback: since,
            pending_since: None,
            start_level: Level::L1,
            emergency: false,
            provider_wait: Some(ProviderWait {
                provider: "LogiCommerce".into(),
                since,
                committed_at: t("2026-11-24T12:00:00Z"),
            }),
        };
        let chases = |as_of: &str, recorded: &dyn Fn(&str) -> bool| -> Vec<SweepEvent> {
            due_events(&program, &waiting, &clock, &cal, t(as_of), recorded)
                .into_iter()
                .filter(|e| e.kind == "provider.chase")
                .collect()
        };
        assert!(chases("2026-11-24T11:59:00Z", &|_| false).is_empty());
        let due = chases("2026-11-25T00:00:00Z", &|_| false);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].key, "provider.chase@20261123T090000");
        assert_eq!(
            due[0].reason,
            "LogiCommerce committed to answer by 2026-11-24 12:00 UTC: chase them"
        );
        assert!(chases("2026-11-25T00:00:00Z", &|k| k == due[0].key).is_empty());
    }
}
