//! A named IANA time zone (`Europe/Madrid`), the only way the domain turns an
//! instant into a local date: "today", windows by month, business days.
//! Zone data is compiled in (chrono-tz), since WASI has no zoneinfo.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Zone {
    /// The default business zone (seed 002: peninsular Spanish time).
    pub const EUROPE_MADRID: Zone = Zone(chrono_tz::Europe::Madrid);

    pub fn parse(name: &str) -> Result<Self, String> {
        name.parse::<Tz>()
            .map(Zone)
            .map_err(|_| format!("`{name}` is not an IANA time zone name (like Europe/Madrid)"))
    }

    /// The zone itself, for conversions of local times.
    pub fn tz(&self) -> Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The local calendar date of an instant.
    pub fn date_of(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.0).date_naive()
    }

    /// The first instant of a local date. A day that starts inside a DST gap
    /// starts at the first local time that exists.
    pub fn start_of(&self, date: NaiveDate) -> DateTime<Utc> {
        let mut local = date.and_time(chrono::NaiveTime::MIN);
        for _ in 0..=24 * 4 {
            if let Some(t) = self.0.from_local_datetime(&local).earliest() {
                return t.with_timezone(&Utc);
            }
            local += chrono::Duration::minutes(15);
        }
        // No zone skips a whole day at midnight; fall back to UTC midnight.
        date.and_time(chrono::NaiveTime::MIN).and_utc()
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Zone::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_days_follow_the_zone_across_dst() {
        let madrid = Zone::parse("Europe/Madrid").unwrap();
        // 23:30 UTC on 31 March is already 1 April in Madrid (UTC+2).
        let t = "2026-03-31T23:30:00Z".parse().unwrap();
        assert_eq!(
            madrid.date_of(t),
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
        );
        let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(); // the spring-forward day
        assert_eq!(
            madrid.start_of(day).to_rfc3339(),
            "2026-03-28T23:00:00+00:00"
        );
        assert!(Zone::parse("Mars/Olympus").is_err());
        assert_eq!(serde_json::to_string(&madrid).unwrap(), "\"Europe/Madrid\"");
    }
}
