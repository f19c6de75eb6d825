//! The integration suite: one test binary, one module per area, each test on SQLite and
//! PostgreSQL through the real HTTP server, CLI and browser.

mod accounts;
mod browser;
mod cli;
mod server;
mod support;
