//! Webhook delivery, driven only by the event outbox: signing ([`sign`]: Patreon's hex
//! HMAC-MD5 and the Standard Webhooks `v1` HMAC-SHA256), the retry schedule with jitter
//! ([`schedule`]), the SSRF guard ([`guard`]), one HTTP attempt ([`send`]) and the
//! [`Dispatcher`] that fans events out to webhooks and delivers each webhook's queue in order.
//! Payloads come from a dialect's [`Renderer`].

pub mod config;
pub mod dispatcher;
pub mod guard;
pub mod schedule;
pub mod send;
pub mod sign;

pub use config::WebhookConfig;
pub use dispatcher::{BoxFuture, Dispatcher, Renderer, Wanted};
pub use guard::{Guard, Refused};
