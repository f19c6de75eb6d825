//! The donation page's donations: a name or anonymous, an amount in one of the page's
//! currencies, a message, paid with a sandbox test card, then stored with its
//! `donation:create` event like every other donation (the real-time outbox and the
//! DonationAlerts API see it from there). Nothing is stored when any field or the payment is
//! refused.

use maecenas_store::entities::{donation, user};
use maecenas_types::Currency;

use crate::{
    alerts::{
        AlertError, Alerts, Donation, MAX_MESSAGE_CHARS, MAX_USERNAME_CHARS, invalid, parse_major,
    },
    billing::{
        PaymentGateway, SandboxGateway,
        gateway::{ChargeOutcome, ChargeRequest},
    },
};

/// The currencies the donation page takes (DonationAlerts' donation page list).
pub const PAGE_CURRENCIES: [&str; 5] = ["EUR", "USD", "RUB", "BRL", "TRY"];

/// A donation as typed on the page.
#[derive(Debug, Clone)]
pub struct PageDonation {
    /// The donor's name; empty (or `anonymous`) for an anonymous donation.
    pub username: String,
    pub anonymous: bool,
    /// Major units (`500`, `12.50`).
    pub amount: String,
    /// One of [`PAGE_CURRENCIES`].
    pub currency: String,
    pub message: String,
    /// A sandbox test card number.
    pub card: String,
    /// The logged-in donor, if any.
    pub donor_user_id: Option<i64>,
}

impl Alerts {
    /// Validates, charges through the sandbox gateway and records a donation to `recipient`.
    pub async fn donate(
        &self,
        recipient: &user::Model,
        form: PageDonation,
    ) -> Result<donation::Model, AlertError> {
        let code = form.currency.trim().to_ascii_uppercase();
        if !PAGE_CURRENCIES.contains(&code.as_str()) {
            return Err(invalid(
                "currency",
                format!("this page takes {} only", PAGE_CURRENCIES.join(", ")),
            ));
        }
        let currency = Currency::parse(&code).map_err(|e| invalid("currency", e.to_string()))?;
        let amount_minor = parse_major(&form.amount, currency)?;
        let username = if form.anonymous {
            String::new()
        } else {
            form.username.trim().to_owned()
        };
        if username.chars().count() > MAX_USERNAME_CHARS {
            return Err(invalid(
                "username",
                format!("at most {MAX_USERNAME_CHARS} characters"),
            ));
        }
        if form.message.chars().count() > MAX_MESSAGE_CHARS {
            return Err(invalid(
                "message",
                format!("at most {MAX_MESSAGE_CHARS} characters"),
            ));
        }
        let gateway = SandboxGateway;
        let token = gateway
            .tokenize(&form.card)
            .map_err(|e| invalid("card", e.to_string()))?;
        let key = format!("donation:{}", uuid::Uuid::new_v4());
        let outcome = gateway
            .charge(&ChargeRequest {
                payment_method: token,
                amount_cents: amount_minor,
                currency: code.clone(),
                idempotency_key: key,
                first: true,
            })
            .await;
        match outcome {
            ChargeOutcome::Paid { .. } => {}
            ChargeOutcome::Declined { reason } | ChargeOutcome::Fraud { reason } => {
                return Err(invalid(
                    "card",
                    format!("the payment was refused ({reason}); nothing was sent"),
                ));
            }
        }
        let donation = Donation {
            username,
            message: form.message,
            amount_minor,
            currency,
            payin_system: "sandbox",
            donor_user_id: form.donor_user_id,
        };
        self.record(recipient, donation).await
    }
}
