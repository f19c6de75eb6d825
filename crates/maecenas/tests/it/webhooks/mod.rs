//! Patreon webhooks end to end: the `/webhooks` API and its bad input, delivery to a real
//! loopback receiver that checks every signature as integrations do, retries on the manual
//! clock, pause and replay, 410, and the payloads against the golden fixtures.

mod api;
mod crash;
mod delivery;
mod log;
pub(crate) mod receiver;
pub(crate) mod setup;
mod triggers;
