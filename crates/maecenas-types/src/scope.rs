//! OAuth scopes of both dialects: Patreon v2 and v1 (with Patreon's v1 → v2 mapping) and
//! DonationAlerts' six. A [`ScopeSet`] parses RFC 6749 §3.3 scope strings and answers whether a
//! token may do something.

use std::{collections::BTreeSet, fmt};

/// One scope Maecenas knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Patreon v2 `identity`: read the token's user.
    Identity,
    /// Patreon v2 `identity[email]`: the user's e-mail.
    IdentityEmail,
    /// Patreon v2 `identity.memberships`: all of the user's memberships.
    IdentityMemberships,
    /// Patreon v2 `campaigns`: the user's campaigns with tiers, benefits, goals.
    Campaigns,
    /// Patreon v2 `w:campaigns.webhook`: manage this client's webhooks.
    WriteCampaignsWebhook,
    /// Patreon v2 `campaigns.members`: read members.
    CampaignsMembers,
    /// Patreon v2 `campaigns.members[email]`: members' e-mail.
    CampaignsMembersEmail,
    /// Patreon v2 `campaigns.members.address`: members' address.
    CampaignsMembersAddress,
    /// Patreon v2 `campaigns.posts`: read posts.
    CampaignsPosts,
    /// Patreon v1 `users`: the profile.
    V1Users,
    /// Patreon v1 `pledges-to-me`: pledges to the client owner's campaign.
    V1PledgesToMe,
    /// Patreon v1 `my-campaign`: the owner's campaign.
    V1MyCampaign,
    /// Patreon v1 `campaigns`: other creators' campaigns.
    V1Campaigns,
    /// Patreon v1 `pledges`: pledges to other creators.
    V1Pledges,
    /// DonationAlerts `oauth-user-show`.
    DaUserShow,
    /// DonationAlerts `oauth-donation-subscribe`.
    DaDonationSubscribe,
    /// DonationAlerts `oauth-donation-index`.
    DaDonationIndex,
    /// DonationAlerts `oauth-custom_alert-store`.
    DaCustomAlertStore,
    /// DonationAlerts `oauth-goal-subscribe`.
    DaGoalSubscribe,
    /// DonationAlerts `oauth-poll-subscribe`.
    DaPollSubscribe,
}

/// Which API a scope belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Patreon API v2.
    PatreonV2,
    /// Patreon API v1.
    PatreonV1,
    /// DonationAlerts API v1.
    DonationAlerts,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Self; 20] = [
        Self::Identity,
        Self::IdentityEmail,
        Self::IdentityMemberships,
        Self::Campaigns,
        Self::WriteCampaignsWebhook,
        Self::CampaignsMembers,
        Self::CampaignsMembersEmail,
        Self::CampaignsMembersAddress,
        Self::CampaignsPosts,
        Self::V1Users,
        Self::V1PledgesToMe,
        Self::V1MyCampaign,
        Self::V1Campaigns,
        Self::V1Pledges,
        Self::DaUserShow,
        Self::DaDonationSubscribe,
        Self::DaDonationIndex,
        Self::DaCustomAlertStore,
        Self::DaGoalSubscribe,
        Self::DaPollSubscribe,
    ];

    /// The scope's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::IdentityEmail => "identity[email]",
            Self::IdentityMemberships => "identity.memberships",
            Self::Campaigns => "campaigns",
            Self::WriteCampaignsWebhook => "w:campaigns.webhook",
            Self::CampaignsMembers => "campaigns.members",
            Self::CampaignsMembersEmail => "campaigns.members[email]",
            Self::CampaignsMembersAddress => "campaigns.members.address",
            Self::CampaignsPosts => "campaigns.posts",
            Self::V1Users => "users",
            Self::V1PledgesToMe => "pledges-to-me",
            Self::V1MyCampaign => "my-campaign",
            // v1 `campaigns` shares its name with v2 `campaigns`; parsing yields the v2 scope,
            // which the v1 mapping accepts for v1 `campaigns` and `my-campaign` alike.
            Self::V1Campaigns => "campaigns",
            Self::V1Pledges => "pledges",
            Self::DaUserShow => "oauth-user-show",
            Self::DaDonationSubscribe => "oauth-donation-subscribe",
            Self::DaDonationIndex => "oauth-donation-index",
            Self::DaCustomAlertStore => "oauth-custom_alert-store",
            Self::DaGoalSubscribe => "oauth-goal-subscribe",
            Self::DaPollSubscribe => "oauth-poll-subscribe",
        }
    }

    /// Parses one scope name (the v2 reading wins where v1 and v2 share a name).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The API the scope belongs to.
    pub fn dialect(self) -> Dialect {
        match self {
            Self::V1Users
            | Self::V1PledgesToMe
            | Self::V1MyCampaign
            | Self::V1Campaigns
            | Self::V1Pledges => Dialect::PatreonV1,
            Self::DaUserShow
            | Self::DaDonationSubscribe
            | Self::DaDonationIndex
            | Self::DaCustomAlertStore
            | Self::DaGoalSubscribe
            | Self::DaPollSubscribe => Dialect::DonationAlerts,
            _ => Dialect::PatreonV2,
        }
    }

    /// For a v1 scope, the v2 scopes that together grant the same (Patreon's published
    /// mapping); empty for v2 and DonationAlerts scopes.
    pub fn v2_equivalent(self) -> &'static [Self] {
        match self {
            Self::V1Campaigns | Self::V1MyCampaign => &[Self::Campaigns],
            Self::V1Pledges => &[
                Self::CampaignsMembers,
                Self::CampaignsMembersEmail,
                Self::CampaignsMembersAddress,
            ],
            Self::V1PledgesToMe => &[Self::IdentityMemberships],
            Self::V1Users => &[Self::Identity, Self::IdentityEmail],
            _ => &[],
        }
    }

    /// What the scope lets an application do, in one line for a person deciding whether to
    /// allow it (the consent and connected-apps pages).
    pub fn description(self) -> &'static str {
        match self {
            Self::Identity => "See your name, profile picture and public profile.",
            Self::IdentityEmail => "See your e-mail address.",
            Self::IdentityMemberships => {
                "See every creator you support and your membership with each."
            }
            Self::Campaigns => "See your campaigns, with their tiers, benefits and goals.",
            Self::WriteCampaignsWebhook => {
                "Create, change and delete webhooks that tell this app about your campaign."
            }
            Self::CampaignsMembers => "See who supports your campaigns, with tiers and amounts.",
            Self::CampaignsMembersEmail => "See the e-mail addresses of your members.",
            Self::CampaignsMembersAddress => "See the postal addresses of your members.",
            Self::CampaignsPosts => "See your campaigns' posts, including members-only ones.",
            Self::V1Users => "See your profile and e-mail address (API v1).",
            Self::V1PledgesToMe => "See your pledges to this app's creator (API v1).",
            Self::V1MyCampaign => "See your own campaign (API v1).",
            Self::V1Campaigns => "See other creators' campaigns (API v1).",
            Self::V1Pledges => "See your pledges to other creators (API v1).",
            Self::DaUserShow => "See your name, avatar, e-mail and alert-channel identifier.",
            Self::DaDonationSubscribe => "Receive your donations live, as they arrive.",
            Self::DaDonationIndex => "See the list of donations you have received.",
            Self::DaCustomAlertStore => "Show its own alerts in your stream overlay.",
            Self::DaGoalSubscribe => "Follow your donation goals live.",
            Self::DaPollSubscribe => "Follow your polls live.",
        }
    }

    /// Every Patreon v2 scope: what a client owner's own token carries.
    pub fn all_v2() -> impl Iterator<Item = Self> {
        Self::ALL
            .into_iter()
            .filter(|s| s.dialect() == Dialect::PatreonV2)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a scope string was refused (RFC 6749 `invalid_scope`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// A character outside RFC 6749's NQCHAR.
    #[error("scope contains a character that is not allowed")]
    BadCharacter,
    /// A name Maecenas does not know.
    #[error("unknown scope {0:?}")]
    Unknown(String),
}

/// A set of scopes, printed space-separated in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// Parses a space-delimited scope string (`+` already decoded to space by the form
    /// parser). Empty tokens from repeated spaces are ignored.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
        let nqchar = |c: char| {
            c == '\x21' || ('\x23'..='\x5b').contains(&c) || ('\x5d'..='\x7e').contains(&c)
        };
        let mut set = BTreeSet::new();
        for token in text.split(' ').filter(|t| !t.is_empty()) {
            if !token.chars().all(nqchar) {
                return Err(ScopeError::BadCharacter);
            }
            set.insert(Scope::parse(token).ok_or_else(|| ScopeError::Unknown(token.to_owned()))?);
        }
        Ok(Self(set))
    }

    /// Patreon's default for v1 clients: `users pledges-to-me my-campaign`.
    pub fn patreon_v1_default() -> Self {
        Self(
            [Scope::V1Users, Scope::V1PledgesToMe, Scope::V1MyCampaign]
                .into_iter()
                .collect(),
        )
    }

    /// DonationAlerts' default when an authorize request names no scope: `oauth-user-show`.
    pub fn donationalerts_default() -> Self {
        Self([Scope::DaUserShow].into_iter().collect())
    }

    /// Every Patreon v2 scope (the creator's access token).
    pub fn patreon_all_v2() -> Self {
        Self(Scope::all_v2().collect())
    }

    /// Whether the set grants `scope` itself, or — for a v1 scope — every v2 scope Patreon
    /// maps it to.
    pub fn allows(&self, scope: Scope) -> bool {
        let equivalent = scope.v2_equivalent();
        self.0.contains(&scope)
            || (!equivalent.is_empty() && equivalent.iter().all(|s| self.0.contains(s)))
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes, in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// Only the scopes also in `other` (a grant can narrow, never widen).
    pub fn intersection(&self, other: &Self) -> Self {
        Self(self.0.intersection(&other.0).copied().collect())
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for scope in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_except_the_shared_campaigns() {
        for scope in Scope::ALL {
            let parsed = Scope::parse(scope.as_str()).unwrap();
            if scope == Scope::V1Campaigns {
                assert_eq!(parsed, Scope::Campaigns);
            } else {
                assert_eq!(parsed, scope);
            }
        }
        assert_eq!(
            Scope::ALL
                .iter()
                .filter(|s| s.dialect() == Dialect::DonationAlerts)
                .count(),
            6
        );
    }

    #[test]
    fn parses_scope_strings() {
        let set = ScopeSet::parse("identity  identity[email] campaigns.members").unwrap();
        assert_eq!(
            set.to_string(),
            "identity identity[email] campaigns.members"
        );
        assert_eq!(
            ScopeSet::parse("identity nope"),
            Err(ScopeError::Unknown("nope".into()))
        );
        assert_eq!(
            ScopeSet::parse("identity\"x"),
            Err(ScopeError::BadCharacter)
        );
        assert_eq!(
            ScopeSet::parse("ident\u{e9}"),
            Err(ScopeError::BadCharacter)
        );
        assert!(ScopeSet::parse("").unwrap().is_empty());
    }

    #[test]
    fn every_scope_is_explained_in_one_distinct_line() {
        let lines: BTreeSet<&str> = Scope::ALL.iter().map(|s| s.description()).collect();
        assert_eq!(lines.len(), Scope::ALL.len());
        assert!(lines.iter().all(|l| l.ends_with('.') && !l.contains('\n')));
    }

    #[test]
    fn v1_scopes_are_granted_by_their_v2_equivalents() {
        let v2 =
            ScopeSet::parse("identity identity[email] identity.memberships campaigns").unwrap();
        assert!(v2.allows(Scope::V1Users));
        assert!(v2.allows(Scope::V1PledgesToMe));
        assert!(v2.allows(Scope::V1MyCampaign));
        assert!(
            !v2.allows(Scope::V1Pledges),
            "pledges needs all three member scopes"
        );
        assert!(!ScopeSet::parse("identity").unwrap().allows(Scope::V1Users));
        assert!(ScopeSet::patreon_v1_default().allows(Scope::V1Users));
        assert!(ScopeSet::patreon_all_v2().allows(Scope::V1Pledges));
        assert!(!ScopeSet::patreon_all_v2().allows(Scope::DaUserShow));
    }
}
