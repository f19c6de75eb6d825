//! Values every Maecenas crate shares: ids, money, the clock and randomness seams, validated inputs.
//!
//! This crate has no server, SQL or HTTP dependencies, so tests, the CLI and every protocol crate
//! can use it freely.

pub mod clock;
pub mod email;
pub mod ids;
pub mod money;
pub mod scope;
pub mod slot;
pub mod token;

pub use clock::{Clock, ManualClock, OffsetClock, SharedClock, SystemClock};
pub use email::Email;
pub use ids::{CampaignId, MemberId, PostId, TierId, UserId};
pub use money::{Currency, Money};
pub use scope::{Scope, ScopeError, ScopeSet};
pub use slot::ConnectionSlot;
pub use token::{SecretToken, TokenHash};
