//! Money as integer minor units plus an ISO 4217 currency: never a float.
//!
//! On the wire an amount is a decimal *string* (`{"amount": "500.01",
//! "currency": "USD"}`), so no JSON parser ever rounds it through `f64`; more
//! decimals than the currency has (`"1.005"` USD) is an error, not a rounding.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ISO 4217 alphabetic code: three uppercase ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// The programme's default currency (the seed's `$500.00`).
    pub const USD: Currency = Currency(*b"USD");

    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => {
                Ok(Currency([*a, *b, *c]))
            }
            _ => Err(MoneyError::Currency(code.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        // Three ASCII uppercase letters are always valid UTF-8.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point (ISO 4217 minor unit).
    pub fn exponent(&self) -> u32 {
        match self.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// Why an amount or currency is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    Currency(String),
    Amount(String),
    TooManyDecimals {
        amount: String,
        currency: String,
        exponent: u32,
    },
    Overflow(String),
    CurrencyMismatch {
        left: String,
        right: String,
    },
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::Currency(c) => write!(
                f,
                "`{c}` is not an ISO 4217 currency code (three uppercase letters)"
            ),
            MoneyError::Amount(a) => write!(f, "`{a}` is not a decimal amount like \"500.00\""),
            MoneyError::TooManyDecimals {
                amount,
                currency,
                exponent,
            } => {
                write!(
                    f,
                    "`{amount}` has more than {exponent} decimals, the most {currency} allows"
                )
            }
            MoneyError::Overflow(a) => write!(f, "`{a}` is too large"),
            MoneyError::CurrencyMismatch { left, right } => {
                write!(f, "cannot compare {left} with {right}")
            }
        }
    }
}

impl std::error::Error for MoneyError {}

/// An amount in integer minor units of a currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// Parses a decimal string (`"500"`, `"500.5"`, `"-3.25"`) in a currency.
    pub fn parse(amount: &str, currency: &str) -> Result<Self, MoneyError> {
        let currency = Currency::parse(currency)?;
        let exponent = currency.exponent();
        let bad = || MoneyError::Amount(amount.to_string());
        let (negative, digits) = match amount.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, amount),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) if !f.is_empty() => (w, f),
            Some(_) => return Err(bad()),
            None => (digits, ""),
        };
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        if fraction.len() > exponent as usize {
            return Err(MoneyError::TooManyDecimals {
                amount: amount.to_string(),
                currency: currency.to_string(),
                exponent,
            });
        }
        let overflow = || MoneyError::Overflow(amount.to_string());
        let scale = 10i64.checked_pow(exponent).ok_or_else(overflow)?;
        let whole: i64 = whole.parse().map_err(|_| overflow())?;
        let padded = format!("{fraction:0<width$}", width = exponent as usize);
        let fraction: i64 = if padded.is_empty() {
            0
        } else {
            padded.parse().map_err(|_| bad())?
        };
        let minor = whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(fraction))
            .ok_or_else(overflow)?;
        Ok(Money {
            minor: if negative { -minor } else { minor },
            currency,
        })
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    pub fn is_negative(&self) -> bool {
        self.minor < 0
    }

    /// Compares two amounts of the same currency; different currencies are an error, never a guess.
    pub fn compare(&self, other: &Money) -> Result<Ordering, MoneyError> {
        self.same_currency(other)?;
        Ok(self.minor.cmp(&other.minor))
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency.to_string(),
                right: other.currency.to_string(),
            })
        }
    }

    /// The sum; different currencies or an overflow are errors.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or_else(|| MoneyError::Overflow(format!("{self} + {other}")))?;
        Ok(Money::from_minor(minor, self.currency.clone()))
    }

    /// `self - other`, or zero when `other` is larger ("how much is still needed").
    pub fn saturating_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.saturating_sub(other.minor).max(0);
        Ok(Money::from_minor(minor, self.currency.clone()))
    }

    /// The amount as a decimal string with exactly the currency's decimals.
    pub fn amount_string(&self) -> String {
        let exponent = self.currency.exponent();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(exponent);
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = exponent as usize
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyWire {
    amount: String,
    currency: String,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MoneyWire {
            amount: self.amount_string(),
            currency: self.currency.to_string(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = MoneyWire::deserialize(d)?;
        Money::parse(&wire.amount, &wire.currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd(a: &str) -> Money {
        Money::parse(a, "USD").unwrap()
    }

    #[test]
    fn parses_decimal_strings_exactly() {
        assert_eq!(usd("500").minor(), 50000);
        assert_eq!(usd("500.5").minor(), 50050);
        assert_eq!(usd("500.01").minor(), 50001);
        assert_eq!(usd("-3.25").minor(), -325);
        assert_eq!(Money::parse("1500", "JPY").unwrap().minor(), 1500);
        assert_eq!(Money::parse("1.234", "KWD").unwrap().minor(), 1234);
    }

    #[test]
    fn refuses_what_is_not_an_exact_amount() {
        for bad in ["", "abc", "1.", ".5", "1,00", "1e3", "+1", "1.2.3", " 1"] {
            assert!(
                matches!(Money::parse(bad, "USD"), Err(MoneyError::Amount(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            Money::parse("1.005", "USD"),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        assert!(matches!(
            Money::parse("1.5", "JPY"),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        assert!(matches!(
            Money::parse("99999999999999999999", "USD"),
            Err(MoneyError::Overflow(_))
        ));
        for bad in ["usd", "US", "USDX", "U$D"] {
            assert!(
                matches!(Money::parse("1", bad), Err(MoneyError::Currency(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn comparing_different_currencies_is_an_error() {
        let eur = Money::parse("1", "EUR").unwrap();
        assert!(matches!(
            usd("1").compare(&eur),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
        assert_eq!(usd("500.01").compare(&usd("500.00")), Ok(Ordering::Greater));
    }

    #[test]
    fn wire_format_is_a_decimal_string() {
        let m: Money = serde_json::from_str(r#"{"amount":"500.10","currency":"USD"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"amount":"500.10","currency":"USD"}"#
        );
        assert!(serde_json::from_str::<Money>(r#"{"amount":500.1,"currency":"USD"}"#).is_err());
        assert_eq!(
            Money::parse("-0.05", "USD").unwrap().to_string(),
            "-0.05 USD"
        );
    }

    #[test]
    fn arithmetic_stays_in_one_currency() {
        assert_eq!(usd("1.50").checked_add(&usd("2.75")), Ok(usd("4.25")));
        assert_eq!(usd("5").saturating_sub(&usd("7")), Ok(usd("0")));
        assert_eq!(usd("7").saturating_sub(&usd("5")), Ok(usd("2")));
        let eur = Money::parse("1", "EUR").unwrap();
        assert!(usd("1").checked_add(&eur).is_err());
        let max = Money::from_minor(i64::MAX, Currency::USD);
        assert!(matches!(
            max.checked_add(&usd("0.01")),
            Err(MoneyError::Overflow(_))
        ));
    }

    proptest! {
        #[test]
        fn amount_string_round_trips(minor in -1_000_000_000_000i64..1_000_000_000_000i64) {
            let m = Money::from_minor(minor, Currency::parse("USD").unwrap());
            prop_assert_eq!(Money::parse(&m.amount_string(), "USD").unwrap(), m);
        }
    }
}
