//! The reward catalogue and redemptions (docs/domain.md §3 "Catalogue",
//! "Redemption"; seed 000 SOP-003 and §4.2, seed 004).
//!
//! A redemption is checked here (reward offered, tier allowed, window open,
//! points redeemable, stock left), then moves `requested → approved →
//! fulfilled`, or ends `rejected` / `cancelled`. Every move has a
//! [`Settlement`]: what it does to the member's points and the reward's stock.
//! Points and stock are reserved at request, committed at approval and
//! released on rejection or cancellation.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::calendar::MonthDay;
use crate::points::{PointsProgram, Standing};
use crate::validation::Errors;
use crate::zone::Zone;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardKind {
    Digital,
    Physical,
    Experience,
    Financial,
}

impl RewardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RewardKind::Digital => "digital",
            RewardKind::Physical => "physical",
            RewardKind::Experience => "experience",
            RewardKind::Financial => "financial",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    Automatic,
    Manual,
}

/// How soon an approved reward is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case", deny_unknown_fields)]
pub enum FulfilmentTarget {
    Immediate,
    /// Within `min`–`max` business days (Monday to Friday in the programme zone).
    BusinessDays {
        min: u32,
        max: u32,
    },
    /// A case coordinated with the member (events, consulting): no fixed date.
    Coordinated,
}

impl FulfilmentTarget {
    /// The latest delivery for an approval at `approved_at`: the end of the
    /// `max`-th business day after it; none for coordinated rewards.
    pub fn due(self, approved_at: DateTime<Utc>, zone: Zone) -> Option<DateTime<Utc>> {
        match self {
            FulfilmentTarget::Immediate => Some(approved_at),
            FulfilmentTarget::Coordinated => None,
            FulfilmentTarget::BusinessDays { max, .. } => {
                let mut date = zone.date_of(approved_at);
                let mut left = max;
                while left > 0 {
                    date = date.succ_opt()?;
                    if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                        left -= 1;
                    }
                }
                Some(zone.start_of(date.succ_opt()?))
            }
        }
    }

    pub fn describe(self) -> String {
        match self {
            FulfilmentTarget::Immediate => "immediate".into(),
            FulfilmentTarget::Coordinated => "coordinated case".into(),
            FulfilmentTarget::BusinessDays { min, max } => format!("{min}–{max} business days"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindPolicy {
    pub approval: Approval,
    pub fulfilment: FulfilmentTarget,
}

/// One policy per reward kind: every kind always has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindPolicies {
    pub digital: KindPolicy,
    pub physical: KindPolicy,
    pub experience: KindPolicy,
    pub financial: KindPolicy,
}

impl KindPolicies {
    pub fn of(&self, kind: RewardKind) -> KindPolicy {
        match kind {
            RewardKind::Digital => self.digital,
            RewardKind::Physical => self.physical,
            RewardKind::Experience => self.experience,
            RewardKind::Financial => self.financial,
        }
    }

    pub(crate) fn validate(&self, errors: &mut Errors) {
        for kind in [
            RewardKind::Digital,
            RewardKind::Physical,
            RewardKind::Experience,
            RewardKind::Financial,
        ] {
            if let FulfilmentTarget::BusinessDays { min, max } = self.of(kind).fulfilment {
                if min > max || max == 0 || max > 90 {
                    errors.add(
                        format!("kinds.{}.fulfilment", kind.as_str()),
                        "business days need 0 <= min <= max, max 1 to 90",
                    );
                }
            }
        }
    }
}

/// A yearly redemption window, both days included; `from` after `to` spans
/// the new year (`12-15` to `01-15`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub from: MonthDay,
    pub to: MonthDay,
}

impl Window {
    pub fn contains(&self, date: NaiveDate) -> bool {
        let d = MonthDay::of(date);
        if self.from <= self.to {
            self.from <= d && d <= self.to
        } else {
            d >= self.from || d <= self.to
        }
    }

    /// The first opening day after `date` (leap days open only in leap years).
    fn next_opening(&self, date: NaiveDate) -> Option<NaiveDate> {
        (date.year()..=date.year() + 8)
            .filter_map(|y| self.from.in_year(y))
            .find(|d| *d > date)
    }
}

/// A catalogue entry as staff write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub kind: RewardKind,
    /// Points one unit costs.
    pub cost: u32,
    /// Tiers that may redeem it; empty: every tier.
    #[serde(default)]
    pub allowed_tiers: Vec<String>,
    /// High-value rewards are always reviewed by hand.
    #[serde(default)]
    pub high_value: bool,
    /// Yearly windows it can be redeemed in (004: March and August); empty: all year.
    #[serde(default)]
    pub windows: Vec<Window>,
    /// A retired reward stays in the catalogue for its history but is not offered.
    #[serde(default = "offered")]
    pub active: bool,
}

fn offered() -> bool {
    true
}

impl RewardSpec {
    pub fn validate(&self, tier_exists: impl Fn(&str) -> bool) -> Result<(), Errors> {
        let mut errors = Errors::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            errors.add("name", "must be 1 to 120 characters");
        }
        if self.description.chars().count() > 2000 {
            errors.add("description", "must be at most 2000 characters");
        }
        if self.cost == 0 {
            errors.add("cost", "must be at least 1 point");
        }
        for (i, tier) in self.allowed_tiers.iter().enumerate() {
            if !tier_exists(tier) {
                errors.add(
                    format!("allowed_tiers[{i}]"),
                    format!("`{tier}` is not a tier of the ladder"),
                );
            }
        }
        if self.windows.len() > 12 {
            errors.add("windows", "at most 12 windows");
        }
        errors.finish(())
    }

    /// Whether a request at `date` (local) falls in a window; if not, when the next one opens.
    pub fn window_at(&self, date: NaiveDate) -> Result<(), Option<NaiveDate>> {
        if self.windows.is_empty() || self.windows.iter().any(|w| w.contains(date)) {
            return Ok(());
        }
        Err(self
            .windows
            .iter()
            .filter_map(|w| w.next_opening(date))
            .min())
    }
}

/// Why a redemption is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Retired,
    TierNotAllowed {
        tier: String,
        allowed: Vec<String>,
    },
    WindowClosed {
        opens: Option<NaiveDate>,
    },
    InsufficientPoints {
        cost: i64,
        redeemable: i64,
        earned_today: i64,
    },
    OutOfStock,
}

impl Refusal {
    /// The problem type slug.
    pub fn slug(&self) -> &'static str {
        match self {
            Refusal::Retired => "reward-retired",
            Refusal::TierNotAllowed { .. } => "tier-not-allowed",
            Refusal::WindowClosed { .. } => "redemption-window-closed",
            Refusal::InsufficientPoints { .. } => "insufficient-points",
            Refusal::OutOfStock => "out-of-stock",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            Refusal::Retired => "The reward is no longer offered",
            Refusal::TierNotAllowed { .. } => "The member's tier may not redeem this reward",
            Refusal::WindowClosed { .. } => "The redemption window is closed",
            Refusal::InsufficientPoints { .. } => "Not enough redeemable points",
            Refusal::OutOfStock => "The reward is out of stock",
        }
    }

    /// Points still missing, for an insufficient balance.
    pub fn missing(&self) -> Option<i64> {
        match self {
            Refusal::InsufficientPoints {
                cost, redeemable, ..
            } => Some(cost - redeemable),
            _ => None,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Retired => f.write_str("the reward has been retired from the catalogue"),
            Refusal::TierNotAllowed { tier, allowed } => write!(
                f,
                "the reward is for {} members; this member is {tier}",
                allowed.join(", ")
            ),
            Refusal::WindowClosed { opens: Some(d) } => {
                write!(f, "the reward can be redeemed again from {d}")
            }
            Refusal::WindowClosed { opens: None } => {
                f.write_str("the reward's windows never open again")
            }
            Refusal::InsufficientPoints {
                cost,
                redeemable,
                earned_today,
            } => {
                write!(
                    f,
                    "the reward costs {cost} points and {redeemable} are redeemable now: {} missing",
                    cost - redeemable
                )?;
                if *earned_today > 0 {
                    write!(
                        f,
                        " ({earned_today} earned today become redeemable tomorrow)"
                    )?;
                }
                Ok(())
            }
            Refusal::OutOfStock => f.write_str("no unit is left"),
        }
    }
}

/// An accepted redemption: how it will be decided and delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub approval: Approval,
    /// Why this approval path (kind, high value).
    pub why: String,
    /// When the decision is due (24 h automatic, 72 h manual by default).
    pub review_due: DateTime<Utc>,
    pub fulfilment: FulfilmentTarget,
}

/// Checks a request at `now` for a member of `tier`; `stock_left` is `None`
/// for an unlimited reward.
pub fn check_redemption(
    program: &PointsProgram,
    reward: &RewardSpec,
    stock_left: Option<i64>,
    tier: &str,
    standing: &Standing,
    now: DateTime<Utc>,
) -> Result<Decision, Refusal> {
    if !reward.active {
        return Err(Refusal::Retired);
    }
    if !reward.allowed_tiers.is_empty() && !reward.allowed_tiers.iter().any(|t| t == tier) {
        return Err(Refusal::TierNotAllowed {
            tier: tier.into(),
            allowed: reward.allowed_tiers.clone(),
        });
    }
    reward
        .window_at(program.zone.date_of(now))
        .map_err(|opens| Refusal::WindowClosed { opens })?;
    let cost = i64::from(reward.cost);
    if standing.redeemable() < cost {
        return Err(Refusal::InsufficientPoints {
            cost,
            redeemable: standing.redeemable(),
            earned_today: standing.earned_today,
        });
    }
    if stock_left.is_some_and(|s| s < 1) {
        return Err(Refusal::OutOfStock);
    }
    let policy = program.kinds.of(reward.kind);
    let (approval, why) = if reward.high_value {
        (
            Approval::Manual,
            "high-value rewards are reviewed by hand".to_string(),
        )
    } else {
        let how = match policy.approval {
            Approval::Automatic => "approved automatically",
            Approval::Manual => "reviewed by hand",
        };
        (
            policy.approval,
            format!("{} rewards are {how}", reward.kind.as_str()),
        )
    };
    let hours = match approval {
        Approval::Automatic => program.review_hours.automatic,
        Approval::Manual => program.review_hours.manual,
    };
    Ok(Decision {
        approval,
        why,
        review_due: now + Duration::hours(i64::from(hours)),
        fulfilment: policy.fulfilment,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedemptionState {
    Requested,
    Approved,
    Fulfilled,
    Rejected,
    Cancelled,
}

impl RedemptionState {
    pub fn as_str(self) -> &'static str {
        match self {
            RedemptionState::Requested => "requested",
            RedemptionState::Approved => "approved",
            RedemptionState::Fulfilled => "fulfilled",
            RedemptionState::Rejected => "rejected",
            RedemptionState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        [
            RedemptionState::Requested,
            RedemptionState::Approved,
            RedemptionState::Fulfilled,
            RedemptionState::Rejected,
            RedemptionState::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| {
            format!("`{text}` is not a state (requested, approved, fulfilled, rejected, cancelled)")
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedemptionEvent {
    Approve,
    Reject,
    Fulfil,
    Cancel,
}

impl RedemptionEvent {
    fn verb(self) -> &'static str {
        match self {
            RedemptionEvent::Approve => "approved",
            RedemptionEvent::Reject => "rejected",
            RedemptionEvent::Fulfil => "fulfilled",
            RedemptionEvent::Cancel => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionError {
    pub from: RedemptionState,
    pub event: RedemptionEvent,
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a redemption that is {} cannot be {}",
            self.from.as_str(),
            self.event.verb()
        )
    }
}

/// The lifecycle: `requested → approved → fulfilled`; `requested → rejected`;
/// `requested | approved → cancelled`.
pub fn transition(
    from: RedemptionState,
    event: RedemptionEvent,
) -> Result<RedemptionState, TransitionError> {
    use RedemptionEvent as E;
    use RedemptionState as S;
    match (from, event) {
        (S::Requested, E::Approve) => Ok(S::Approved),
        (S::Requested, E::Reject) => Ok(S::Rejected),
        (S::Approved, E::Fulfil) => Ok(S::Fulfilled),
        (S::Requested | S::Approved, E::Cancel) => Ok(S::Cancelled),
        _ => Err(TransitionError { from, event }),
    }
}

/// What a move does to the ledger and the stock, applied in the same
/// statement as the move (by the database trigger that reads these columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    /// The ledger entry kind (`reserve`, `commit`, `release`), if any.
    pub entry: Option<&'static str>,
    /// Change to the member's available points.
    pub points: i64,
    /// Change to the member's reserved points.
    pub held: i64,
    /// Change to the units left to redeem (limited stock only).
    pub stock_left: i64,
    /// Change to the units held by undecided redemptions (limited stock only).
    pub stock_held: i64,
}

impl Settlement {
    /// A new request holds the points and one unit.
    pub fn reserve(cost: u32, limited: bool) -> Self {
        let unit = i64::from(limited);
        Settlement {
            entry: Some("reserve"),
            points: -i64::from(cost),
            held: i64::from(cost),
            stock_left: -unit,
            stock_held: unit,
        }
    }

    /// The effect of moving from `from` to `to`.
    pub fn of(from: RedemptionState, to: RedemptionState, cost: u32, limited: bool) -> Self {
        use RedemptionState as S;
        let cost = i64::from(cost);
        let unit = i64::from(limited);
        let (entry, points, held, stock_left, stock_held) = match (from, to) {
            (S::Requested, S::Approved) => (Some("commit"), 0, -cost, 0, -unit),
            (S::Requested, S::Rejected | S::Cancelled) => {
                (Some("release"), cost, -cost, unit, -unit)
            }
            (S::Approved, S::Cancelled) => (Some("release"), cost, 0, unit, 0),
            _ => (None, 0, 0, 0, 0),
        };
        Settlement {
            entry,
            points,
            held,
            stock_left,
            stock_held,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::points::default_points_program;
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn reward(kind: RewardKind) -> RewardSpec {
        RewardSpec {
            name: "Mug".into(),
            description: String::new(),
            kind,
            cost: 500,
            allowed_tiers: vec![],
            high_value: false,
            windows: vec![],
            active: true,
        }
    }

    fn standing(available: i64, earned_today: i64) -> Standing {
        Standing {
            available,
            reserved: 0,
            earned_today,
        }
    }

    #[test]
    fn windows_name_the_next_opening() {
        let mut r = reward(RewardKind::Physical);
        let march = Window {
            from: MonthDay::parse("03-01").unwrap(),
            to: MonthDay::parse("03-31").unwrap(),
        };
        let august = Window {
            from: MonthDay::parse("08-01").unwrap(),
            to: MonthDay::parse("08-31").unwrap(),
        };
        r.windows = vec![march, august];
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(r.window_at(d("2026-03-31")), Ok(()));
        assert_eq!(r.window_at(d("2026-04-01")), Err(Some(d("2026-08-01"))));
        assert_eq!(r.window_at(d("2026-11-23")), Err(Some(d("2027-03-01"))));
        let new_year = Window {
            from: MonthDay::parse("12-15").unwrap(),
            to: MonthDay::parse("01-15").unwrap(),
        };
        assert!(new_year.contains(d("2027-01-02")) && !new_year.contains(d("2027-02-01")));
        assert!(MonthDay::parse("02-30").is_err() && MonthDay::parse("3-1").is_err());
        assert!(MonthDay::parse("02-29").is_ok());
    }

    #[test]
    fn checks_in_order_and_explains() {
        let p = default_points_program();
        let now = t("2026-11-23T10:00:00Z");
        let mut r = reward(RewardKind::Digital);
        let ok = check_redemption(&p, &r, Some(1), "member", &standing(500, 0), now).unwrap();
        assert_eq!(ok.approval, Approval::Automatic);
        assert_eq!(ok.review_due, t("2026-11-24T10:00:00Z"));
        let short = check_redemption(&p, &r, None, "member", &standing(600, 200), now).unwrap_err();
        assert_eq!(short.missing(), Some(100));
        assert!(short.to_string().contains("200 earned today"), "{short}");
        assert_eq!(
            check_redemption(&p, &r, Some(0), "member", &standing(900, 0), now),
            Err(Refusal::OutOfStock)
        );
        r.allowed_tiers = vec!["gold".into()];
        let tier = check_redemption(&p, &r, None, "silver", &standing(900, 0), now).unwrap_err();
        assert_eq!(tier.slug(), "tier-not-allowed");
        r.allowed_tiers.clear();
        r.high_value = true;
        let manual = check_redemption(&p, &r, None, "gold", &standing(900, 0), now).unwrap();
        assert_eq!(manual.approval, Approval::Manual);
        assert_eq!(manual.review_due, t("2026-11-26T10:00:00Z"));
        r.active = false;
        assert_eq!(
            check_redemption(&p, &r, None, "gold", &standing(900, 0), now),
            Err(Refusal::Retired)
        );
    }

    #[test]
    fn fulfilment_counts_business_days_in_the_zone() {
        let p = default_points_program();
        // Friday 20 Nov 2026, 15:00 Madrid: 7 business days later is Tue 1 Dec.
        let due = FulfilmentTarget::BusinessDays { min: 5, max: 7 }
            .due(t("2026-11-20T14:00:00Z"), p.zone)
            .unwrap();
        assert_eq!(due, t("2026-12-01T23:00:00Z"));
        assert_eq!(
            FulfilmentTarget::Coordinated.due(t("2026-11-20T14:00:00Z"), p.zone),
            None
        );
    }

    #[test]
    fn lifecycle() {
        use RedemptionEvent as E;
        use RedemptionState as S;
        assert_eq!(transition(S::Requested, E::Approve), Ok(S::Approved));
        assert_eq!(transition(S::Approved, E::Fulfil), Ok(S::Fulfilled));
        assert!(transition(S::Fulfilled, E::Cancel).is_err());
        assert!(transition(S::Requested, E::Fulfil).is_err());
        assert_eq!(
            transition(S::Rejected, E::Approve).unwrap_err().to_string(),
            "a redemption that is rejected cannot be approved"
        );
    }

    proptest! {
        /// Whatever path a redemption takes, its settlements net out: a
        /// fulfilled or approved one spent exactly its cost and one unit, an
        /// ended one spent nothing; nothing stays held once decided.
        #[test]
        fn settlements_net_out(events in proptest::collection::vec(0..4_u8, 0..6), cost in 1..10_000_u32, limited: bool) {
            let mut state = RedemptionState::Requested;
            let mut total = Settlement::reserve(cost, limited);
            for e in events {
                let event = [RedemptionEvent::Approve, RedemptionEvent::Reject, RedemptionEvent::Fulfil, RedemptionEvent::Cancel][usize::from(e)];
                if let Ok(next) = transition(state, event) {
                    let s = Settlement::of(state, next, cost, limited);
                    total.points += s.points;
                    total.held += s.held;
                    total.stock_left += s.stock_left;
                    total.stock_held += s.stock_held;
                    state = next;
                }
            }
            let unit = i64::from(limited);
            let (points, held, left, stock_held) = match state {
                RedemptionState::Requested => (-i64::from(cost), i64::from(cost), -unit, unit),
                RedemptionState::Approved | RedemptionState::Fulfilled => (-i64::from(cost), 0, -unit, 0),
                RedemptionState::Rejected | RedemptionState::Cancelled => (0, 0, 0, 0),
            };
            prop_assert_eq!((total.points, total.held, total.stock_left, total.stock_held), (points, held, left, stock_held));
        }
    }
}
