//! Money in integer minor units (cents) with a currency. Never `f64`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO-4217 currency code of three ASCII upper-case letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// US dollars, the default currency of a mall.
    pub const USD: Currency = Currency(*b"USD");

    /// Parses a three-letter code, case-insensitively.
    pub fn parse(code: &str) -> Option<Self> {
        let bytes = code.trim().as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        Some(Currency([
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ]))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::USD
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value).ok_or_else(|| format!("invalid currency code `{value}`"))
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> Self {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money: minor units and a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Money {
    /// Minor units (cents). May be negative only for deltas and refunds.
    pub cents: i64,
    /// The currency of the amount.
    pub currency: Currency,
}

impl Money {
    /// An amount in the given currency.
    pub const fn new(cents: i64, currency: Currency) -> Self {
        Self { cents, currency }
    }

    /// An amount in US dollars.
    pub const fn usd(cents: i64) -> Self {
        Self::new(cents, Currency::USD)
    }

    /// Zero in the given currency.
    pub const fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// Sum of two amounts of one currency; `None` on a currency mismatch or overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        self.cents
            .checked_add(other.cents)
            .map(|c| Money::new(c, self.currency))
    }

    /// Difference of two amounts of one currency; `None` on a currency mismatch or overflow.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        self.cents
            .checked_sub(other.cents)
            .map(|c| Money::new(c, self.currency))
    }

    /// The amount times a quantity; `None` on overflow.
    pub fn checked_mul(self, quantity: i64) -> Option<Money> {
        self.cents
            .checked_mul(quantity)
            .map(|c| Money::new(c, self.currency))
    }

    /// Whether the amount is negative.
    pub const fn is_negative(&self) -> bool {
        self.cents < 0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        write!(f, "{sign}{}.{:02} {}", abs / 100, abs % 100, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_same_currency_and_refuses_mixed() {
        let eur = Currency::parse("eur").unwrap();
        assert_eq!(
            Money::usd(150).checked_add(Money::usd(50)),
            Some(Money::usd(200))
        );
        assert_eq!(Money::usd(1).checked_add(Money::new(1, eur)), None);
        assert_eq!(Money::usd(i64::MAX).checked_add(Money::usd(1)), None);
    }

    #[test]
    fn displays_in_major_units() {
        assert_eq!(Money::usd(1999).to_string(), "19.99 USD");
        assert_eq!(Money::usd(-5).to_string(), "-0.05 USD");
    }

    #[test]
    fn currency_serializes_as_code() {
        let json = serde_json::to_string(&Money::usd(5)).unwrap();
        assert_eq!(json, r#"{"cents":5,"currency":"USD"}"#);
        assert!(serde_json::from_str::<Money>(r#"{"cents":5,"currency":"US"}"#).is_err());
    }
}
