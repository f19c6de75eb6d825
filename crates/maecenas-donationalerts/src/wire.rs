//! The API's payloads as typed structs, field for field as spec §4.1/§4.2 and the seed doc
//! show them: the user, the donation (in lists and pushes alike), Laravel's page envelope,
//! the custom alert and the subscribe answer. Times are `YYYY-MM-DD HH:MM:SS` in UTC.

use chrono::{DateTime, Utc};
use maecenas_store::entities::{custom_alert, donation, user};
use maecenas_types::Currency;
use serde::Serialize;
use serde_json::Number;

/// DonationAlerts' time format: no `T`, no zone (DonationAlertsAPI parses it with
/// `strptime("%Y-%m-%d %H:%M:%S")`).
pub fn da_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// An amount in major units: an integer when whole (`500`), otherwise a decimal (`12.5`).
pub fn amount(minor: i64, currency: &str) -> Number {
    let per = Currency::parse(currency).map_or(100, |c| c.minor_per_major());
    if per <= 1 || minor % per == 0 {
        Number::from(minor / per.max(1))
    } else {
        let value = minor as f64 / per as f64;
        Number::from_f64(value).unwrap_or_else(|| Number::from(minor / per))
    }
}

/// `{"data": …}`.
#[derive(Debug, Serialize)]
pub struct Data<T> {
    pub data: T,
}

/// `GET /api/v1/user/oauth`.
#[derive(Debug, Serialize)]
pub struct User {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub avatar: String,
    pub email: String,
    pub socket_connection_token: String,
    pub language: String,
}

/// The recipient inside a donation.
#[derive(Debug, Serialize)]
pub struct Recipient {
    pub user_id: i64,
    pub code: String,
    pub name: String,
    pub avatar: String,
}

impl Recipient {
    /// The recipient as DonationAlerts shows a user.
    pub fn of(user: &user::Model) -> Self {
        Self {
            user_id: user.id,
            code: user_code(user),
            name: user.full_name.clone(),
            avatar: user.image_url.clone(),
        }
    }
}

/// A user's `code`: their handle, or `id<N>` when they have none.
pub fn user_code(user: &user::Model) -> String {
    user.vanity
        .clone()
        .unwrap_or_else(|| format!("id{}", user.id))
}

/// One donation.
#[derive(Debug, Serialize)]
pub struct Donation {
    pub id: i64,
    pub name: &'static str,
    pub username: Option<String>,
    pub recipient_name: String,
    pub recipient: Recipient,
    pub message_type: String,
    pub message: String,
    pub payin_system: Option<String>,
    pub amount: Number,
    pub currency: String,
    pub is_shown: u8,
    pub amount_in_user_currency: Number,
    pub created_at: String,
    pub created_at_ts: i64,
    pub shown_at: Option<String>,
    pub shown_at_ts: Option<i64>,
    pub reason: String,
}

impl Donation {
    /// `row` to `recipient`, whose main currency `user_currency` is.
    pub fn of(row: donation::Model, recipient: &user::Model, user_currency: &str) -> Self {
        Self {
            id: row.id,
            name: "Donations",
            username: Some(row.username).filter(|u| !u.is_empty()),
            recipient_name: recipient.full_name.clone(),
            recipient: Recipient::of(recipient),
            message_type: row.message_type,
            message: row.message,
            payin_system: Some(row.payin_system).filter(|p| !p.is_empty()),
            amount: amount(row.amount_cents, &row.currency),
            currency: row.currency,
            is_shown: u8::from(row.is_shown),
            amount_in_user_currency: amount(row.amount_in_user_currency_cents, user_currency),
            created_at: da_time(row.created_at),
            created_at_ts: row.created_at.timestamp(),
            shown_at: row.shown_at.map(da_time),
            shown_at_ts: row.shown_at.map(|t| t.timestamp()),
            reason: row.reason,
        }
    }
}

/// Laravel's page envelope.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub links: PageLinks,
    pub meta: PageMeta,
}

/// `links` of a page.
#[derive(Debug, Serialize)]
pub struct PageLinks {
    pub first: String,
    pub last: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// `meta` of a page; `from` and `to` are null on an empty page.
#[derive(Debug, Serialize)]
pub struct PageMeta {
    pub current_page: u64,
    pub from: Option<u64>,
    pub last_page: u64,
    /// Laravel 8's page links (`« Previous`, the numbers, `Next »`).
    pub links: Vec<MetaLink>,
    pub path: String,
    pub per_page: u64,
    pub to: Option<u64>,
    pub total: u64,
}

/// One of `meta.links`.
#[derive(Debug, Serialize)]
pub struct MetaLink {
    pub url: Option<String>,
    pub label: String,
    pub active: bool,
}

/// A custom alert.
#[derive(Debug, Serialize)]
pub struct CustomAlert {
    pub id: i64,
    pub external_id: Option<String>,
    pub header: Option<String>,
    pub message: Option<String>,
    pub image_url: Option<String>,
    pub sound_url: Option<String>,
    pub is_shown: u8,
    pub created_at: String,
    pub shown_at: Option<String>,
}

impl From<custom_alert::Model> for CustomAlert {
    fn from(row: custom_alert::Model) -> Self {
        Self {
            id: row.id,
            external_id: row.external_id,
            header: Some(row.header).filter(|h| !h.is_empty()),
            message: Some(row.message).filter(|m| !m.is_empty()),
            image_url: row.image_url,
            sound_url: row.sound_url,
            is_shown: u8::from(row.is_shown),
            created_at: da_time(row.created_at),
            shown_at: row.shown_at.map(da_time),
        }
    }
}

/// `POST /api/v1/centrifuge/subscribe`.
#[derive(Debug, Serialize)]
pub struct Subscribed {
    pub channels: Vec<ChannelToken>,
}

/// A channel and its subscription token.
#[derive(Debug, Serialize)]
pub struct ChannelToken {
    pub channel: String,
    pub token: String,
}
