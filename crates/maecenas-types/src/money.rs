//! Money: integer minor units plus an ISO 4217 currency. No floating point anywhere.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a currency code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported currency {0:?}")]
pub struct UnsupportedCurrency(pub String);

/// The ISO 4217 currencies Maecenas handles, with their minor-unit exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Currency {
    /// Euro.
    Eur,
    /// US dollar.
    Usd,
    /// Russian rouble.
    Rub,
    /// Brazilian real.
    Brl,
    /// Turkish lira.
    Try,
    /// Pound sterling.
    Gbp,
    /// Ukrainian hryvnia.
    Uah,
    /// Kazakhstani tenge.
    Kzt,
    /// Belarusian rouble.
    Byn,
    /// Polish zloty.
    Pln,
}

impl Currency {
    /// Every supported currency.
    pub const ALL: [Self; 10] = [
        Self::Eur,
        Self::Usd,
        Self::Rub,
        Self::Brl,
        Self::Try,
        Self::Gbp,
        Self::Uah,
        Self::Kzt,
        Self::Byn,
        Self::Pln,
    ];

    /// The three-letter ISO code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Eur => "EUR",
            Self::Usd => "USD",
            Self::Rub => "RUB",
            Self::Brl => "BRL",
            Self::Try => "TRY",
            Self::Gbp => "GBP",
            Self::Uah => "UAH",
            Self::Kzt => "KZT",
            Self::Byn => "BYN",
            Self::Pln => "PLN",
        }
    }

    /// Parses a code, case-insensitively.
    pub fn parse(code: &str) -> Result<Self, UnsupportedCurrency> {
        Self::ALL
            .into_iter()
            .find(|c| c.code().eq_ignore_ascii_case(code.trim()))
            .ok_or_else(|| UnsupportedCurrency(code.to_owned()))
    }

    /// Minor units per major unit (all supported currencies use two decimals).
    pub fn minor_per_major(self) -> i64 {
        100
    }
}

impl TryFrom<String> for Currency {
    type Error = UnsupportedCurrency;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for &'static str {
    fn from(value: Currency) -> Self {
        value.code()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money in minor units (cents, kopecks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Amount in minor units.
    pub amount_minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// A new amount.
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Self {
            amount_minor,
            currency,
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per = self.currency.minor_per_major();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        let per = per.unsigned_abs();
        write!(f, "{sign}{}.{:02} {}", abs / per, abs % per, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(Currency::parse("rub").unwrap(), Currency::Rub);
        assert!(Currency::parse("XXX").is_err());
        assert_eq!(Money::new(12_345, Currency::Eur).to_string(), "123.45 EUR");
        assert_eq!(Money::new(-5, Currency::Usd).to_string(), "-0.05 USD");
    }
}
