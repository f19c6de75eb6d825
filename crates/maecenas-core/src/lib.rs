//! Domain services and rules. No HTTP, no SQL: handlers and the CLI call these, these call the
//! store.

pub mod accounts;
pub mod demo;
pub mod password;
pub mod sessions;
mod throttle;

pub use accounts::{AccountError, Accounts, LoginError, SignUp};
pub use sessions::Sessions;
