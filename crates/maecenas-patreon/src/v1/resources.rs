//! The v1 resources' attributes, typed with the names and JSON types of Patreon's v1 responses
//! (`patreon.md` §5.2; golden shapes in `shared/fixtures/patreon/v1/`), and which of them are
//! defaults. Everything else is shown only when named in `fields[type]`.

use maecenas_store::entities::{campaign, goal, member, tier, user};
use serde::Serialize;

use crate::v2::resources::timestamp;

/// `social_connections` as v1 lists it; nothing is connected here.
#[derive(Debug, Default, Serialize)]
pub struct SocialConnections {
    pub deviantart: Option<()>,
    pub discord: Option<()>,
    pub facebook: Option<()>,
    pub spotify: Option<()>,
    pub twitch: Option<()>,
    pub twitter: Option<()>,
    pub youtube: Option<()>,
}

/// v1 `user`.
#[derive(Debug, Serialize)]
pub struct UserAttributes {
    pub about: String,
    pub comment_count: i64,
    pub created: String,
    pub discord_id: Option<String>,
    pub email: String,
    pub facebook: String,
    pub facebook_id: Option<String>,
    pub first_name: String,
    pub full_name: String,
    pub gender: i64,
    pub has_password: bool,
    pub hide_pledges: bool,
    pub image_url: String,
    pub is_creator: bool,
    pub is_deleted: bool,
    pub is_email_verified: bool,
    pub is_nuked: bool,
    pub is_suspended: bool,
    pub last_name: String,
    pub like_count: i64,
    pub social_connections: SocialConnections,
    pub thumb_url: String,
    pub twitch: String,
    pub twitter: String,
    pub two_factor_enabled: bool,
    pub url: String,
    pub vanity: String,
    pub youtube: String,
}

/// The user attributes v1 sends unasked (the documented defaults and those seen in responses).
pub const USER_DEFAULTS: &[&str] = &[
    "about",
    "created",
    "discord_id",
    "email",
    "facebook",
    "facebook_id",
    "first_name",
    "full_name",
    "gender",
    "has_password",
    "image_url",
    "is_deleted",
    "is_email_verified",
    "is_nuked",
    "is_suspended",
    "last_name",
    "social_connections",
    "thumb_url",
    "twitch",
    "twitter",
    "url",
    "vanity",
    "youtube",
];

impl UserAttributes {
    /// `u`'s v1 attributes; `is_creator` when they own a campaign.
    pub fn new(u: &user::Model, is_creator: bool, public_url: &str) -> Self {
        Self {
            about: u.about.clone(),
            comment_count: 0,
            created: timestamp(&u.created_at),
            discord_id: None,
            email: u.email.clone(),
            facebook: String::new(),
            facebook_id: None,
            first_name: u.first_name.clone(),
            full_name: u.full_name.clone(),
            gender: 0,
            has_password: u.password_hash.is_some(),
            hide_pledges: u.hide_pledges,
            image_url: u.image_url.clone(),
            is_creator,
            is_deleted: false,
            is_email_verified: u.is_email_verified,
            is_nuked: false,
            is_suspended: false,
            last_name: u.last_name.clone(),
            like_count: 0,
            social_connections: SocialConnections::default(),
            thumb_url: u.thumb_url.clone(),
            twitch: String::new(),
            twitter: String::new(),
            two_factor_enabled: false,
            url: format!("{public_url}user?u={}", u.id),
            vanity: u.vanity.clone().unwrap_or_default(),
            youtube: String::new(),
        }
    }
}

/// v1 `campaign`.
#[derive(Debug, Serialize)]
pub struct CampaignAttributes {
    pub created_at: String,
    pub creation_count: i64,
    pub creation_name: String,
    pub discord_server_id: Option<String>,
    pub display_patron_goals: bool,
    pub earnings_visibility: &'static str,
    pub image_small_url: String,
    pub image_url: String,
    pub is_charged_immediately: bool,
    pub is_monthly: bool,
    pub is_nsfw: bool,
    pub is_plural: bool,
    pub main_video_embed: String,
    pub main_video_url: String,
    pub one_liner: String,
    pub outstanding_payment_amount_cents: i64,
    pub patron_count: i64,
    pub pay_per_name: String,
    pub pledge_sum: i64,
    pub pledge_url: String,
    pub published_at: Option<String>,
    pub summary: String,
    pub thanks_embed: String,
    pub thanks_msg: String,
    pub thanks_video_url: Option<String>,
}

/// A campaign's live numbers: active patrons, what they pledge, and its posts.
#[derive(Debug, Clone, Copy, Default)]
pub struct CampaignNumbers {
    pub patron_count: i64,
    pub pledge_sum: i64,
    pub creation_count: i64,
}

impl CampaignAttributes {
    /// `c`'s v1 attributes (every one of them is a default).
    pub fn new(c: &campaign::Model, numbers: CampaignNumbers) -> Self {
        Self {
            created_at: timestamp(&c.created_at),
            creation_count: numbers.creation_count,
            creation_name: c.creation_name.clone(),
            discord_server_id: c.discord_server_id.clone(),
            display_patron_goals: true,
            earnings_visibility: "public",
            image_small_url: c.image_small_url.clone(),
            image_url: c.image_url.clone(),
            is_charged_immediately: c.is_charged_immediately,
            is_monthly: c.is_monthly,
            is_nsfw: c.is_nsfw,
            is_plural: false,
            main_video_embed: String::new(),
            main_video_url: c.main_video_url.clone(),
            one_liner: c.one_liner.clone(),
            outstanding_payment_amount_cents: 0,
            patron_count: numbers.patron_count,
            pay_per_name: c.pay_per_name.clone(),
            pledge_sum: numbers.pledge_sum,
            pledge_url: format!("/checkout/{}", c.id),
            published_at: c.published_at.as_ref().map(timestamp),
            summary: c.summary.clone(),
            thanks_embed: String::new(),
            thanks_msg: c.thanks_msg.clone(),
            thanks_video_url: (!c.thanks_video_url.is_empty()).then(|| c.thanks_video_url.clone()),
        }
    }
}

/// v1 `reward` for a real tier.
#[derive(Debug, Serialize)]
pub struct RewardAttributes {
    pub amount: i64,
    pub amount_cents: i64,
    pub created_at: String,
    pub description: String,
    pub discord_role_ids: Option<Vec<String>>,
    pub edited_at: String,
    pub image_url: Option<String>,
    pub patron_count: i64,
    pub post_count: Option<i64>,
    pub published: bool,
    pub published_at: Option<String>,
    pub remaining: Option<i64>,
    pub requires_shipping: bool,
    pub title: String,
    pub unpublished_at: Option<String>,
    pub url: String,
    pub user_limit: Option<i64>,
}

impl RewardAttributes {
    /// Tier `t` as a v1 reward, with its active patron count.
    pub fn new(t: &tier::Model, patron_count: i64) -> Self {
        let roles: Vec<String> = serde_json::from_str(&t.discord_role_ids).unwrap_or_default();
        Self {
            amount: t.amount_cents,
            amount_cents: t.amount_cents,
            created_at: timestamp(&t.created_at),
            description: t.description.clone(),
            discord_role_ids: (!roles.is_empty()).then_some(roles),
            edited_at: timestamp(&t.edited_at),
            image_url: (!t.image_url.is_empty()).then(|| t.image_url.clone()),
            patron_count,
            post_count: Some(0),
            published: t.published,
            published_at: t.published_at.as_ref().map(timestamp),
            remaining: t.user_limit.map(|limit| (limit - patron_count).max(0)),
            requires_shipping: t.requires_shipping,
            title: t.title.clone(),
            unpublished_at: t.unpublished_at.as_ref().map(timestamp),
            url: format!("/checkout/{}?rid={}", t.campaign_id, t.id),
            user_limit: t.user_limit,
        }
    }
}

/// The pseudo-rewards every v1 campaign lists first: `"-1"` Everyone and `"0"` Patrons Only.
#[derive(Debug, Serialize)]
pub struct PseudoRewardAttributes {
    pub amount: i64,
    pub amount_cents: i64,
    pub created_at: Option<String>,
    pub description: &'static str,
    pub remaining: i64,
    pub requires_shipping: bool,
    pub url: Option<String>,
    pub user_limit: Option<i64>,
}

impl PseudoRewardAttributes {
    /// `("-1", Everyone)` and `("0", Patrons Only)`.
    pub fn both() -> [(&'static str, Self); 2] {
        let pseudo = |cents, description| Self {
            amount: cents,
            amount_cents: cents,
            created_at: None,
            description,
            remaining: 0,
            requires_shipping: false,
            url: None,
            user_limit: None,
        };
        [
            ("-1", pseudo(0, "Everyone")),
            ("0", pseudo(1, "Patrons Only")),
        ]
    }
}

/// v1 `goal`.
#[derive(Debug, Serialize)]
pub struct GoalAttributes {
    pub amount_cents: i64,
    pub completed_percentage: i64,
    pub created_at: String,
    pub description: String,
    pub reached_at: Option<String>,
    pub title: String,
}

impl GoalAttributes {
    /// Goal `g`, `pledge_sum` counting towards it.
    pub fn new(g: &goal::Model, pledge_sum: i64) -> Self {
        let percentage = if g.amount_cents > 0 {
            pledge_sum.saturating_mul(100) / g.amount_cents
        } else {
            100
        };
        Self {
            amount_cents: g.amount_cents,
            completed_percentage: percentage,
            created_at: timestamp(&g.created_at),
            description: g.description.clone(),
            reached_at: g.reached_at.as_ref().map(timestamp),
            title: g.title.clone(),
        }
    }
}

/// v1 `pledge` (a paying or declined member).
#[derive(Debug, Serialize)]
pub struct PledgeAttributes {
    pub amount_cents: i64,
    pub created_at: String,
    pub currency: String,
    pub declined_since: Option<String>,
    pub has_shipping_address: bool,
    pub is_paused: bool,
    pub patron_pays_fees: bool,
    pub pledge_cap_cents: Option<i64>,
    pub status: &'static str,
    pub total_historical_amount_cents: i64,
    pub unread_count: i64,
}

/// The pledge attributes v1 sends unasked.
pub const PLEDGE_DEFAULTS: &[&str] = &[
    "amount_cents",
    "created_at",
    "declined_since",
    "patron_pays_fees",
    "pledge_cap_cents",
];

impl PledgeAttributes {
    /// Member `m` as a v1 pledge.
    pub fn new(m: &member::Model) -> Self {
        let declined = m.patron_status.as_deref() == Some("declined_patron");
        Self {
            amount_cents: m.will_pay_amount_cents,
            created_at: m
                .pledge_relationship_start
                .as_ref()
                .map_or_else(|| timestamp(&m.created_at), timestamp),
            currency: m.currency.clone(),
            declined_since: declined
                .then_some(m.last_charge_date.as_ref())
                .flatten()
                .map(timestamp),
            has_shipping_address: m.address_id.is_some(),
            is_paused: false,
            patron_pays_fees: false,
            pledge_cap_cents: m.pledge_cap_amount_cents,
            status: if declined { "declined" } else { "valid" },
            total_historical_amount_cents: m.lifetime_support_cents,
            unread_count: 0,
        }
    }
}
