//! Payment gateways: the seam where money leaves the system, and the built-in sandbox gateway —
//! a test double at that edge that is honest about being one.
//!
//! # Sandbox test cards
//!
//! Spaces and dashes are ignored. Every other number is refused at checkout as not a sandbox
//! card, so a real card number never goes anywhere.
//!
//! | number | every charge |
//! |---|---|
//! | `4242 4242 4242 4242` | succeeds |
//! | `5555 5555 5555 4444` | succeeds |
//! | `4000 0000 0000 0002` | declines (`card_declined`) |
//! | `4000 0000 0000 9995` | declines (`insufficient_funds`) |
//! | `4100 0000 0000 0019` | declines as fraud (`fraudulent`; the status is `Fraud`) |
//! | `4000 0000 0000 0341` | the first charge succeeds, every later one declines (`card_declined`): a card that expires after checkout |
//!
//! The stored token is `sandbox:<number>` (test numbers are public; a real gateway's token
//! would be opaque). A charge carries an idempotency key; the sandbox answers the same key the
//! same way, as a real gateway's idempotent API does.

use futures::future::BoxFuture;

/// A card that always succeeds.
pub const CARD_SUCCESS: &str = "4242424242424242";
/// A second card that always succeeds.
pub const CARD_SUCCESS_MASTERCARD: &str = "5555555555554444";
/// A card that is always declined.
pub const CARD_DECLINE: &str = "4000000000000002";
/// A card whose charges fail for insufficient funds.
pub const CARD_INSUFFICIENT_FUNDS: &str = "4000000000009995";
/// A card whose charges are refused as fraud.
pub const CARD_FRAUD: &str = "4100000000000019";
/// A card whose first charge succeeds and every later one declines.
pub const CARD_DECLINE_AFTER_FIRST: &str = "4000000000000341";

/// One charge to make.
#[derive(Debug, Clone)]
pub struct ChargeRequest {
    /// The token [`PaymentGateway::tokenize`] gave.
    pub payment_method: String,
    pub amount_cents: i64,
    /// ISO 4217.
    pub currency: String,
    /// The same key gets the same answer and moves money at most once.
    pub idempotency_key: String,
    /// Whether this is the first charge of the pledge (the checkout).
    pub first: bool,
}

/// How a charge ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// The money moved; the gateway's reference for it.
    Paid { reference: String },
    /// Refused; `reason` is the gateway's code (`card_declined`, `insufficient_funds`, …).
    Declined { reason: String },
    /// Refused as fraud.
    Fraud { reason: String },
}

impl ChargeOutcome {
    /// Patreon's `last_charge_status` / pledge event `payment_status` for it.
    pub fn payment_status(&self) -> &'static str {
        match self {
            Self::Paid { .. } => "Paid",
            Self::Declined { .. } => "Declined",
            Self::Fraud { .. } => "Fraud",
        }
    }

    /// Patreon's pledge event `pledge_payment_status` for it.
    pub fn pledge_payment_status(&self) -> &'static str {
        match self {
            Self::Paid { .. } => "valid",
            Self::Declined { .. } => "declined",
            Self::Fraud { .. } => "fraud",
        }
    }

    /// Whether the money moved.
    pub fn is_paid(&self) -> bool {
        matches!(self, Self::Paid { .. })
    }
}

/// Why a card was refused before any charge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CardRefused(pub String);

/// A payment gateway. Real gateways plug in behind this trait; the sandbox is the default.
pub trait PaymentGateway: Send + Sync + std::fmt::Debug {
    /// Checks a card as typed and returns the token charges use.
    fn tokenize(&self, card_number: &str) -> Result<String, CardRefused>;

    /// Charges a tokenized card.
    fn charge<'a>(&'a self, request: &'a ChargeRequest) -> BoxFuture<'a, ChargeOutcome>;
}

/// The sandbox gateway: outcomes fixed by the test card, answered at once.
#[derive(Debug, Default, Clone, Copy)]
pub struct SandboxGateway;

const CARDS: [&str; 6] = [
    CARD_SUCCESS,
    CARD_SUCCESS_MASTERCARD,
    CARD_DECLINE,
    CARD_INSUFFICIENT_FUNDS,
    CARD_FRAUD,
    CARD_DECLINE_AFTER_FIRST,
];

impl SandboxGateway {
    fn outcome(request: &ChargeRequest) -> ChargeOutcome {
        let number = request
            .payment_method
            .strip_prefix("sandbox:")
            .unwrap_or_default();
        let declined = |reason: &str| ChargeOutcome::Declined {
            reason: reason.to_owned(),
        };
        match number {
            CARD_SUCCESS | CARD_SUCCESS_MASTERCARD => paid(request),
            CARD_DECLINE_AFTER_FIRST if request.first => paid(request),
            CARD_INSUFFICIENT_FUNDS => declined("insufficient_funds"),
            CARD_FRAUD => ChargeOutcome::Fraud {
                reason: "fraudulent".to_owned(),
            },
            _ => declined("card_declined"),
        }
    }
}

fn paid(request: &ChargeRequest) -> ChargeOutcome {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(request.idempotency_key.as_bytes());
    ChargeOutcome::Paid {
        reference: format!("sbx_{}", hex::encode(&digest[..12])),
    }
}

impl PaymentGateway for SandboxGateway {
    fn tokenize(&self, card_number: &str) -> Result<String, CardRefused> {
        let digits: String = card_number
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if CARDS.contains(&digits.as_str()) {
            Ok(format!("sandbox:{digits}"))
        } else {
            Err(CardRefused(
                "not a sandbox test card (use 4242 4242 4242 4242 to succeed)".to_owned(),
            ))
        }
    }

    fn charge<'a>(&'a self, request: &'a ChargeRequest) -> BoxFuture<'a, ChargeOutcome> {
        Box::pin(std::future::ready(Self::outcome(request)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(card: &str, first: bool) -> ChargeOutcome {
        let gateway = SandboxGateway;
        let token = gateway.tokenize(card).unwrap();
        SandboxGateway::outcome(&ChargeRequest {
            payment_method: token,
            amount_cents: 500,
            currency: "USD".into(),
            idempotency_key: "k".into(),
            first,
        })
    }

    #[test]
    fn test_cards_behave_as_documented() {
        assert!(charge("4242 4242 4242 4242", false).is_paid());
        assert!(charge("5555-5555-5555-4444", true).is_paid());
        assert_eq!(charge(CARD_DECLINE, true).payment_status(), "Declined");
        assert_eq!(
            charge(CARD_INSUFFICIENT_FUNDS, true),
            ChargeOutcome::Declined {
                reason: "insufficient_funds".into()
            }
        );
        assert_eq!(charge(CARD_FRAUD, true).payment_status(), "Fraud");
        assert!(charge(CARD_DECLINE_AFTER_FIRST, true).is_paid());
        assert!(!charge(CARD_DECLINE_AFTER_FIRST, false).is_paid());
        assert!(SandboxGateway.tokenize("4111111111111111").is_err());
        assert_eq!(
            charge(CARD_SUCCESS, true),
            charge(CARD_SUCCESS, true),
            "idempotent"
        );
    }
}
