//! The integration suite: one test binary, one module per area, each test on SQLite and
//! PostgreSQL through the real HTTP server, CLI and browser.

#[cfg(test)]
mod accounts;
#[cfg(test)]
mod alerts_outbox;
#[cfg(test)]
mod browser;
#[cfg(test)]
mod browser_memberships;
#[cfg(test)]
mod browser_overlay;
#[cfg(test)]
mod cli;
#[cfg(test)]
mod donationalerts;
#[cfg(test)]
mod oauth;
#[cfg(test)]
mod overlay;
#[cfg(test)]
mod pages_become_patron;
#[cfg(test)]
mod pages_checkout;
#[cfg(test)]
mod pages_dashboard;
#[cfg(test)]
mod pages_donate;
#[cfg(test)]
mod pages_sandbox;
#[cfg(test)]
mod patreon;
#[cfg(test)]
mod patreon_cache;
#[cfg(test)]
mod patreon_demo;
#[cfg(test)]
mod patreon_lists;
#[cfg(test)]
mod patreon_posts;
#[cfg(test)]
mod patreon_scale;
#[cfg(test)]
mod patreon_shapes;
#[cfg(test)]
mod patreon_v1;
#[cfg(test)]
mod realtime;
#[cfg(test)]
mod realtime_cluster;
#[cfg(test)]
mod realtime_server;
#[cfg(test)]
mod sandbox_billing;
#[cfg(test)]
mod sandbox_cli;
#[cfg(test)]
mod server;
#[cfg(test)]
mod support;
#[cfg(test)]
mod webhooks;
