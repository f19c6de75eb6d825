//! The integration suite: one test binary, one module per area, each test on SQLite and
//! PostgreSQL through the real HTTP server, CLI and browser.

#[cfg(test)]
mod accounts;
#[cfg(test)]
mod alerts_outbox;
#[cfg(test)]
mod browser;
#[cfg(test)]
mod cli;
#[cfg(test)]
mod donationalerts;
#[cfg(test)]
mod oauth;
#[cfg(test)]
mod patreon;
#[cfg(test)]
mod patreon_demo;
#[cfg(test)]
mod patreon_lists;
#[cfg(test)]
mod patreon_v1;
#[cfg(test)]
mod realtime;
#[cfg(test)]
mod server;
#[cfg(test)]
mod support;
