//! `maecenas sandbox members --creator EMAIL --count N`: synthetic active patrons added to the
//! creator's campaign by the store's bulk insert (batched multi-row inserts in one transaction,
//! no events), for load tests such as `bench/patreon`. A creator without a campaign gets one,
//! with a $3 tier every new member is entitled to.

use anyhow::{Context, bail};
use maecenas_store::{
    bulk::BulkMembers,
    campaigns::{NewCampaign, NewTier},
};
use maecenas_types::{Clock, SystemClock};
use serde::Serialize;

use crate::{cli::MembersArgs, config::Config, serve::open_store};

/// Most members one run adds.
const MAX_COUNT: usize = 1_000_000;

/// What `sandbox members --json` prints.
#[derive(Debug, Serialize)]
struct MembersOut {
    campaign_id: i64,
    tier_id: i64,
    added: usize,
    total: u64,
    /// The first new member's account, e.g. to issue a patron token for.
    first_member_email: String,
}

/// `maecenas sandbox members`.
pub async fn run(config: &Config, args: MembersArgs) -> anyhow::Result<()> {
    if args.count == 0 || args.count > MAX_COUNT {
        bail!("--count must be between 1 and {MAX_COUNT}");
    }
    let store = open_store(config).await?;
    let now = SystemClock.now();
    let creator = store
        .user_by_email(&args.creator)
        .await?
        .with_context(|| format!("no account {}", args.creator))?;
    let campaign = match store.campaign_by_creator(creator.id).await? {
        Some(c) => c,
        None => {
            let new = NewCampaign {
                creator_id: creator.id,
                vanity: format!("sandbox-{}", creator.id),
                creation_name: "sandbox things".to_owned(),
                summary: String::new(),
                one_liner: String::new(),
                currency: "USD".to_owned(),
                published_at: Some(now),
            };
            store.create_campaign(new, now).await?
        }
    };
    let tier = match store
        .tiers_of_campaign(campaign.id)
        .await?
        .into_iter()
        .next()
    {
        Some(t) => t,
        None => {
            let new = NewTier {
                campaign_id: campaign.id,
                title: "Supporter".to_owned(),
                description: "Sandbox tier".to_owned(),
                amount_cents: 300,
                currency: campaign.currency.clone(),
                user_limit: None,
                requires_shipping: false,
                sort_order: 0,
            };
            store.create_tier(new, now).await?
        }
    };
    let spec = BulkMembers {
        campaign_id: campaign.id,
        count: args.count,
        // Unique per run, so the generated e-mails never collide with an earlier run's.
        label: format!("{}-{}", campaign.id, now.timestamp_micros()),
        tier_id: Some(tier.id),
        amount_cents: tier.amount_cents,
        currency: tier.currency.clone(),
    };
    let added = store.bulk_insert_members(&spec, now).await?;
    let first_member_email = spec.email(0);
    let out = MembersOut {
        campaign_id: campaign.id,
        tier_id: tier.id,
        added,
        total: store.count_members(campaign.id).await?,
        first_member_email,
    };
    if args.json.json {
        println!("{}", serde_json::to_string(&out)?);
    } else {
        println!(
            "Added {} members to campaign {} (tier {}); it has {} now.",
            out.added, out.campaign_id, out.tier_id, out.total
        );
    }
    Ok(())
}
