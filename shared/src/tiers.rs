//! Membership tiers (docs/domain.md §1 "Tiered membership"; seeds 000 §3, 004 §2).
//!
//! The basis is **qualifying spend in a rolling window** (purchases at special
//! prices do not qualify), never the points balance. A purchase can only move a
//! member up: when the spend in the window crosses a tier's threshold, or when
//! one purchase reaches a tier's single-purchase fast track. A member moves down
//! only at a review, and only after a whole review window (24 months by
//! default) spent below the tier's maintenance threshold. So one event never
//! both upgrades and downgrades.

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::SupportPlan;
use crate::money::{Currency, Money, MoneyError};
use crate::validation::Errors;

/// What a tier gives its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Benefits {
    /// Discount on regular-price items, in whole percent.
    pub discount_percent: u8,
    /// Points earned per point of base rate, in hundredths (150 = ×1.5).
    pub points_multiplier_hundredths: u32,
    /// The support plan a member of this tier gets at least.
    pub support_plan_floor: SupportPlan,
    /// A 24/7 phone line (gold and above by default, seed 000 §5.2).
    pub phone_24x7: bool,
    pub birthday_benefit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub id: String,
    pub name: String,
    /// Qualifying spend in the qualifying window that reaches this tier.
    pub threshold: Money,
    /// One qualifying purchase of at least this grants the tier at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_purchase: Option<Money>,
    /// Qualifying spend per review window that keeps this tier.
    pub maintenance: Money,
    pub benefits: Benefits,
}

/// The tier ladder, lowest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierProgram {
    pub currency: Currency,
    pub qualifying_window_months: u32,
    pub review_window_months: u32,
    pub tiers: Vec<Tier>,
}

/// A purchase as the tier rules see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    pub amount: Money,
    pub at: DateTime<Utc>,
    /// Special-price or discounted items earn nothing and do not qualify (004).
    #[serde(default)]
    pub special_price: bool,
}

/// How far in the future a purchase time may lie: clocks of tills and of
/// this service differ a little, never by more.
pub const CLOCK_SKEW_SECONDS: i64 = 300;

/// A purchase's reference in the seller's system (receipt or order number):
/// 1 to 64 visible ASCII characters. Recording the same reference twice is
/// one purchase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PurchaseId(String);

impl PurchaseId {
    pub fn parse(id: &str) -> Result<Self, String> {
        if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(PurchaseId(id.to_string()))
        } else {
            Err("must be 1 to 64 visible ASCII characters (a receipt or order number)".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a purchase cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurchaseError {
    /// Fields at fault (a non-positive amount, a time in the future).
    Invalid(Errors),
    /// The purchase is in another currency than the ladder's thresholds.
    CurrencyMismatch { expected: Currency, got: Currency },
}

/// A tier change and why it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierChange {
    pub from: String,
    pub to: String,
    pub direction: Direction,
    pub reason: String,
}

/// An upgrade a purchase earned and the moment the member holds the new tier from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    pub change: TierChange,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Upgrade,
    Downgrade,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TierError {
    UnknownTier(String),
    Money(MoneyError),
    Date(String),
}

impl std::fmt::Display for TierError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TierError::UnknownTier(t) => write!(f, "unknown tier `{t}`"),
            TierError::Money(e) => write!(f, "{e}"),
            TierError::Date(d) => write!(f, "{d}"),
        }
    }
}

impl From<MoneyError> for TierError {
    fn from(e: MoneyError) -> Self {
        TierError::Money(e)
    }
}

fn months_before(t: DateTime<Utc>, months: u32) -> Result<DateTime<Utc>, TierError> {
    t.checked_sub_months(Months::new(months))
        .ok_or_else(|| TierError::Date(format!("{months} months before {t} is out of range")))
}

fn months_after(t: DateTime<Utc>, months: u32) -> Result<DateTime<Utc>, TierError> {
    t.checked_add_months(Months::new(months))
        .ok_or_else(|| TierError::Date(format!("{months} months after {t} is out of range")))
}

impl TierProgram {
    fn index(&self, id: &str) -> Result<usize, TierError> {
        self.tiers
            .iter()
            .position(|t| t.id == id)
            .ok_or_else(|| TierError::UnknownTier(id.to_string()))
    }

    fn tier(&self, i: usize) -> Result<&Tier, TierError> {
        self.tiers
            .get(i)
            .ok_or_else(|| TierError::UnknownTier(format!("#{i}")))
    }

    pub fn lowest(&self) -> Option<&Tier> {
        self.tiers.first()
    }

    /// Qualifying spend in `(end - months, end]`.
    pub fn spend(
        &self,
        purchases: &[Purchase],
        end: DateTime<Utc>,
        months: u32,
    ) -> Result<Money, TierError> {
        let start = months_before(end, months)?;
        let mut total = Money::from_minor(0, self.currency.clone());
        for p in purchases
            .iter()
            .filter(|p| !p.special_price && p.at > start && p.at <= end)
        {
            total = total.checked_add(&p.amount)?;
        }
        Ok(total)
    }

    /// The highest tier whose threshold `spend` reaches.
    fn tier_by_spend(&self, spend: &Money) -> Result<usize, TierError> {
        let mut best = 0;
        for (i, t) in self.tiers.iter().enumerate() {
            if spend.compare(&t.threshold)?.is_ge() {
                best = i;
            }
        }
        Ok(best)
    }

    /// The highest tier whose single-purchase fast track `purchase` reaches.
    fn tier_by_single_purchase(&self, purchase: &Purchase) -> Result<usize, TierError> {
        let mut best = 0;
        if purchase.special_price {
            return Ok(best);
        }
        for (i, t) in self.tiers.iter().enumerate() {
            if let Some(single) = &t.single_purchase {
                if purchase.amount.compare(single)?.is_ge() {
                    best = i;
                }
            }
        }
        Ok(best)
    }

    /// After `purchase` (already included in `purchases`, every purchase on record from
    /// [`Self::history_start`] of its time on): the upgrade it earns and when it takes effect, or
    /// nothing.
    ///
    /// A purchase recorded late (an offline till) raises the spend from its own time until it
    /// leaves the qualifying window, so a threshold may be reached at a purchase already on
    /// record after it: the member moves to the highest tier the recorded purchases reach in
    /// that span, from the first moment they reach it. Purchases recorded in order reduce to
    /// the purchase's own time.
    pub fn after_purchase(
        &self,
        current: &str,
        purchases: &[Purchase],
        purchase: &Purchase,
    ) -> Result<Option<Upgrade>, TierError> {
        let from = self.index(current)?;
        let counted_until = months_after(purchase.at, self.qualifying_window_months)?;
        let by_single = self.tier_by_single_purchase(purchase)?;
        let mut best = (by_single, purchase.at, None);
        let moments = std::iter::once(purchase.at).chain(
            purchases
                .iter()
                .map(|p| p.at)
                .filter(|t| *t > purchase.at && *t < counted_until),
        );
        for moment in moments {
            let spend = self.spend(purchases, moment, self.qualifying_window_months)?;
            let by_spend = self.tier_by_spend(&spend)?;
            if by_spend > best.0 {
                best = (by_spend, moment, Some(spend));
            }
        }
        let (to, at, spend) = best;
        if to <= from {
            return Ok(None);
        }
        let target = self.tier(to)?;
        let reason = match spend {
            None => {
                let single = target
                    .single_purchase
                    .as_ref()
                    .map(Money::to_string)
                    .unwrap_or_default();
                format!(
                    "one purchase of {} reached the {} fast track of {single}",
                    purchase.amount, target.name
                )
            }
            Some(spend) if at == purchase.at => format!(
                "qualifying spend of {spend} in the last {} months reached the {} threshold of {}",
                self.qualifying_window_months, target.name, target.threshold
            ),
            Some(spend) => format!(
                "a purchase of {} recorded late (at {}) brought the qualifying spend in the {} \
                 months to {} to {spend}, reaching the {} threshold of {}",
                purchase.amount,
                purchase.at.format("%Y-%m-%dT%H:%M:%SZ"),
                self.qualifying_window_months,
                at.format("%Y-%m-%dT%H:%M:%SZ"),
                target.name,
                target.threshold
            ),
        };
        Ok(Some(Upgrade {
            change: TierChange {
                from: current.to_string(),
                to: target.id.clone(),
                direction: Direction::Upgrade,
                reason,
            },
            at,
        }))
    }

    /// Checks a purchase before it counts: a positive amount in the ladder's
    /// currency, at a time that is not in the future.
    pub fn check_purchase(&self, p: &Purchase, now: DateTime<Utc>) -> Result<(), PurchaseError> {
        let mut errors = Errors::new();
        if p.amount.minor() <= 0 {
            errors.add("amount.amount", "must be greater than zero");
        }
        if p.at > now + chrono::Duration::seconds(CLOCK_SKEW_SECONDS) {
            errors.add(
                "at",
                format!("{} is in the future", p.at.format("%Y-%m-%dT%H:%M:%SZ")),
            );
        }
        errors.finish(()).map_err(PurchaseError::Invalid)?;
        if *p.amount.currency() != self.currency {
            return Err(PurchaseError::CurrencyMismatch {
                expected: self.currency.clone(),
                got: p.amount.currency().clone(),
            });
        }
        Ok(())
    }

    /// How far back purchases matter to any tier rule on a date: the longer
    /// of the qualifying and review windows.
    pub fn history_start(&self, end: DateTime<Utc>) -> Result<DateTime<Utc>, TierError> {
        months_before(
            end,
            self.qualifying_window_months.max(self.review_window_months),
        )
    }

    /// Whether `id` names a tier of the ladder.
    /// The points multiplier of a tier, in hundredths (×1 for a tier the ladder lacks).
    pub fn multiplier_of(&self, id: &str) -> u32 {
        self.tiers
            .iter()
            .find(|t| t.id == id)
            .map_or(100, |t| t.benefits.points_multiplier_hundredths)
    }

    /// The birthday benefit of tier `id`, if the ladder has it.
    pub fn birthday_benefit(&self, id: &str) -> Option<&str> {
        self.tiers
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.benefits.birthday_benefit.as_str())
    }

    pub fn has_tier(&self, id: &str) -> bool {
        self.tiers.iter().any(|t| t.id == id)
    }

    /// The first date the member may be reviewed: a full review window after reaching the tier.
    pub fn review_date(&self, tier_since: DateTime<Utc>) -> Result<DateTime<Utc>, TierError> {
        months_after(tier_since, self.review_window_months)
    }

    /// At a review on `at`: a downgrade, or nothing. Nothing happens before a
    /// full review window has passed since the member reached the tier.
    pub fn review(
        &self,
        current: &str,
        tier_since: DateTime<Utc>,
        purchases: &[Purchase],
        at: DateTime<Utc>,
    ) -> Result<Option<TierChange>, TierError> {
        let from = self.index(current)?;
        if at < self.review_date(tier_since)? {
            return Ok(None);
        }
        let spend = self.spend(purchases, at, self.review_window_months)?;
        let mut to = 0;
        for (i, t) in self.tiers.iter().enumerate().take(from + 1) {
            if spend.compare(&t.maintenance)?.is_ge() {
                to = i;
            }
        }
        if to >= from {
            return Ok(None);
        }
        let current_tier = self.tier(from)?;
        Ok(Some(TierChange {
            from: current.to_string(),
            to: self.tier(to)?.id.clone(),
            direction: Direction::Downgrade,
            reason: format!(
                "qualifying spend of {spend} in the {} months to {} stayed under the {} maintenance threshold of {}",
                self.review_window_months,
                at.format("%Y-%m-%d"),
                current_tier.name,
                current_tier.maintenance
            ),
        }))
    }

    /// "What keeps my tier": where a member stands on `now`.
    pub fn status(
        &self,
        current: &str,
        tier_since: DateTime<Utc>,
        purchases: &[Purchase],
        now: DateTime<Utc>,
    ) -> Result<TierStatus, TierError> {
        let i = self.index(current)?;
        let tier = self.tier(i)?;
        let spend = self.spend(purchases, now, self.qualifying_window_months)?;
        let next = match self.tiers.get(i + 1) {
            Some(next) => Some(NextTier {
                tier: next.id.clone(),
                threshold: next.threshold.clone(),
                still_needed: next.threshold.saturating_sub(&spend)?,
                single_purchase: next.single_purchase.clone(),
            }),
            None => None,
        };
        let review_date = self.review_date(tier_since)?;
        let review_end = review_date.max(now);
        let kept_spend = self.spend(purchases, now, self.review_window_months)?;
        let needed = tier.maintenance.saturating_sub(&kept_spend)?;
        let keep = if i == 0 {
            "the lowest tier is never lost".to_string()
        } else if needed.minor() == 0 {
            format!(
                "kept: qualifying spend of {kept_spend} in the last {} months meets the maintenance threshold of {}",
                self.review_window_months, tier.maintenance
            )
        } else {
            format!(
                "spend {needed} more by {} (maintenance threshold {} over {} months) to keep {}",
                review_end.format("%Y-%m-%d"),
                tier.maintenance,
                self.review_window_months,
                tier.name
            )
        };
        Ok(TierStatus {
            tier: tier.id.clone(),
            since: tier_since,
            basis: format!(
                "qualifying spend (regular-price purchases) in the rolling {} months",
                self.qualifying_window_months
            ),
            qualifying_spend: spend,
            next,
            review_date,
            maintenance: tier.maintenance.clone(),
            maintenance_spend: kept_spend,
            maintenance_still_needed: needed,
            keep,
            benefits: tier.benefits.clone(),
        })
    }

    /// Checks the ladder: ascending thresholds from zero, one currency, known windows.
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        if self.tiers.is_empty() {
            errors.add("tiers", "must list at least one tier");
        }
        if self.qualifying_window_months == 0 || self.qualifying_window_months > 120 {
            errors.add("qualifying_window_months", "must be 1 to 120");
        }
        if self.review_window_months == 0 || self.review_window_months > 120 {
            errors.add("review_window_months", "must be 1 to 120");
        }
        for (i, t) in self.tiers.iter().enumerate() {
            let at = format!("tiers[{i}]");
            if t.id.is_empty() || !t.id.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                errors.add(format!("{at}.id"), "must be lowercase letters and `_`");
            }
            if self.tiers.iter().take(i).any(|o| o.id == t.id) {
                errors.add(
                    format!("{at}.id"),
                    format!("`{}` is used by another tier", t.id),
                );
            }
            let amounts = [
                ("threshold", Some(&t.threshold)),
                ("maintenance", Some(&t.maintenance)),
                ("single_purchase", t.single_purchase.as_ref()),
            ];
            for (name, amount) in amounts {
                if let Some(a) = amount {
                    if *a.currency() != self.currency {
                        errors.add(
                            format!("{at}.{name}.currency"),
                            format!("must be the programme currency {}", self.currency),
                        );
                    } else if a.is_negative() {
                        errors.add(format!("{at}.{name}.amount"), "must not be negative");
                    }
                }
            }
            if i == 0 && t.threshold.minor() != 0 {
                errors.add(format!("{at}.threshold"), "the lowest tier starts at 0");
            }
            if let Some(prev) = i.checked_sub(1).and_then(|p| self.tiers.get(p)) {
                if prev
                    .threshold
                    .compare(&t.threshold)
                    .map(|o| o.is_ge())
                    .unwrap_or(false)
                {
                    errors.add(
                        format!("{at}.threshold"),
                        "must be higher than the tier below",
                    );
                }
            }
            if t.benefits.discount_percent > 100 {
                errors.add(
                    format!("{at}.benefits.discount_percent"),
                    "must be 0 to 100",
                );
            }
        }
        errors.finish(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextTier {
    pub tier: String,
    pub threshold: Money,
    pub still_needed: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub single_purchase: Option<Money>,
}

/// Where a member stands, and what keeps the tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierStatus {
    pub tier: String,
    pub since: DateTime<Utc>,
    /// The basis tiers use, stated explicitly.
    pub basis: String,
    pub qualifying_spend: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<NextTier>,
    pub review_date: DateTime<Utc>,
    pub maintenance: Money,
    pub maintenance_spend: Money,
    pub maintenance_still_needed: Money,
    pub keep: String,
    pub benefits: Benefits,
}

fn usd(units: i64) -> Money {
    Money::from_minor(units * 100, Currency::USD)
}

fn benefits(
    discount: u8,
    multiplier: u32,
    floor: SupportPlan,
    phone: bool,
    birthday: &str,
) -> Benefits {
    Benefits {
        discount_percent: discount,
        points_multiplier_hundredths: multiplier,
        support_plan_floor: floor,
        phone_24x7: phone,
        birthday_benefit: birthday.to_string(),
    }
}

/// docs/domain.md defaults: member → silver at 5,000 in 12 months (or one purchase
/// of 5,000) → gold at 10,000 (or one of 10,000) → diamond at 30,000; the
/// maintenance threshold of a tier is its own threshold over the 24-month review window.
pub fn default_tier_program() -> TierProgram {
    let tier = |id: &str, name: &str, threshold: i64, single: Option<i64>, b: Benefits| Tier {
        id: id.into(),
        name: name.into(),
        threshold: usd(threshold),
        single_purchase: single.map(usd),
        maintenance: usd(threshold),
        benefits: b,
    };
    TierProgram {
        currency: Currency::USD,
        qualifying_window_months: 12,
        review_window_months: 24,
        tiers: vec![
            tier(
                "member",
                "Member",
                0,
                None,
                benefits(0, 100, SupportPlan::Bronze, false, "birthday greeting"),
            ),
            tier(
                "silver",
                "Silver",
                5_000,
                Some(5_000),
                benefits(5, 125, SupportPlan::Silver, false, "birthday gift"),
            ),
            tier(
                "gold",
                "Gold",
                10_000,
                Some(10_000),
                benefits(
                    10,
                    150,
                    SupportPlan::Gold,
                    true,
                    "birthday gift and 15% birthday discount",
                ),
            ),
            tier(
                "diamond",
                "Diamond",
                30_000,
                None,
                benefits(
                    12,
                    200,
                    SupportPlan::Platinum,
                    true,
                    "birthday gift and 20% birthday discount",
                ),
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    fn buy(units: i64, when: DateTime<Utc>) -> Purchase {
        Purchase {
            amount: usd(units),
            at: when,
            special_price: false,
        }
    }

    #[test]
    fn the_default_ladder_is_valid() {
        assert_eq!(default_tier_program().validate(), Ok(()));
    }

    #[test]
    fn cumulative_spend_upgrades_when_a_threshold_is_crossed() {
        let p = default_tier_program();
        let mut history = vec![buy(3_000, at(2026, 1, 10))];
        assert_eq!(
            p.after_purchase("member", &history, &history[0].clone())
                .unwrap(),
            None
        );
        let second = buy(2_000, at(2026, 6, 1));
        history.push(second.clone());
        let change = p
            .after_purchase("member", &history, &second)
            .unwrap()
            .unwrap()
            .change;
        assert_eq!(
            (change.to.as_str(), change.direction),
            ("silver", Direction::Upgrade)
        );
        assert!(
            change.reason.contains("5000.00 USD in the last 12 months"),
            "{}",
            change.reason
        );
    }

    #[test]
    fn spend_outside_the_window_or_at_special_price_does_not_count() {
        let p = default_tier_program();
        let old = buy(4_000, at(2025, 1, 1));
        let special = Purchase {
            special_price: true,
            ..buy(4_000, at(2026, 5, 1))
        };
        let now = buy(1_500, at(2026, 6, 1));
        let history = vec![old, special, now.clone()];
        assert_eq!(p.after_purchase("member", &history, &now).unwrap(), None);
        assert_eq!(p.spend(&history, at(2026, 6, 1), 12).unwrap(), usd(1_500));
    }

    #[test]
    fn one_large_purchase_is_a_fast_track() {
        let p = default_tier_program();
        let big = buy(10_000, at(2026, 3, 3));
        let change = p
            .after_purchase("member", std::slice::from_ref(&big), &big)
            .unwrap()
            .unwrap()
            .change;
        assert_eq!(change.to, "gold");
        assert!(change.reason.contains("fast track"), "{}", change.reason);
        let special = Purchase {
            special_price: true,
            ..big
        };
        assert_eq!(
            p.after_purchase("member", std::slice::from_ref(&special), &special)
                .unwrap(),
            None
        );
    }

    #[test]
    fn downgrades_wait_for_a_full_review_window_under_maintenance() {
        let p = default_tier_program();
        let since = at(2024, 1, 15);
        let history = vec![buy(12_000, at(2024, 1, 15)), buy(1_000, at(2025, 3, 1))];
        assert_eq!(
            p.review("gold", since, &history, at(2025, 12, 31)).unwrap(),
            None,
            "too early"
        );
        // At the review date, 24 months (2024-01-15, 2026-01-15] hold only 1,000.
        let change = p
            .review("gold", since, &history, at(2026, 1, 15))
            .unwrap()
            .unwrap();
        assert_eq!(
            (change.to.as_str(), change.direction),
            ("member", Direction::Downgrade)
        );
        assert!(
            change
                .reason
                .contains("maintenance threshold of 10000.00 USD"),
            "{}",
            change.reason
        );
        let kept = vec![buy(12_000, at(2024, 1, 15)), buy(10_000, at(2025, 3, 1))];
        assert_eq!(
            p.review("gold", since, &kept, at(2026, 1, 15)).unwrap(),
            None
        );
        let silver = vec![buy(12_000, at(2024, 1, 15)), buy(6_000, at(2025, 3, 1))];
        assert_eq!(
            p.review("gold", since, &silver, at(2026, 1, 15))
                .unwrap()
                .unwrap()
                .to,
            "silver"
        );
    }

    #[test]
    fn status_explains_next_tier_and_what_keeps_this_one() {
        let p = default_tier_program();
        let history = vec![buy(6_500, at(2026, 2, 1))];
        let s = p
            .status("silver", at(2026, 2, 1), &history, at(2026, 3, 1))
            .unwrap();
        assert_eq!(s.qualifying_spend, usd(6_500));
        let next = s.next.unwrap();
        assert_eq!(
            (next.tier.as_str(), next.still_needed.clone()),
            ("gold", usd(3_500))
        );
        assert_eq!(s.review_date, at(2028, 2, 1));
        assert!(s.keep.starts_with("kept"), "{}", s.keep);
        assert!(s.basis.contains("rolling 12 months"));
        let s = p
            .status("gold", at(2026, 2, 1), &history, at(2026, 3, 1))
            .unwrap();
        assert_eq!(s.maintenance_still_needed, usd(3_500));
        assert!(
            s.keep.contains("spend 3500.00 USD more by 2028-02-01"),
            "{}",
            s.keep
        );
        assert!(s.benefits.phone_24x7);
    }

    #[test]
    fn purchases_are_checked_before_they_count() {
        let p = default_tier_program();
        let now = at(2026, 6, 1);
        assert_eq!(p.check_purchase(&buy(10, now), now), Ok(()));
        let Err(PurchaseError::Invalid(e)) = p.check_purchase(&buy(0, now), now) else {
            panic!("zero accepted")
        };
        assert_eq!(e.fields(), ["amount.amount"]);
        let Err(PurchaseError::Invalid(e)) =
            p.check_purchase(&buy(-5, now + chrono::Duration::days(1)), now)
        else {
            panic!("negative future purchase accepted")
        };
        assert_eq!(e.fields(), ["amount.amount", "at"]);
        let skewed = buy(5, now + chrono::Duration::seconds(CLOCK_SKEW_SECONDS));
        assert_eq!(p.check_purchase(&skewed, now), Ok(()));
        let eur = Purchase {
            amount: Money::parse("5.00", "EUR").unwrap(),
            at: now,
            special_price: false,
        };
        assert!(matches!(
            p.check_purchase(&eur, now),
            Err(PurchaseError::CurrencyMismatch { .. })
        ));
        assert!(PurchaseId::parse("R-2026/0001").is_ok());
        assert!(PurchaseId::parse("").is_err() && PurchaseId::parse("a b").is_err());
        assert_eq!(p.history_start(now).unwrap(), at(2024, 6, 1));
    }

    #[test]
    fn ladder_mistakes_are_reported() {
        let mut p = default_tier_program();
        p.tiers[2].threshold = usd(4_000);
        p.tiers[1].id = "Silver!".into();
        p.review_window_months = 0;
        let errors = p.validate().unwrap_err();
        let fields = errors.fields();
        assert_eq!(
            fields,
            ["review_window_months", "tiers[1].id", "tiers[2].threshold"]
        );
    }

    #[test]
    fn a_purchase_recorded_late_upgrades_from_the_first_moment_the_spend_reaches_a_threshold() {
        let p = default_tier_program();
        // On record: 3,000 on 1 June. An offline till then reports 2,500 from 1 March.
        let late = buy(2_500, at(2026, 3, 1));
        let history = vec![late.clone(), buy(3_000, at(2026, 6, 1))];
        let up = p
            .after_purchase("member", &history, &late)
            .unwrap()
            .unwrap();
        assert_eq!(up.change.to, "silver");
        assert_eq!(up.at, at(2026, 6, 1));
        assert!(
            up.change.reason.contains("recorded late") && up.change.reason.contains("5500.00 USD"),
            "{}",
            up.change.reason
        );
        // A purchase that left the window by the time of the later one does not lift it.
        let old = buy(2_500, at(2025, 3, 1));
        let history = vec![old.clone(), buy(3_000, at(2026, 6, 1))];
        assert_eq!(p.after_purchase("member", &history, &old).unwrap(), None);
    }

    proptest! {
        /// Purchases only ever move a member up; reviews only ever move a member down.
        #[test]
        fn purchases_never_downgrade_and_reviews_never_upgrade(
            amounts in proptest::collection::vec((0i64..15_000, 0i64..1_000, any::<bool>()), 1..20),
            start in 0usize..4,
        ) {
            let p = default_tier_program();
            let mut current = p.tiers[start].id.clone();
            let mut history = Vec::new();
            let mut when = at(2024, 1, 1);
            for (units, days, special) in amounts {
                when += chrono::Duration::days(days);
                let purchase = Purchase { amount: usd(units), at: when, special_price: special };
                history.push(purchase.clone());
                let before = p.index(&current).unwrap();
                if let Some(Upgrade { change, .. }) =
                    p.after_purchase(&current, &history, &purchase).unwrap()
                {
                    prop_assert_eq!(change.direction, Direction::Upgrade);
                    prop_assert!(p.index(&change.to).unwrap() > before);
                    current = change.to;
                }
                let before = p.index(&current).unwrap();
                if let Some(change) = p.review(&current, at(2020, 1, 1), &history, when).unwrap() {
                    prop_assert_eq!(change.direction, Direction::Downgrade);
                    prop_assert!(p.index(&change.to).unwrap() < before);
                    current = change.to;
                }
            }
        }
    }
}
