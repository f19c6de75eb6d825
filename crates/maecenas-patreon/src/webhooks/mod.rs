//! Patreon webhooks: the `/webhooks` API ([`api`]) and the payloads the dispatcher sends
//! ([`payload`]); delivery itself is `maecenas-webhooks`.

pub mod api;
pub mod payload;

pub use payload::PatreonRenderer;
