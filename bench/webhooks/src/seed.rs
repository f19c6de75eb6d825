//! The bench's data: the demo campaign (`maecenas_core::demo::seed`), webhooks on it, patron
//! accounts made in bulk (members of a side campaign, which records no events), and new
//! pledging memberships of the demo campaign made through `Store::create_members` — the domain
//! path that records each membership's `members:create` and `members:pledge:create` events in
//! its transaction.

use std::sync::Arc;

use anyhow::Context;
use chrono::Duration;
use maecenas_store::{
    Store,
    accounts::NewUser,
    bulk::BulkMembers,
    campaigns::NewCampaign,
    members::{NewMember, NewPledgeEvent},
    webhooks::NewWebhook,
};
use maecenas_types::{Clock, SharedClock, SystemClock};

/// The triggers every bench webhook listens to (each new pledging member fires both).
pub const TRIGGERS: [&str; 2] = ["members:create", "members:pledge:create"];

/// The seeded campaign.
#[derive(Debug)]
pub struct Seeded {
    pub campaign_id: i64,
    pub tier_id: Option<i64>,
    pub webhook_ids: Vec<i64>,
    /// Accounts not yet members of the demo campaign.
    pub patrons: Vec<i64>,
}

/// Seeds the demo campaign, one webhook to `receiver` (`?w=<i>`) per secret, and `patrons`
/// accounts.
pub async fn seed(
    store: &Store,
    receiver: &str,
    secrets: &[String],
    patrons: usize,
) -> anyhow::Result<Seeded> {
    let clock: SharedClock = Arc::new(SystemClock);
    let demo = maecenas_core::demo::seed(store, &clock)
        .await
        .context("seeding the demo campaign")?;
    let client = store
        .oauth_client_by_client_id(&demo.client.client_id)
        .await?
        .context("the demo client")?;
    let tier_id = store
        .tiers_of_campaign(demo.campaign.id)
        .await?
        .first()
        .map(|t| t.id);
    let mut webhook_ids = Vec::with_capacity(secrets.len());
    for (i, secret) in secrets.iter().enumerate() {
        let w = store
            .create_webhook(
                NewWebhook {
                    client_id: client.id,
                    campaign_id: demo.campaign.id,
                    uri: format!("{receiver}/hook?w={i}"),
                    secret: secret.clone(),
                    triggers: TRIGGERS.iter().map(|t| (*t).to_owned()).collect(),
                    scopes: "campaigns campaigns.members w:campaigns.webhook".into(),
                },
                clock.now(),
            )
            .await?;
        webhook_ids.push(w.id);
    }
    // The accounts, in bulk: members of a side campaign nobody's webhooks hear.
    let now = clock.now();
    let owner = store
        .create_user(
            NewUser {
                email: "pool-owner@bench.invalid".into(),
                password_hash: None,
                full_name: "Pool Owner".into(),
                vanity: None,
            },
            now,
        )
        .await?;
    let pool = store
        .create_campaign(
            NewCampaign {
                creator_id: owner.id,
                vanity: "bench-pool".into(),
                creation_name: "a pool of accounts".into(),
                summary: String::new(),
                one_liner: String::new(),
                currency: "USD".into(),
                published_at: None,
            },
            now,
        )
        .await?;
    store
        .bulk_insert_members(
            &BulkMembers {
                campaign_id: pool.id,
                count: patrons,
                label: "pool".into(),
                tier_id: None,
                amount_cents: 100,
                currency: "USD".into(),
            },
            now,
        )
        .await?;
    let patrons: Vec<i64> = store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.email.starts_with("bulk-pool-"))
        .map(|u| u.id)
        .collect();
    Ok(Seeded {
        campaign_id: demo.campaign.id,
        tier_id,
        webhook_ids,
        patrons,
    })
}

/// A new active patron of `campaign_id` pledging $5 (fires `members:create` and
/// `members:pledge:create`).
pub fn pledging_member(campaign_id: i64, user_id: i64, tier_id: Option<i64>) -> NewMember {
    let now = SystemClock.now();
    NewMember {
        campaign_id,
        user_id,
        patron_status: Some("active_patron".into()),
        is_follower: false,
        currency: "USD".into(),
        currently_entitled_amount_cents: 500,
        will_pay_amount_cents: 500,
        lifetime_support_cents: 500,
        pledge_relationship_start: Some(now),
        last_charge_date: Some(now),
        last_charge_status: Some("Paid".into()),
        next_charge_date: Some(now + Duration::days(30)),
        tier_ids: tier_id.into_iter().collect(),
        pledge_events: vec![NewPledgeEvent {
            event_type: "pledge_start".into(),
            amount_cents: 500,
            currency: "USD".into(),
            payment_status: Some("Paid".into()),
            pledge_payment_status: Some("valid".into()),
            tier_id,
            tier_title: None,
            date: now,
        }],
        address: None,
    }
}
