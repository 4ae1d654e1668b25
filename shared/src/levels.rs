//! Support levels (seed 000 §5.1, SOP-004): L1 general support, L2 VIP
//! specialised support, L3 executive support by the VIP customer success
//! manager, then the VIP programme manager. A ticket starts at a level set by
//! rules at intake and climbs one level each time it stays unresolved for
//! its level's window; the `sla-clock` sweep records each climb once, as a
//! clock event, with a notice to the new owner.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::sla::Span;
use crate::validation::Errors;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    L1,
    L2,
    L3,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::L1 => "L1",
            Level::L2 => "L2",
            Level::L3 => "L3",
        }
    }

    /// The level above, if any.
    pub fn next(self) -> Option<Level> {
        match self {
            Level::L1 => Some(Level::L2),
            Level::L2 => Some(Level::L3),
            Level::L3 => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One level: who owns its tickets, how fast they answer, and how long a
/// ticket may stay unresolved there before it goes up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRule {
    pub owner: String,
    /// The owner's answer time once the ticket reaches this level.
    pub respond: Span,
    /// Unresolved this long at this level (on the ticket's clock), the
    /// ticket goes to the next level.
    pub escalate_after: Span,
}

/// The levels as programme data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportLevels {
    pub l1: LevelRule,
    pub l2: LevelRule,
    pub l3: LevelRule,
    /// Who takes a ticket still unresolved at L3 past its window.
    pub beyond_l3: String,
    /// Where a formal complaint starts (002 §9.3: the customer success manager).
    pub complaint_starts_at: Level,
    /// Where a call to the emergency line starts (000 §5.2).
    pub emergency_starts_at: Level,
    /// A key account's ticket never starts below this level.
    pub key_account_floor: Level,
}

pub fn default_support_levels() -> SupportLevels {
    let rule = |owner: &str, respond: u32, escalate_after: u32| LevelRule {
        owner: owner.into(),
        respond: Span::Minutes(respond),
        escalate_after: Span::Minutes(escalate_after),
    };
    SupportLevels {
        l1: rule("support_team", 240, 120),
        l2: rule("vip_technical_support", 120, 60),
        l3: rule("customer_success_manager", 60, 60),
        beyond_l3: "program_manager".into(),
        complaint_starts_at: Level::L3,
        emergency_starts_at: Level::L3,
        key_account_floor: Level::L2,
    }
}

/// What intake knows that decides the starting level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelFacts {
    pub complaint: bool,
    pub emergency: bool,
    pub key_account: bool,
}

impl SupportLevels {
    pub fn rule(&self, level: Level) -> &LevelRule {
        match level {
            Level::L1 => &self.l1,
            Level::L2 => &self.l2,
            Level::L3 => &self.l3,
        }
    }

    /// The level a ticket starts at, and why.
    pub fn start(&self, facts: LevelFacts) -> (Level, String) {
        let mut level = Level::L1;
        let mut why = vec![];
        if facts.complaint && self.complaint_starts_at > level {
            level = self.complaint_starts_at;
            why.push(format!("a formal complaint starts at {level}"));
        }
        if facts.emergency && self.emergency_starts_at > level {
            level = self.emergency_starts_at;
            why.push(format!("the emergency line starts at {level}"));
        }
        if facts.key_account && self.key_account_floor > level {
            level = self.key_account_floor;
            why.push(format!("a key account is never below {level}"));
        }
        if why.is_empty() {
            why.push("every ticket starts at L1".into());
        }
        (level, why.join("; "))
    }

    /// Where a ticket that started at `start` is now, given the last climb
    /// the sweep recorded (`level.L2`, `level.L3`, `level.beyond`): the level
    /// (`None` past L3) and its owner.
    pub fn current(&self, start: Level, last_climb: Option<&str>) -> (Option<Level>, &str) {
        let level = match last_climb {
            Some("level.L2") => Some(Level::L2.max(start)),
            Some("level.L3") => Some(Level::L3),
            Some("level.beyond") => None,
            _ => Some(start),
        };
        match level {
            Some(l) => (Some(l), &self.rule(l).owner),
            None => (None, &self.beyond_l3),
        }
    }

    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        let owners = [
            ("levels.l1.owner", &self.l1.owner),
            ("levels.l2.owner", &self.l2.owner),
            ("levels.l3.owner", &self.l3.owner),
            ("levels.beyond_l3", &self.beyond_l3),
        ];
        for (field, owner) in owners {
            let ok = (1..=40).contains(&owner.len())
                && owner
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                errors.add(field, "must be 1 to 40 of a-z, 0-9 and _");
            }
        }
        errors.finish(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(complaint: bool, emergency: bool, key_account: bool) -> LevelFacts {
        LevelFacts {
            complaint,
            emergency,
            key_account,
        }
    }

    #[test]
    fn intake_rules_set_the_starting_level_and_say_why() {
        let levels = default_support_levels();
        assert!(levels.validate().is_ok());
        assert_eq!(
            levels.start(facts(false, false, false)),
            (Level::L1, "every ticket starts at L1".to_string())
        );
        assert_eq!(
            levels.start(facts(false, false, true)),
            (Level::L2, "a key account is never below L2".to_string())
        );
        assert_eq!(levels.start(facts(true, false, true)).0, Level::L3);
        assert_eq!(
            levels.start(facts(false, true, false)).1,
            "the emergency line starts at L3"
        );
    }

    #[test]
    fn the_seed_windows_and_owners_are_the_defaults() {
        let levels = default_support_levels();
        assert_eq!(levels.l1.respond, Span::Minutes(240));
        assert_eq!(levels.l1.escalate_after, Span::Minutes(120));
        assert_eq!(levels.l2.escalate_after, Span::Minutes(60));
        assert_eq!(
            levels.current(Level::L1, Some("level.L2")),
            (Some(Level::L2), "vip_technical_support")
        );
        assert_eq!(
            levels.current(Level::L2, Some("level.beyond")),
            (None, "program_manager")
        );
        assert_eq!(
            levels.current(Level::L1, None),
            (Some(Level::L1), "support_team")
        );
        assert_eq!(
            levels.current(Level::L1, Some("level.L3")),
            (Some(Level::L3), "customer_success_manager")
        );
        assert_eq!(
            levels.current(Level::L3, Some("level.beyond")),
            (None, "program_manager")
        );
        let json = serde_json::to_value(&levels).unwrap();
        assert_eq!(json["l3"]["escalate_after"], "1h");
        assert_eq!(json["key_account_floor"], "L2");
    }
}
