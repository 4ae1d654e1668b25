//! T-Points (docs/domain.md §10 "T-Points"; seed 002 §4, §8.3, §12): the
//! service points customers buy in packs and spend on change requests (EVO)
//! and training (FOR). Kept apart from the loyalty points of §3: a different
//! ledger, a different unit, never converted.
//!
//! Amounts are held in hundredths of a T-Point, so a contingency of 15 % on
//! 7 points is exact; the programme says whether customers are quoted whole
//! points only (the default) and every addition is rounded up to that step.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::money::{Currency, Money};
use crate::validation::Errors;

/// An amount of T-Points, never negative, in hundredths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TPoints(i64);

/// Hundredths in one T-Point.
const SCALE: i64 = 100;
/// The largest amount accepted: a guard against overflow in sums, far above
/// any pack or estimate.
const MAX_POINTS: i64 = 10_000_000;

impl TPoints {
    pub const ZERO: TPoints = TPoints(0);

    pub fn whole(points: u32) -> TPoints {
        TPoints(i64::from(points) * SCALE)
    }

    /// From stored hundredths; `None` if negative.
    pub fn from_hundredths(h: i64) -> Option<TPoints> {
        (h >= 0).then_some(TPoints(h))
    }

    pub fn hundredths(self) -> i64 {
        self.0
    }

    pub fn is_whole(self) -> bool {
        self.0 % SCALE == 0
    }

    pub fn saturating_add(self, other: TPoints) -> TPoints {
        TPoints(self.0.saturating_add(other.0))
    }

    pub fn saturating_sub(self, other: TPoints) -> TPoints {
        TPoints((self.0 - other.0).max(0))
    }

    /// `percent` % of this amount, rounded up to `step`.
    pub fn percent_up(self, percent: u32, step: Step) -> TPoints {
        let exact = self.0 * i64::from(percent);
        let hundredths = (exact + 99) / 100;
        TPoints(hundredths).round_up(step)
    }

    /// Rounded up to the next multiple of `step`.
    pub fn round_up(self, step: Step) -> TPoints {
        let s = step.hundredths();
        TPoints((self.0 + s - 1) / s * s)
    }

    /// Whether the amount is a multiple of `step`.
    pub fn fits(self, step: Step) -> bool {
        self.0 % step.hundredths() == 0
    }

    /// How many blocks of `size` this amount starts (a part block counts).
    pub fn blocks_of(self, size: TPoints) -> i64 {
        if size.0 == 0 {
            0
        } else {
            (self.0 + size.0 - 1) / size.0
        }
    }

    pub fn times(self, n: i64) -> TPoints {
        TPoints(self.0.saturating_mul(n.max(0)))
    }
}

impl std::fmt::Display for TPoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_whole() {
            write!(f, "{}", self.0 / SCALE)
        } else {
            let text = format!("{}.{:02}", self.0 / SCALE, self.0 % SCALE);
            f.write_str(text.trim_end_matches('0'))
        }
    }
}

impl Serialize for TPoints {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.is_whole() {
            s.serialize_i64(self.0 / SCALE)
        } else {
            s.serialize_f64(self.0 as f64 / SCALE as f64)
        }
    }
}

impl<'de> Deserialize<'de> for TPoints {
    /// A JSON number, not negative, with at most two decimals; whether a
    /// fraction is allowed at all is the programme's (`Step`), checked where
    /// the amount is used.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(d)?;
        parse(value).map_err(serde::de::Error::custom)
    }
}

fn parse(value: f64) -> Result<TPoints, &'static str> {
    if !value.is_finite() || value < 0.0 {
        return Err("T-Points must not be negative");
    }
    if value > MAX_POINTS as f64 {
        return Err("T-Points must be at most 10000000");
    }
    let hundredths = (value * SCALE as f64).round();
    if (value * SCALE as f64 - hundredths).abs() > 1e-6 {
        return Err("T-Points have at most two decimals");
    }
    Ok(TPoints(hundredths as i64))
}

/// The smallest amount the programme quotes: whole T-Points or hundredths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Whole,
    Hundredth,
}

impl Step {
    pub fn of(whole_points: bool) -> Step {
        if whole_points {
            Step::Whole
        } else {
            Step::Hundredth
        }
    }

    fn hundredths(self) -> i64 {
        match self {
            Step::Whole => SCALE,
            Step::Hundredth => 1,
        }
    }

    /// Adds an error for `field` if `amount` is finer than this step.
    pub fn check(self, errors: &mut Errors, field: &str, amount: TPoints) {
        if !amount.fits(self) {
            errors.add(
                field,
                "must be whole T-Points (the programme's whole_points is true)",
            );
        }
    }
}

/// A pack of T-Points a customer bought (002 §12): its size, what it cost,
/// when, and until when it may be used, if it expires.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackInput {
    pub points: TPoints,
    pub price_minor: i64,
    pub currency: String,
    pub bought_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub reference: Option<String>,
}

/// A checked pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pack {
    pub points: TPoints,
    pub price: Money,
    pub bought_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub reference: Option<String>,
}

impl PackInput {
    /// A pack of more than zero points in the programme's step, a price not
    /// negative in a known currency, bought not after `now`, expiring after
    /// it was bought.
    pub fn check(self, step: Step, now: DateTime<Utc>) -> Result<Pack, Errors> {
        let mut errors = Errors::new();
        if self.points == TPoints::ZERO {
            errors.add("points", "must be more than 0");
        }
        step.check(&mut errors, "points", self.points);
        let currency = Currency::parse(&self.currency).ok();
        if currency.is_none() {
            errors.add("currency", "must be an ISO 4217 code such as EUR");
        }
        if self.price_minor < 0 {
            errors.add("price_minor", "must not be negative");
        }
        if self.bought_at > now {
            errors.add("bought_at", "must not be in the future");
        }
        if self.expires_at.is_some_and(|e| e <= self.bought_at) {
            errors.add("expires_at", "must be after bought_at");
        }
        if self
            .reference
            .as_ref()
            .is_some_and(|r| r.trim().is_empty() || r.chars().count() > 100)
        {
            errors.add("reference", "1 to 100 characters");
        }
        let price = currency.map(|c| Money::from_minor(self.price_minor, c));
        match (errors.is_empty(), price) {
            (true, Some(price)) => Ok(Pack {
                points: self.points,
                price,
                bought_at: self.bought_at,
                expires_at: self.expires_at,
                reference: self.reference.map(|r| r.trim().to_string()),
            }),
            _ => Err(errors),
        }
    }
}

/// A customer's T-Points: what they can commit now, what accepted work holds,
/// what was spent, bought, and lost with packs that expired. `available`
/// never goes below zero: every entry that takes points is written only if
/// they are there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Balance {
    pub available: TPoints,
    pub reserved: TPoints,
    pub spent: TPoints,
    pub bought: TPoints,
    pub expired: TPoints,
}

/// Why an acceptance cannot hold the points: what there is and what is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    pub available: TPoints,
    pub needed: TPoints,
    pub missing: TPoints,
}

impl Balance {
    /// `Ok` if `needed` can be held now, else the shortfall.
    pub fn hold(&self, needed: TPoints) -> Result<(), Shortfall> {
        if self.available >= needed {
            Ok(())
        } else {
            Err(Shortfall {
                available: self.available,
                needed,
                missing: needed.saturating_sub(self.available),
            })
        }
    }
}

/// One ledger movement: its effect on the available and the reserved
/// amounts, in hundredths (an entry is append-only; the balance is their sum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Movement {
    pub entry: Entry,
    pub available: i64,
    pub reserved: i64,
}

/// The kinds of ledger entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// A pack bought: adds to available.
    Pack,
    /// Accepted work holds its points: available to reserved.
    Reserve,
    /// Cancelled or re-estimated work gives them back: reserved to available.
    Release,
    /// Validated work uses them: reserved to spent.
    Spend,
    /// An estimate made for a customer on the paid-estimates list: available to spent.
    Fee,
    /// What was left of a pack past its expiry: out of available.
    Expire,
}

impl Entry {
    pub fn as_str(self) -> &'static str {
        match self {
            Entry::Pack => "pack",
            Entry::Reserve => "reserve",
            Entry::Release => "release",
            Entry::Spend => "spend",
            Entry::Fee => "fee",
            Entry::Expire => "expire",
        }
    }

    /// This entry for `amount`.
    pub fn of(self, amount: TPoints) -> Movement {
        let a = amount.hundredths();
        let (available, reserved) = match self {
            Entry::Pack => (a, 0),
            Entry::Reserve => (-a, a),
            Entry::Release => (a, -a),
            Entry::Spend => (0, -a),
            Entry::Fee | Entry::Expire => (-a, 0),
        };
        Movement {
            entry: self,
            available,
            reserved,
        }
    }
}

/// A pack as the expiry sees it: its points, when it expires (if it does)
/// and what of it has already expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    pub pack_id: i64,
    pub points: TPoints,
    pub bought_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub expired: TPoints,
}

/// What expires at `as_of` of a customer's `lots`, given the points they
/// have `used` (reserved, spent or charged, net of releases): points are
/// taken from the pack that expires soonest first (packs without expiry
/// last), so what is left of a pack past its expiry, and not yet expired,
/// expires now. Each pair is a pack and the points it loses.
pub fn expiring(lots: &[Lot], used: TPoints, as_of: DateTime<Utc>) -> Vec<(i64, TPoints)> {
    let mut order: Vec<&Lot> = lots.iter().collect();
    order.sort_by_key(|l| (l.expires_at.is_none(), l.expires_at, l.bought_at, l.pack_id));
    let mut to_allocate = used;
    let mut out = Vec::new();
    for lot in order {
        let usable = lot.points.saturating_sub(lot.expired);
        let taken = usable.min(to_allocate);
        to_allocate = to_allocate.saturating_sub(taken);
        let left = usable.saturating_sub(taken);
        if lot.expires_at.is_some_and(|e| e <= as_of) && left > TPoints::ZERO {
            out.push((lot.pack_id, left));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_with_at_most_two_decimals_and_never_negative() {
        let p = |v: &str| serde_json::from_str::<TPoints>(v).map_err(|e| e.to_string());
        assert_eq!(p("12"), Ok(TPoints::whole(12)));
        assert_eq!(p("0.25").map(TPoints::hundredths), Ok(25));
        assert!(p("-1").unwrap_err().contains("negative"));
        assert!(p("1.234").unwrap_err().contains("two decimals"));
        assert_eq!(serde_json::to_string(&TPoints::whole(3)).unwrap(), "3");
        assert_eq!(serde_json::to_string(&TPoints(150)).unwrap(), "1.5");
        assert_eq!(TPoints(105).to_string(), "1.05");
        assert_eq!(TPoints(150).to_string(), "1.5");
    }

    #[test]
    fn percentages_round_up_to_the_step() {
        let seven = TPoints::whole(7);
        assert_eq!(seven.percent_up(15, Step::Whole), TPoints::whole(2));
        assert_eq!(seven.percent_up(15, Step::Hundredth), TPoints(105));
        assert_eq!(
            TPoints::whole(20).percent_up(10, Step::Whole),
            TPoints::whole(2)
        );
        assert_eq!(seven.percent_up(0, Step::Whole), TPoints::ZERO);
        assert_eq!(TPoints::whole(41).blocks_of(TPoints::whole(20)), 3);
        assert_eq!(TPoints::whole(40).blocks_of(TPoints::whole(20)), 2);
    }

    #[test]
    fn a_pack_names_each_bad_field() {
        let now = "2026-12-01T10:00:00Z".parse().unwrap();
        let bad = PackInput {
            points: TPoints(150),
            price_minor: -1,
            currency: "EURO".into(),
            bought_at: "2026-12-02T10:00:00Z".parse().unwrap(),
            expires_at: Some("2026-12-01T10:00:00Z".parse().unwrap()),
            reference: Some(" ".into()),
        };
        let errors = bad.check(Step::Whole, now).unwrap_err();
        assert_eq!(
            errors.fields(),
            [
                "points",
                "currency",
                "price_minor",
                "bought_at",
                "expires_at",
                "reference"
            ]
        );
    }

    #[test]
    fn every_entry_keeps_the_total_of_available_reserved_and_spent() {
        let a = TPoints::whole(5);
        let spent = |e: Entry| match e {
            Entry::Spend | Entry::Fee | Entry::Expire => 500,
            _ => 0,
        };
        for e in [
            Entry::Reserve,
            Entry::Release,
            Entry::Spend,
            Entry::Fee,
            Entry::Expire,
        ] {
            let m = e.of(a);
            assert_eq!(m.available + m.reserved + spent(e), 0, "{e:?}");
        }
        let short = Balance {
            available: TPoints::whole(5),
            ..Balance::default()
        }
        .hold(TPoints::whole(12))
        .unwrap_err();
        assert_eq!(short.missing, TPoints::whole(7));
    }

    #[test]
    fn what_is_left_of_a_pack_past_its_expiry_expires_soonest_first() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let lot = |id, points, expires: Option<&str>| Lot {
            pack_id: id,
            points: TPoints::whole(points),
            bought_at: t("2026-01-01T00:00:00Z"),
            expires_at: expires.map(t),
            expired: TPoints::ZERO,
        };
        let lots = [lot(1, 10, None), lot(2, 10, Some("2026-06-30T22:00:00Z"))];
        let (before, after) = (t("2026-06-30T21:59:59Z"), t("2026-06-30T22:00:00Z"));
        // 4 used come out of the pack that expires first: 6 of it expire.
        assert_eq!(expiring(&lots, TPoints::whole(4), before), []);
        assert_eq!(
            expiring(&lots, TPoints::whole(4), after),
            [(2, TPoints::whole(6))]
        );
        // Once recorded, nothing more; all used up, nothing at all.
        let mut done = lots.clone();
        done[1].expired = TPoints::whole(6);
        assert_eq!(expiring(&done, TPoints::whole(4), after), []);
        assert_eq!(expiring(&lots, TPoints::whole(20), after), []);
        // Points released back after the pack expired expire too.
        assert_eq!(
            expiring(&done, TPoints::whole(1), after),
            [(2, TPoints::whole(3))]
        );
    }
}
