//! Points (docs/domain.md §3 "Ledger"; seed 004): an append-only ledger per
//! membership. Every entry changes two derived figures: `available` (points
//! the member can spend) and `reserved` (points held by redemptions waiting
//! for a decision). Credits (earned or granted points) are lots that expire
//! `expiry_months` after they were earned; spending, reserving and expiring
//! consume the oldest lots first (FIFO), so what expires on a date is what is
//! left of the lots due by then.
//!
//! The shell stores entries and asks these functions what they mean; the
//! guards that keep `available` from going negative under concurrency are
//! conditional SQL statements over the same sums.

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

use crate::rewards::{Approval, FulfilmentTarget, KindPolicies, KindPolicy};
use crate::tiers::Purchase;
use crate::validation::Errors;
use crate::zone::Zone;

/// The points programme: how points are earned, kept and redeemed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointsProgram {
    /// Points per 1.00 of eligible spend, before the tier multiplier.
    pub points_per_unit: u32,
    /// Months after which the unspent rest of a credit expires (004: one or two years).
    pub expiry_months: u32,
    /// Where "today" (points earned today are redeemable tomorrow), redemption
    /// windows and business days are reckoned.
    pub zone: Zone,
    /// Review targets of a redemption (seed 000 SOP-003: 24 h automatic, 72 h manual).
    pub review_hours: ReviewHours,
    /// Approval and fulfilment target per reward kind (seed 000 §4.2).
    pub kinds: KindPolicies,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewHours {
    pub automatic: u32,
    pub manual: u32,
}

pub fn default_points_program() -> PointsProgram {
    let policy = |approval, fulfilment| KindPolicy {
        approval,
        fulfilment,
    };
    PointsProgram {
        points_per_unit: 1,
        expiry_months: 24,
        zone: Zone::EUROPE_MADRID,
        review_hours: ReviewHours {
            automatic: 24,
            manual: 72,
        },
        kinds: KindPolicies {
            digital: policy(Approval::Automatic, FulfilmentTarget::Immediate),
            physical: policy(
                Approval::Manual,
                FulfilmentTarget::BusinessDays { min: 5, max: 7 },
            ),
            experience: policy(Approval::Manual, FulfilmentTarget::Coordinated),
            financial: policy(
                Approval::Automatic,
                FulfilmentTarget::BusinessDays { min: 2, max: 3 },
            ),
        },
    }
}

/// What one purchase earns, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Earning {
    pub points: i64,
    pub reason: String,
}

impl PointsProgram {
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        if self.points_per_unit == 0 {
            errors.add("points_per_unit", "must be at least 1");
        }
        if !(1..=120).contains(&self.expiry_months) {
            errors.add("expiry_months", "must be 1 to 120 months");
        }
        if self.review_hours.automatic == 0 || self.review_hours.manual == 0 {
            errors.add("review_hours", "targets must be at least 1 hour");
        }
        self.kinds.validate(&mut errors);
        errors.finish(())
    }

    /// Points for a purchase: base rate × tier multiplier, rounded down;
    /// special-price purchases earn nothing (004).
    pub fn earn(&self, purchase: &Purchase, tier: &str, multiplier_hundredths: u32) -> Earning {
        if purchase.special_price {
            return Earning {
                points: 0,
                reason: "special-price or discounted purchases earn no points".into(),
            };
        }
        let unit = 10_i128.pow(purchase.amount.currency().exponent());
        let raw = i128::from(purchase.amount.minor())
            * i128::from(self.points_per_unit)
            * i128::from(multiplier_hundredths)
            / (unit * 100);
        let points = i64::try_from(raw).unwrap_or(i64::MAX);
        Earning {
            points,
            reason: format!(
                "{} {} × {} point(s) per 1.00 × {} multiplier ×{}.{:02}, rounded down",
                purchase.amount.amount_string(),
                purchase.amount.currency(),
                self.points_per_unit,
                tier,
                multiplier_hundredths / 100,
                multiplier_hundredths % 100
            ),
        }
    }

    /// When the unspent rest of a credit made at `at` expires.
    pub fn expires_at(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        at.checked_add_months(Months::new(self.expiry_months))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The first instant of the local day of `now`: points earned from then on
    /// are not redeemable until tomorrow.
    pub fn today_starts(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.zone.start_of(self.zone.date_of(now))
    }
}

/// A membership's points at one moment, as sums over its ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Standing {
    /// Points the member holds and has not reserved.
    pub available: i64,
    /// Points held by redemptions awaiting a decision.
    pub reserved: i64,
    /// Points earned since the start of today (inside `available`).
    pub earned_today: i64,
}

impl Standing {
    /// What a redemption may spend now: points earned today wait until tomorrow.
    pub fn redeemable(&self) -> i64 {
        (self.available - self.earned_today.max(0)).max(0)
    }
}

/// A credit: points earned or granted, expiring at a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    pub points: i64,
    pub expires_at: DateTime<Utc>,
}

/// Points that leave `available` at an expiry run: what is left of the
/// credits due by then. `credited` is every credit ever; `credited_due` those
/// whose expiry has come; everything else that left the balance (spent,
/// reserved, deducted, expired before) consumed the oldest lots first.
pub fn expiring(credited: i64, credited_due: i64, available: i64) -> i64 {
    let consumed = credited - available;
    (credited_due - consumed).clamp(0, available.max(0))
}

/// The soonest expiry still ahead of the balance: how many points and when.
/// `lots` in any order; `consumed` as in [`expiring`].
pub fn next_expiry(lots: &[Lot], consumed: i64) -> Option<(i64, DateTime<Utc>)> {
    let mut sorted: Vec<Lot> = lots.iter().copied().filter(|l| l.points > 0).collect();
    sorted.sort_by_key(|l| l.expires_at);
    let mut before = 0_i64;
    for lot in sorted {
        let after = before + lot.points;
        if after > consumed {
            return Some((after - consumed.max(before), lot.expires_at));
        }
        before = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn purchase(amount: &str, special: bool) -> Purchase {
        Purchase {
            amount: Money::parse(amount, "USD").unwrap(),
            at: t("2026-05-01T10:00:00Z"),
            special_price: special,
        }
    }

    #[test]
    fn earning_is_base_rate_times_multiplier_rounded_down() {
        let p = default_points_program();
        let e = p.earn(&purchase("1234.56", false), "silver", 125);
        assert_eq!(e.points, 1543);
        assert!(e.reason.contains("×1.25"), "{}", e.reason);
        assert_eq!(p.earn(&purchase("0.99", false), "member", 100).points, 0);
        assert_eq!(p.earn(&purchase("5000.00", true), "gold", 150).points, 0);
    }

    #[test]
    fn defaults_are_valid_and_checked() {
        assert!(default_points_program().validate().is_ok());
        let mut p = default_points_program();
        p.points_per_unit = 0;
        p.expiry_months = 0;
        let e = p.validate().unwrap_err();
        assert_eq!(e.fields(), vec!["points_per_unit", "expiry_months"]);
    }

    #[test]
    fn today_is_the_programme_zones_day() {
        let p = default_points_program();
        assert_eq!(
            p.today_starts(t("2026-07-10T21:59:00Z")),
            t("2026-07-09T22:00:00Z")
        );
        assert_eq!(
            p.today_starts(t("2026-07-10T22:00:00Z")),
            t("2026-07-10T22:00:00Z")
        );
    }

    #[test]
    fn expiry_takes_what_is_left_of_the_oldest_lots() {
        // Lots of 100 (due) and 50 (not yet); 30 spent: 70 of the first lot expire.
        assert_eq!(expiring(150, 100, 120), 70);
        // Spent more than the due lot: nothing left of it.
        assert_eq!(expiring(150, 100, 40), 0);
        // Reserved points count as consumed too (available excludes them).
        assert_eq!(expiring(150, 150, 0), 0);
        let lots = [
            Lot {
                points: 50,
                expires_at: t("2027-02-01T00:00:00Z"),
            },
            Lot {
                points: 100,
                expires_at: t("2027-01-01T00:00:00Z"),
            },
        ];
        assert_eq!(
            next_expiry(&lots, 30),
            Some((70, t("2027-01-01T00:00:00Z")))
        );
        assert_eq!(
            next_expiry(&lots, 120),
            Some((30, t("2027-02-01T00:00:00Z")))
        );
        assert_eq!(next_expiry(&lots, 150), None);
    }

    /// One operation of a random ledger history.
    #[derive(Debug, Clone)]
    enum Op {
        Earn(i64),
        Deduct(i64),
        Reserve(i64),
        Commit,
        Release,
        Expire,
        NextDay(u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1..500_i64).prop_map(Op::Earn),
            (1..300_i64).prop_map(Op::Deduct),
            (1..400_i64).prop_map(Op::Reserve),
            Just(Op::Commit),
            Just(Op::Release),
            Just(Op::Expire),
            (1..200_u32).prop_map(Op::NextDay),
        ]
    }

    /// A ledger driven only through the rules above, the way the shell does:
    /// every debit checked against what the rules allow.
    #[derive(Default)]
    struct Model {
        /// (points, held, kind, at day, expires day)
        entries: Vec<(i64, i64, &'static str, u32, Option<u32>)>,
        holds: Vec<i64>,
        day: u32,
    }

    const EXPIRY_DAYS: u32 = 365;

    impl Model {
        fn available(&self) -> i64 {
            self.entries.iter().map(|e| e.0).sum()
        }
        fn reserved(&self) -> i64 {
            self.entries.iter().map(|e| e.1).sum()
        }
        fn credited(&self, due_by: Option<u32>) -> i64 {
            self.entries
                .iter()
                .filter(|e| e.4.is_some_and(|x| due_by.is_none_or(|d| x <= d)))
                .map(|e| e.0)
                .sum()
        }
        fn standing(&self) -> Standing {
            Standing {
                available: self.available(),
                reserved: self.reserved(),
                earned_today: self
                    .entries
                    .iter()
                    .filter(|e| e.2 == "earn" && e.3 == self.day)
                    .map(|e| e.0)
                    .sum(),
            }
        }
        fn push(&mut self, points: i64, held: i64, kind: &'static str, expires: Option<u32>) {
            self.entries.push((points, held, kind, self.day, expires));
        }
        fn apply(&mut self, op: &Op) {
            match *op {
                Op::Earn(n) => self.push(n, 0, "earn", Some(self.day + EXPIRY_DAYS)),
                Op::Deduct(n) if self.available() >= n => self.push(-n, 0, "adjust", None),
                Op::Reserve(n) if self.standing().redeemable() >= n => {
                    self.holds.push(n);
                    self.push(-n, n, "reserve", None);
                }
                Op::Commit => {
                    if let Some(n) = self.holds.pop() {
                        self.push(0, -n, "commit", None);
                    }
                }
                Op::Release => {
                    if let Some(n) = self.holds.pop() {
                        self.push(n, -n, "release", None);
                    }
                }
                Op::Expire => {
                    let n = expiring(
                        self.credited(None),
                        self.credited(Some(self.day)),
                        self.available(),
                    );
                    if n > 0 {
                        self.push(-n, 0, "expire", None);
                    }
                }
                Op::NextDay(d) => self.day += d,
                _ => {}
            }
        }
    }

    proptest! {
        #[test]
        fn ledger_invariants_hold_under_any_history(ops in proptest::collection::vec(op(), 1..120)) {
            let mut m = Model::default();
            for op in &ops {
                let before = m.standing();
                m.apply(op);
                let s = m.standing();
                // Never negative, and reservations are exactly the open holds.
                prop_assert!(s.available >= 0);
                prop_assert_eq!(s.reserved, m.holds.iter().sum::<i64>());
                // Nothing earned today is reserved today.
                if let Op::Reserve(_) = op {
                    prop_assert!(s.available >= s.earned_today.min(before.available));
                }
                // Conservation: every point credited is available, held, or left by a debit.
                let debits: i64 = m.entries.iter().filter(|e| e.0 < 0).map(|e| -e.0).sum();
                let returned: i64 = m.entries.iter().filter(|e| e.2 == "release").map(|e| e.0).sum();
                prop_assert_eq!(m.credited(None) + returned, s.available + debits);
            }
            // After an expiry run, nothing available is older than its lot (FIFO).
            m.apply(&Op::Expire);
            prop_assert!(m.available() <= m.credited(None) - m.credited(Some(m.day)));
            // And a second run the same day expires nothing.
            prop_assert_eq!(expiring(m.credited(None), m.credited(Some(m.day)), m.available()), 0);
            // The soonest expiry is never more than what is available and held.
            let lots: Vec<Lot> = m.entries.iter().filter_map(|e| e.4.map(|d| Lot {
                points: e.0,
                expires_at: DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(i64::from(d)),
            })).collect();
            if let Some((n, _)) = next_expiry(&lots, m.credited(None) - m.available()) {
                prop_assert!(n > 0 && n <= m.available());
            }
        }
    }
}
