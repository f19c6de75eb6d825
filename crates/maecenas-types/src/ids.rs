//! Typed ids. User, campaign, tier and post ids are numeric (Patreon shows them as numeric
//! strings; DonationAlerts as integers below 2^31); member ids are UUIDs (`patreon.md` §2.3).

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! numeric_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    };
}

numeric_id!(
    /// An account.
    UserId
);
numeric_id!(
    /// A creator's campaign.
    CampaignId
);
numeric_id!(
    /// A membership tier (v1: reward).
    TierId
);
numeric_id!(
    /// A post on a campaign.
    PostId
);

/// A membership (v1: pledge): a user's relationship to a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MemberId(pub Uuid);

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
