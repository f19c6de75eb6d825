//! Domain services and rules. No HTTP, no SQL: handlers and the CLI call these, these call the
//! store.

pub mod accounts;
pub mod alerts;
pub mod batch;
pub mod billing;
pub mod creator;
pub mod demo;
pub mod donate;
pub mod donations;
pub mod password;
pub mod ratelimit;
pub mod sandbox;
pub mod sessions;

pub use accounts::{AccountError, Accounts, LoginError, SignUp};
pub use alerts::{AlertError, Alerts, SandboxDonation};
pub use billing::{Billing, BillingError, Checkout};
pub use donations::DonationWriter;
pub use ratelimit::{RateLimitConfig, RateLimits};
pub use sessions::Sessions;
