//! The v2 resources' attributes, typed with Patreon's exact names and JSON types (`patreon.md`
//! §5.1; golden shapes in `shared/fixtures/patreon/webhooks-v2/`), built from store rows.

use chrono::{DateTime, SecondsFormat, Utc};
use maecenas_store::entities::{address, campaign, member, pledge_event, post, tier, user};
use serde::Serialize;
use serde_json::Value;

/// Patreon's datetime form: ISO-8601 with milliseconds and a `+00:00` offset.
pub fn timestamp(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, false)
}

fn optional(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// `social_connections`: every platform Patreon lists, none connected here.
#[derive(Debug, Default, Serialize)]
pub struct SocialConnections {
    pub discord: Option<()>,
    pub facebook: Option<()>,
    pub google: Option<()>,
    pub instagram: Option<()>,
    pub reddit: Option<()>,
    pub spotify: Option<()>,
    pub spotify_open_access: Option<()>,
    pub twitch: Option<()>,
    pub twitter: Option<()>,
    pub vimeo: Option<()>,
    pub youtube: Option<()>,
}

/// `user`.
#[derive(Debug, Serialize)]
pub struct UserAttributes {
    pub about: Option<String>,
    pub can_see_nsfw: Option<bool>,
    pub created: String,
    /// Shown only with `identity[email]` (callers strip it otherwise).
    pub email: String,
    pub first_name: Option<String>,
    pub full_name: String,
    pub hide_pledges: Option<bool>,
    pub image_url: String,
    pub is_creator: bool,
    pub is_email_verified: bool,
    pub last_name: Option<String>,
    pub like_count: i64,
    pub social_connections: SocialConnections,
    pub thumb_url: String,
    pub url: String,
    pub vanity: Option<String>,
}

impl UserAttributes {
    /// `u`'s attributes; `is_creator` when they own a campaign.
    pub fn new(u: &user::Model, is_creator: bool, public_url: &str) -> Self {
        Self {
            about: optional(&u.about),
            can_see_nsfw: Some(true),
            created: timestamp(&u.created_at),
            email: u.email.clone(),
            first_name: optional(&u.first_name),
            full_name: u.full_name.clone(),
            hide_pledges: Some(u.hide_pledges),
            image_url: u.image_url.clone(),
            is_creator,
            is_email_verified: u.is_email_verified,
            last_name: Some(u.last_name.clone()),
            like_count: 0,
            social_connections: SocialConnections::default(),
            thumb_url: u.thumb_url.clone(),
            url: format!("{public_url}user?u={}", u.id),
            vanity: u.vanity.clone(),
        }
    }
}

/// `campaign`.
#[derive(Debug, Serialize)]
pub struct CampaignAttributes {
    pub created_at: String,
    pub creation_name: Option<String>,
    pub discord_server_id: Option<String>,
    pub google_analytics_id: Option<String>,
    pub has_rss: bool,
    pub has_sent_rss_notify: bool,
    pub image_small_url: String,
    pub image_url: String,
    pub is_charged_immediately: Option<bool>,
    pub is_monthly: bool,
    pub is_nsfw: bool,
    pub main_video_embed: Option<String>,
    pub main_video_url: Option<String>,
    pub one_liner: Option<String>,
    pub patron_count: i64,
    pub pay_per_name: Option<String>,
    pub pledge_url: String,
    pub published_at: Option<String>,
    pub rss_artwork_url: Option<String>,
    pub rss_feed_title: Option<String>,
    pub show_earnings: bool,
    pub summary: Option<String>,
    pub thanks_embed: Option<String>,
    pub thanks_msg: Option<String>,
    pub thanks_video_url: Option<String>,
    pub url: String,
    pub vanity: Option<String>,
}

impl CampaignAttributes {
    /// `c`'s attributes with its active patron count.
    pub fn new(c: &campaign::Model, patron_count: i64, public_url: &str) -> Self {
        Self {
            created_at: timestamp(&c.created_at),
            creation_name: Some(c.creation_name.clone()),
            discord_server_id: c.discord_server_id.clone(),
            google_analytics_id: c.google_analytics_id.clone(),
            has_rss: false,
            has_sent_rss_notify: false,
            image_small_url: c.image_small_url.clone(),
            image_url: c.image_url.clone(),
            is_charged_immediately: Some(c.is_charged_immediately),
            is_monthly: c.is_monthly,
            is_nsfw: c.is_nsfw,
            main_video_embed: None,
            main_video_url: optional(&c.main_video_url),
            one_liner: optional(&c.one_liner),
            patron_count,
            pay_per_name: optional(&c.pay_per_name),
            pledge_url: format!("/checkout/{}", c.id),
            published_at: c.published_at.as_ref().map(timestamp),
            rss_artwork_url: None,
            rss_feed_title: None,
            show_earnings: false,
            summary: optional(&c.summary),
            thanks_embed: None,
            thanks_msg: optional(&c.thanks_msg),
            thanks_video_url: optional(&c.thanks_video_url),
            url: format!("{public_url}c/{}", c.vanity),
            vanity: Some(c.vanity.clone()),
        }
    }
}

/// `tier`.
#[derive(Debug, Serialize)]
pub struct TierAttributes {
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

impl TierAttributes {
    /// `t`'s attributes with its active patron count.
    pub fn new(t: &tier::Model, patron_count: i64) -> Self {
        let roles: Vec<String> = serde_json::from_str(&t.discord_role_ids).unwrap_or_default();
        Self {
            amount_cents: t.amount_cents,
            created_at: timestamp(&t.created_at),
            description: t.description.clone(),
            discord_role_ids: (!roles.is_empty()).then_some(roles),
            edited_at: timestamp(&t.edited_at),
            image_url: optional(&t.image_url),
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

/// `member`.
#[derive(Debug, Serialize)]
pub struct MemberAttributes {
    pub campaign_lifetime_support_cents: i64,
    pub currently_entitled_amount_cents: i64,
    /// Shown only with the e-mail scope (callers strip it otherwise).
    pub email: String,
    pub full_name: String,
    /// Deprecated by Patreon and always false.
    pub is_follower: bool,
    pub is_free_trial: bool,
    pub is_gifted: bool,
    pub last_charge_date: Option<String>,
    pub last_charge_status: Option<String>,
    pub lifetime_support_cents: i64,
    pub next_charge_date: Option<String>,
    pub note: String,
    pub patron_status: Option<String>,
    pub pledge_cadence: Option<i64>,
    pub pledge_relationship_start: Option<String>,
    pub will_pay_amount_cents: i64,
}

impl MemberAttributes {
    /// `m`'s attributes; `u` is the member's user (name and e-mail are empty without it).
    pub fn new(m: &member::Model, u: Option<&user::Model>) -> Self {
        Self {
            campaign_lifetime_support_cents: m.campaign_lifetime_support_cents,
            currently_entitled_amount_cents: m.currently_entitled_amount_cents,
            email: u.map(|u| u.email.clone()).unwrap_or_default(),
            full_name: u.map(|u| u.full_name.clone()).unwrap_or_default(),
            is_follower: false,
            is_free_trial: m.is_free_trial,
            is_gifted: m.is_gifted,
            last_charge_date: m.last_charge_date.as_ref().map(timestamp),
            last_charge_status: m.last_charge_status.clone(),
            lifetime_support_cents: m.lifetime_support_cents,
            next_charge_date: m.next_charge_date.as_ref().map(timestamp),
            note: m.note.clone(),
            patron_status: m.patron_status.clone(),
            pledge_cadence: m.patron_status.is_some().then_some(m.pledge_cadence),
            pledge_relationship_start: m.pledge_relationship_start.as_ref().map(timestamp),
            will_pay_amount_cents: m.will_pay_amount_cents,
        }
    }
}

/// `address`.
#[derive(Debug, Serialize)]
pub struct AddressAttributes {
    pub addressee: Option<String>,
    pub city: String,
    pub country: String,
    pub created_at: String,
    pub line_1: Option<String>,
    pub line_2: Option<String>,
    pub phone_number: Option<String>,
    pub postal_code: Option<String>,
    pub state: Option<String>,
}

impl AddressAttributes {
    /// `a`'s attributes.
    pub fn new(a: &address::Model) -> Self {
        Self {
            addressee: optional(&a.addressee),
            city: a.city.clone(),
            country: a.country.clone(),
            created_at: timestamp(&a.created_at),
            line_1: optional(&a.line_1),
            line_2: optional(&a.line_2),
            phone_number: optional(&a.phone_number),
            postal_code: optional(&a.postal_code),
            state: optional(&a.state),
        }
    }
}

/// `pledge-event`.
#[derive(Debug, Serialize)]
pub struct PledgeEventAttributes {
    pub amount_cents: i64,
    pub currency_code: String,
    pub date: String,
    pub payment_status: Option<String>,
    pub pledge_payment_status: Option<String>,
    pub tier_id: Option<String>,
    pub tier_title: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
}

impl PledgeEventAttributes {
    /// `e`'s attributes.
    pub fn new(e: &pledge_event::Model) -> Self {
        Self {
            amount_cents: e.amount_cents,
            currency_code: e.currency.clone(),
            date: timestamp(&e.date),
            payment_status: e.payment_status.clone(),
            pledge_payment_status: e.pledge_payment_status.clone(),
            tier_id: e.tier_id.map(|t| t.to_string()),
            tier_title: e.tier_title.clone(),
            kind: e.event_type.clone(),
        }
    }

    /// Patreon's pledge-event ids: `<type>:<number>` (`patreon.md` §2.3).
    pub fn id(e: &pledge_event::Model) -> String {
        format!("{}:{}", e.event_type, e.id)
    }
}

/// `post`.
#[derive(Debug, Serialize)]
pub struct PostAttributes {
    pub app_id: Option<i64>,
    pub app_status: Option<String>,
    pub content: Option<String>,
    pub embed_data: Option<Value>,
    pub embed_url: Option<String>,
    pub is_paid: Option<bool>,
    pub is_public: Option<bool>,
    pub published_at: Option<String>,
    /// The ids of the tiers whose patrons may see the post (strings, as Patreon sends them).
    pub tiers: Vec<String>,
    pub title: Option<String>,
    pub url: String,
}

impl PostAttributes {
    /// `p`'s attributes; `tier_ids` are the tiers it is shown to.
    pub fn new(p: &post::Model, tier_ids: &[i64], public_url: &str) -> Self {
        Self {
            app_id: p.app_id,
            app_status: p.app_status.clone(),
            content: Some(p.content.clone()),
            embed_data: p
                .embed_data
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok()),
            embed_url: p.embed_url.clone(),
            is_paid: Some(p.is_paid),
            is_public: Some(p.is_public),
            published_at: p.published_at.as_ref().map(timestamp),
            tiers: tier_ids.iter().map(ToString::to_string).collect(),
            title: Some(p.title.clone()),
            url: format!("{public_url}posts/{}", p.id),
        }
    }
}

/// Every attribute name of each v2 type Patreon documents, for checking `fields[type]`
/// (`patreon.md` §5.1; `benefit` and `goal` are accepted though never filled here).
pub const FIELDS: &[(&str, &[&str])] = &[
    (
        "user",
        &[
            "about",
            "can_see_nsfw",
            "created",
            "email",
            "first_name",
            "full_name",
            "hide_pledges",
            "image_url",
            "is_creator",
            "is_email_verified",
            "last_name",
            "like_count",
            "social_connections",
            "thumb_url",
            "url",
            "vanity",
        ],
    ),
    (
        "campaign",
        &[
            "created_at",
            "creation_name",
            "discord_server_id",
            "google_analytics_id",
            "has_rss",
            "has_sent_rss_notify",
            "image_small_url",
            "image_url",
            "is_charged_immediately",
            "is_monthly",
            "is_nsfw",
            "main_video_embed",
            "main_video_url",
            "one_liner",
            "patron_count",
            "pay_per_name",
            "pledge_url",
            "published_at",
            "rss_artwork_url",
            "rss_feed_title",
            "show_earnings",
            "summary",
            "thanks_embed",
            "thanks_msg",
            "thanks_video_url",
            "url",
            "vanity",
        ],
    ),
    (
        "tier",
        &[
            "amount_cents",
            "created_at",
            "description",
            "discord_role_ids",
            "edited_at",
            "image_url",
            "patron_count",
            "post_count",
            "published",
            "published_at",
            "remaining",
            "requires_shipping",
            "title",
            "unpublished_at",
            "url",
            "user_limit",
        ],
    ),
    (
        "member",
        &[
            "campaign_lifetime_support_cents",
            "currently_entitled_amount_cents",
            "email",
            "full_name",
            "is_follower",
            "is_free_trial",
            "is_gifted",
            "last_charge_date",
            "last_charge_status",
            "lifetime_support_cents",
            "next_charge_date",
            "note",
            "patron_status",
            "pledge_cadence",
            "pledge_relationship_start",
            "will_pay_amount_cents",
        ],
    ),
    (
        "address",
        &[
            "addressee",
            "city",
            "country",
            "created_at",
            "line_1",
            "line_2",
            "phone_number",
            "postal_code",
            "state",
        ],
    ),
    (
        "pledge-event",
        &[
            "amount_cents",
            "currency_code",
            "date",
            "payment_status",
            "pledge_payment_status",
            "tier_id",
            "tier_title",
            "type",
        ],
    ),
    (
        "post",
        &[
            "app_id",
            "app_status",
            "content",
            "embed_data",
            "embed_url",
            "is_paid",
            "is_public",
            "published_at",
            "tiers",
            "title",
            "url",
        ],
    ),
    (
        "benefit",
        &[
            "app_external_id",
            "app_meta",
            "benefit_type",
            "created_at",
            "deliverables_due_today_count",
            "delivered_deliverables_count",
            "description",
            "is_deleted",
            "is_ended",
            "is_published",
            "next_deliverable_due_date",
            "not_delivered_deliverables_count",
            "rule_type",
            "tiers_count",
            "title",
        ],
    ),
    (
        "goal",
        &[
            "amount_cents",
            "completed_percentage",
            "created_at",
            "description",
            "reached_at",
            "title",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every attribute of the golden webhook payload's member, campaign, user and tier exists
    /// here with the same JSON type (nullable ones may be null on either side).
    #[test]
    fn attribute_names_and_types_match_the_golden_payload() {
        let path = format!(
            "{}/../../../shared/fixtures/patreon/webhooks-v2/members_update.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let golden: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let now = chrono::DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let u = user::Model {
            id: 1,
            email: "a@b.org".into(),
            password_hash: None,
            full_name: "A B".into(),
            first_name: "A".into(),
            last_name: "B".into(),
            vanity: None,
            about: String::new(),
            image_url: "i".into(),
            thumb_url: "t".into(),
            language: "en".into(),
            is_email_verified: true,
            hide_pledges: false,
            created_at: now,
            updated_at: now,
        };
        let ours = |kind: &str| -> serde_json::Value {
            match kind {
                "user" => {
                    serde_json::to_value(UserAttributes::new(&u, false, "http://h/")).unwrap()
                }
                "member" => {
                    let m = member::Model {
                        id: uuid::Uuid::nil(),
                        campaign_id: 1,
                        user_id: 1,
                        patron_status: Some("active_patron".into()),
                        is_follower: false,
                        is_free_trial: false,
                        is_gifted: false,
                        currency: "USD".into(),
                        currently_entitled_amount_cents: 100,
                        will_pay_amount_cents: 100,
                        pledge_cap_amount_cents: None,
                        pledge_cadence: 1,
                        lifetime_support_cents: 0,
                        campaign_lifetime_support_cents: 0,
                        pledge_relationship_start: Some(now),
                        last_charge_date: None,
                        last_charge_status: None,
                        next_charge_date: None,
                        address_id: None,
                        note: String::new(),
                        created_at: now,
                        updated_at: now,
                    };
                    serde_json::to_value(MemberAttributes::new(&m, Some(&u))).unwrap()
                }
                "campaign" => {
                    let c = campaign::Model {
                        id: 1,
                        creator_id: 1,
                        vanity: "v".into(),
                        creation_name: "c".into(),
                        summary: String::new(),
                        one_liner: String::new(),
                        pay_per_name: "month".into(),
                        currency: "USD".into(),
                        is_monthly: true,
                        is_charged_immediately: true,
                        is_nsfw: false,
                        image_url: String::new(),
                        image_small_url: String::new(),
                        main_video_url: String::new(),
                        thanks_msg: String::new(),
                        thanks_video_url: String::new(),
                        discord_server_id: None,
                        google_analytics_id: None,
                        published_at: Some(now),
                        created_at: now,
                        updated_at: now,
                    };
                    serde_json::to_value(CampaignAttributes::new(&c, 0, "http://h/")).unwrap()
                }
                _ => {
                    let t = tier::Model {
                        id: 1,
                        campaign_id: 1,
                        title: "t".into(),
                        description: String::new(),
                        amount_cents: 100,
                        currency: "USD".into(),
                        user_limit: None,
                        requires_shipping: false,
                        published: true,
                        discord_role_ids: "[]".into(),
                        image_url: String::new(),
                        sort_order: 0,
                        published_at: Some(now),
                        unpublished_at: None,
                        created_at: now,
                        edited_at: now,
                    };
                    serde_json::to_value(TierAttributes::new(&t, 0)).unwrap()
                }
            }
        };
        let mut resources = vec![golden["data"].clone()];
        resources.extend(golden["included"].as_array().unwrap().iter().cloned());
        for resource in resources {
            let kind = resource["type"].as_str().unwrap();
            let mine = ours(kind);
            for (name, value) in resource["attributes"].as_object().unwrap() {
                let ours = mine
                    .get(name)
                    .unwrap_or_else(|| panic!("{kind}.{name} missing"));
                let same = std::mem::discriminant(ours) == std::mem::discriminant(value)
                    || ours.is_null()
                    || value.is_null();
                assert!(same, "{kind}.{name}: ours {ours}, golden {value}");
            }
        }
    }
}
