//! Money on pages: minor units shown as `12.50 USD`, and amounts typed in major units read back
//! into minor units (the billing services then judge the value: negative, too large, under a
//! tier's price).

use maecenas_types::Currency;

/// Minor units per major unit of `currency` (100 when it is not one Maecenas knows).
fn per_major(currency: &str) -> i64 {
    Currency::parse(currency).map_or(100, |c| c.minor_per_major())
}

/// `cents` of `currency` as `12.50 USD`.
pub(crate) fn show(cents: i64, currency: &str) -> String {
    format!("{} {currency}", major(cents, currency))
}

/// `cents` of `currency` in major units without the code (`12.50`), as a form field holds it.
pub(crate) fn major(cents: i64, currency: &str) -> String {
    let per = per_major(currency);
    let decimals = per.max(1).to_string().len() - 1;
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let per = per.unsigned_abs().max(1);
    if decimals == 0 {
        return format!("{sign}{abs}");
    }
    format!(
        "{sign}{}.{:0decimals$}",
        abs / per,
        abs % per,
        decimals = decimals
    )
}

/// What was typed in an amount field, in minor units of `currency`: `None` when the field is
/// empty. A sign is kept (the billing service refuses negatives with its own message); a number
/// too large for the arithmetic becomes `i64::MAX`, which it refuses as too large.
pub(crate) fn parse(text: &str, currency: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let per = per_major(currency);
    let decimals = per.max(1).to_string().len() - 1;
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || fraction.len() > decimals
    {
        return Err(format!(
            "amount: type a number like 5 or 5.00 (in {currency}, at most {decimals} decimals)"
        ));
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().unwrap_or(i64::MAX)
    };
    let fraction: i64 = format!("{fraction:0<decimals$}").parse().unwrap_or(0);
    let minor = whole.saturating_mul(per).saturating_add(fraction);
    Ok(Some(if negative { -minor } else { minor }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_and_show_in_major_units() {
        assert_eq!(show(1250, "USD"), "12.50 USD");
        assert_eq!(major(5, "EUR"), "0.05");
        assert_eq!(parse("12.5", "USD"), Ok(Some(1250)));
        assert_eq!(parse(" 3 ", "USD"), Ok(Some(300)));
        assert_eq!(parse("", "USD"), Ok(None));
        assert_eq!(parse("-5", "USD"), Ok(Some(-500)));
        assert_eq!(parse("99999999999999999999999", "USD"), Ok(Some(i64::MAX)));
        assert!(parse("1.234", "USD").is_err());
        assert!(parse("5e3", "USD").is_err());
        assert!(parse(".", "USD").is_err());
        assert!(parse("<b>", "USD").is_err());
    }
}
