//! The donation page's donations: a name or anonymous, an amount in one of the page's
//! currencies, a message, paid with a sandbox test card, then stored with its
//! `donation:create` event like every other donation (the real-time outbox and the
//! DonationAlerts API see it from there). The charge is reserved under the form's idempotency
//! key first, so a double submit charges once and stores one donation; the paid charge, the
//! donation and its event are written in one transaction. No donation is stored when any field
//! or the payment is refused (a refused payment leaves its failed charge row).

use maecenas_store::{
    billing::{CHARGE_FAILED, CHARGE_PENDING, NewCharge, Reservation},
    entities::{donation, user},
};
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

/// Longest idempotency key accepted.
const MAX_KEY_CHARS: usize = 100;

fn refused(reason: &str) -> AlertError {
    invalid(
        "card",
        format!("the payment was refused ({reason}); nothing was sent"),
    )
}

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
    /// The form's one-time key: a double submit records one donation and charges once.
    pub idempotency_key: String,
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
        let key = match form.idempotency_key.trim() {
            "" => format!("donation:{}", uuid::Uuid::new_v4()),
            k if k.chars().count() > MAX_KEY_CHARS => {
                return Err(invalid("idempotency_key", "too long"));
            }
            k => format!("donation:{k}"),
        };
        let reservation = self
            .store()
            .reserve_charge(NewCharge {
                kind: "donation",
                payer_user_id: form.donor_user_id,
                recipient_user_id: recipient.id,
                campaign_id: None,
                member_id: None,
                amount_cents: amount_minor,
                currency: code.clone(),
                status: CHARGE_PENDING,
                gateway_reference: None,
                failure_reason: None,
                idempotency_key: Some(key.clone()),
                created_at: self.now(),
            })
            .await?;
        let charge_id = match reservation {
            Reservation::Reserved(id) => id,
            Reservation::Existing(charge) => {
                // The same form sent twice: the first one's donation, or why there is none.
                return match self.store().donation_by_charge(charge.id).await? {
                    Some(done) => Ok(done),
                    None if charge.status == CHARGE_FAILED => Err(refused(
                        charge.failure_reason.as_deref().unwrap_or("card_declined"),
                    )),
                    None => Err(invalid(
                        "idempotency_key",
                        "this donation is being sent already",
                    )),
                };
            }
        };
        let outcome = gateway
            .charge(&ChargeRequest {
                payment_method: token,
                amount_cents: amount_minor,
                currency: code,
                idempotency_key: key,
                first: true,
            })
            .await;
        let reference = match outcome {
            ChargeOutcome::Paid { reference } => reference,
            ChargeOutcome::Declined { reason } | ChargeOutcome::Fraud { reason } => {
                self.store()
                    .settle_charge(charge_id, CHARGE_FAILED, Some(reason.clone()))
                    .await?;
                return Err(refused(&reason));
            }
        };
        let donation = Donation {
            username,
            message: form.message,
            amount_minor,
            currency,
            payin_system: "sandbox",
            donor_user_id: form.donor_user_id,
        };
        let new = self.new_donation(recipient, donation).await?;
        Ok(self
            .store()
            .record_paid_donation(charge_id, reference, new)
            .await?)
    }
}
