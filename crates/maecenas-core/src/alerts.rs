//! Stream alerts: sandbox donations (`maecenas sandbox donation`) and the settings page's test
//! alert, each stored with its `donation:create` event in one transaction (through the
//! group-committing [`DonationWriter`]) so the real-time outbox publishes it (nothing here
//! publishes); the alert overlay's secret (random 256 bits,
//! stored as its hash, shown once, regenerable) and its sound setting; marking an alert shown.

use maecenas_store::{
    Store, StoreError,
    entities::{alert_widget, donation, user},
    money::NewDonation,
};
use maecenas_types::{Currency, Email, SecretToken, SharedClock};

use crate::donations::DonationWriter;

/// Longest donor name accepted, in characters.
pub const MAX_USERNAME_CHARS: usize = 64;
/// Longest message accepted, in characters (DonationAlerts' custom alerts allow 300).
pub const MAX_MESSAGE_CHARS: usize = 300;
/// Largest amount accepted, in major units.
pub const MAX_AMOUNT_MAJOR: i64 = 1_000_000;

/// A sandbox donation as a person typed it.
#[derive(Debug, Clone)]
pub struct SandboxDonation {
    /// The recipient's e-mail address.
    pub to: String,
    /// The amount in major units of `currency` (`500`, `12.50`): what the DonationAlerts API
    /// reports as `amount`.
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The donor's name; empty for an anonymous donation (`username: null`).
    pub username: String,
    pub message: String,
}

/// Why an alert could not be made. Each message is fit to show the person.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// A field was refused; the message says which and why.
    #[error("{field}: {message}")]
    Invalid {
        /// The option or form field at fault.
        field: &'static str,
        /// What to fix.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> AlertError {
    AlertError::Invalid {
        field,
        message: message.into(),
    }
}

/// The alerts service.
#[derive(Debug, Clone)]
pub struct Alerts {
    store: Store,
    clock: SharedClock,
    donations: DonationWriter,
}

impl Alerts {
    /// A service over `store`, reading time from `clock`, storing donations through its own
    /// group-committing writer.
    pub fn new(store: Store, clock: SharedClock) -> Self {
        Self {
            donations: DonationWriter::new(store.clone()),
            store,
            clock,
        }
    }

    /// The donation writer this service stores through, for other paths that create donations
    /// (one writer per process batches best).
    pub fn donation_writer(&self) -> &DonationWriter {
        &self.donations
    }

    /// Validates and records a sandbox donation with its event. Nothing is written unless every
    /// field is valid.
    pub async fn sandbox_donation(
        &self,
        request: SandboxDonation,
    ) -> Result<donation::Model, AlertError> {
        let email = Email::parse(&request.to).map_err(|e| invalid("to", e.to_string()))?;
        let currency =
            Currency::parse(&request.currency).map_err(|e| invalid("currency", e.to_string()))?;
        let amount_minor = parse_major(&request.amount, currency)?;
        let username = request.username.trim().to_owned();
        if username.chars().count() > MAX_USERNAME_CHARS {
            return Err(invalid(
                "username",
                format!("at most {MAX_USERNAME_CHARS} characters"),
            ));
        }
        if request.message.chars().count() > MAX_MESSAGE_CHARS {
            return Err(invalid(
                "message",
                format!("at most {MAX_MESSAGE_CHARS} characters"),
            ));
        }
        let recipient = self
            .store
            .user_by_email(email.as_str())
            .await?
            .ok_or_else(|| invalid("to", format!("no account with e-mail {}", email.as_str())))?;
        let donation = Donation {
            username,
            message: request.message,
            amount_minor,
            currency,
            payin_system: "sandbox",
            donor_user_id: None,
        };
        self.record(&recipient, donation).await
    }

    /// A test alert for `recipient`'s overlay: a donation of 100 in their currency, with no
    /// payment system (`payin_system: null`, as DonationAlerts' test alerts have), recorded
    /// and published like any other.
    pub async fn test_alert(&self, recipient: &user::Model) -> Result<donation::Model, AlertError> {
        let currency = self.user_currency(recipient.id).await?;
        let donation = Donation {
            username: "Maecenas".to_owned(),
            message: "This is a test alert.".to_owned(),
            amount_minor: 100 * currency.minor_per_major(),
            currency,
            payin_system: "",
            donor_user_id: None,
        };
        self.record(recipient, donation).await
    }

    /// The currency `user_id` is paid out in: their campaign's, else US dollars.
    async fn user_currency(&self, user_id: i64) -> Result<Currency, AlertError> {
        Ok(self
            .store
            .campaign_by_creator(user_id)
            .await?
            .and_then(|c| Currency::parse(&c.currency).ok())
            .unwrap_or(Currency::Usd))
    }

    pub(crate) async fn record(
        &self,
        recipient: &user::Model,
        d: Donation,
    ) -> Result<donation::Model, AlertError> {
        let new = self.new_donation(recipient, d).await?;
        Ok(self.donations.create(new).await?)
    }

    /// Gives `user_id`'s overlay a new secret, returned to show once; the old URL stops working.
    pub async fn regenerate_widget_secret(
        &self,
        user_id: i64,
    ) -> Result<(SecretToken, alert_widget::Model), AlertError> {
        let secret = SecretToken::generate();
        let row = self
            .store
            .replace_alert_widget_secret(user_id, &secret.hash().0, self.clock.now())
            .await?;
        Ok((secret, row))
    }

    /// The overlay whose URL carries `secret`, and its owner.
    pub async fn widget_by_secret(
        &self,
        secret: &str,
    ) -> Result<Option<(alert_widget::Model, user::Model)>, AlertError> {
        // Only what could be one of our secrets is looked up.
        if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hash = SecretToken::from_presented(secret).hash();
        let Some(widget) = self.store.alert_widget_by_secret_hash(&hash.0).await? else {
            return Ok(None);
        };
        let Some(owner) = self.store.user_by_id(widget.user_id).await? else {
            return Ok(None);
        };
        Ok(Some((widget, owner)))
    }

    /// `user_id`'s overlay, if they made one.
    pub async fn widget_of(&self, user_id: i64) -> Result<Option<alert_widget::Model>, AlertError> {
        Ok(self.store.alert_widget_of(user_id).await?)
    }

    /// Turns the overlay's sound on or off; false when there is no overlay yet.
    pub async fn set_sound(&self, user_id: i64, sound: bool) -> Result<bool, AlertError> {
        Ok(self.store.set_alert_widget_sound(user_id, sound).await?)
    }

    /// Marks `recipient`'s donation `id` shown now (the first showing's time stays); `None` when
    /// it is not a donation to them.
    pub async fn mark_shown(
        &self,
        recipient_user_id: i64,
        id: i64,
    ) -> Result<Option<donation::Model>, AlertError> {
        Ok(self
            .store
            .mark_donation_shown(recipient_user_id, id, self.clock.now())
            .await?)
    }
}

impl Alerts {
    /// The row to store for `d` to `recipient`, converted into their currency, made now.
    pub(crate) async fn new_donation(
        &self,
        recipient: &user::Model,
        d: Donation,
    ) -> Result<NewDonation, AlertError> {
        let user_currency = self.user_currency(recipient.id).await?;
        Ok(NewDonation {
            recipient_user_id: recipient.id,
            donor_user_id: d.donor_user_id,
            username: d.username,
            message: d.message,
            amount_cents: d.amount_minor,
            currency: d.currency.code().to_owned(),
            amount_in_user_currency_cents: sandbox_convert(
                d.amount_minor,
                d.currency,
                user_currency,
            ),
            payin_system: d.payin_system.to_owned(),
            created_at: self.clock.now(),
            shown_at: None,
        })
    }

    /// The store.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Now, on the injected clock.
    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// A validated donation about to be stored.
pub(crate) struct Donation {
    pub username: String,
    pub message: String,
    pub amount_minor: i64,
    pub currency: Currency,
    pub payin_system: &'static str,
    /// The donor's account, when they were logged in.
    pub donor_user_id: Option<i64>,
}

/// `text` major units of `currency` (`500`, `12.5`, `12.50`) in minor units: a positive
/// number with at most as many decimals as the currency has, up to [`MAX_AMOUNT_MAJOR`].
pub fn parse_major(text: &str, currency: Currency) -> Result<i64, AlertError> {
    let per = currency.minor_per_major();
    let decimals = per.max(1).to_string().len() - 1;
    let bad = || {
        invalid(
            "amount",
            format!(
                "give a positive amount in {} (major units, at most {decimals} decimals), \
                 e.g. 500 or 12.50",
                currency.code()
            ),
        )
    };
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (text.contains('.') && !digits(fraction)) || fraction.len() > decimals {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    if whole > MAX_AMOUNT_MAJOR {
        return Err(invalid(
            "amount",
            format!("at most {MAX_AMOUNT_MAJOR} {}", currency.code()),
        ));
    }
    let fraction: i64 = format!("{fraction:0<decimals$}").parse().unwrap_or(0);
    let minor = whole * per + fraction;
    if minor <= 0 {
        return Err(bad());
    }
    Ok(minor)
}

/// Millionths of a US dollar per major unit: the sandbox's fixed exchange rates.
fn usd_micros(currency: Currency) -> i128 {
    match currency {
        Currency::Usd => 1_000_000,
        Currency::Eur => 1_080_000,
        Currency::Gbp => 1_270_000,
        Currency::Rub => 10_000,
        Currency::Brl => 200_000,
        Currency::Try => 30_000,
        Currency::Uah => 24_000,
        Currency::Kzt => 2_000,
        Currency::Byn => 300_000,
        Currency::Pln => 250_000,
    }
}

/// `minor` units of `from` in minor units of `to`, at the sandbox's fixed rates (rounded down).
pub fn sandbox_convert(minor: i64, from: Currency, to: Currency) -> i64 {
    if from == to {
        return minor;
    }
    let value = i128::from(minor) * usd_micros(from) * i128::from(to.minor_per_major())
        / (usd_micros(to) * i128::from(from.minor_per_major()));
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_major_units() {
        assert_eq!(parse_major("500", Currency::Rub).ok(), Some(50_000));
        assert_eq!(parse_major(" 12.5 ", Currency::Eur).ok(), Some(1_250));
        assert_eq!(parse_major("12.05", Currency::Eur).ok(), Some(1_205));
        assert_eq!(parse_major("0.01", Currency::Usd).ok(), Some(1));
        assert_eq!(
            parse_major("1000000", Currency::Usd).ok(),
            Some(100_000_000)
        );
        for bad in [
            "",
            "0",
            "0.00",
            "-5",
            "1e3",
            "12.345",
            "12.",
            ".5",
            "1,5",
            "abc",
            "1000001",
            "99999999999999999999",
        ] {
            assert!(parse_major(bad, Currency::Usd).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sandbox_rates() {
        // The demo's rates: 1 EUR = 1.08 USD, 1 RUB = 0.01 USD.
        assert_eq!(sandbox_convert(1_000, Currency::Eur, Currency::Usd), 1_080);
        assert_eq!(sandbox_convert(50_000, Currency::Rub, Currency::Usd), 500);
        assert_eq!(sandbox_convert(500, Currency::Usd, Currency::Rub), 50_000);
        assert_eq!(sandbox_convert(777, Currency::Gbp, Currency::Gbp), 777);
        assert_eq!(
            sandbox_convert(i64::MAX, Currency::Gbp, Currency::Kzt),
            i64::MAX
        );
    }
}
