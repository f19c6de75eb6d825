//! Domain services and rules. No HTTP, no SQL: handlers and the CLI call these, these call the
//! store.

pub mod accounts;
pub mod demo;
pub mod password;
pub mod ratelimit;
pub mod sessions;

pub use accounts::{AccountError, Accounts, LoginError, SignUp};
pub use ratelimit::{RateLimitConfig, RateLimits};
pub use sessions::Sessions;
