//! `maecenas sandbox patrons|pledge|upgrade|decline|cancel|advance|webhook|audit|clock|reset`:
//! the sandbox's membership controls, each through the core `Sandbox` and `Billing` services on
//! the persisted sandbox clock (`maecenas_core::sandbox`), so a server on the same database
//! hears every change as events and follows the clock.

use std::{io::Write, sync::Arc};

use anyhow::{Context, bail};
use clap::Args;
use maecenas_core::{
    billing::{BillingError, Cadence, audit::audit_campaign, gateway::CARD_SUCCESS},
    sandbox::{PledgeSpec, Progress, Sandbox, parse_duration},
};
use maecenas_store::{
    Store,
    entities::{campaign, member},
};
use maecenas_types::{OffsetClock, SystemClock};
use serde_json::json;

use crate::{
    cli::{JsonFlag, SandboxCommand},
    config::Config,
    serve::open_store,
};

/// `sandbox patrons` options.
#[derive(Debug, Args)]
pub struct PatronsArgs {
    /// The campaign's vanity.
    #[arg(long, value_name = "VANITY")]
    pub campaign: String,
    /// How many fake patrons.
    #[arg(long, default_value_t = 10)]
    pub count: usize,
    #[command(flatten)]
    pub pledge: PledgeOptions,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// What a pledge is for.
#[derive(Debug, Args)]
pub struct PledgeOptions {
    /// A tier, by title or id (default: the cheapest paid tier, unless --amount is given).
    #[arg(long, value_name = "TIER")]
    pub tier: Option<String>,
    /// The monthly amount in minor units (cents).
    #[arg(long, value_name = "CENTS")]
    pub amount: Option<i64>,
    /// The sandbox test card (see the billing gateway's documented cards).
    #[arg(long, default_value = CARD_SUCCESS)]
    pub card: String,
    /// Pay yearly (twelve months at once) instead of monthly.
    #[arg(long)]
    pub annual: bool,
}

/// `sandbox pledge` options.
#[derive(Debug, Args)]
pub struct PledgeArgs {
    #[arg(long, value_name = "VANITY")]
    pub campaign: String,
    /// The e-mail of the user who pledges.
    #[arg(long, value_name = "EMAIL")]
    pub email: String,
    #[command(flatten)]
    pub pledge: PledgeOptions,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// `sandbox upgrade` options.
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    #[arg(long, value_name = "VANITY")]
    pub campaign: String,
    #[arg(long, value_name = "EMAIL")]
    pub email: String,
    /// The new tier, by title or id.
    #[arg(long, value_name = "TIER")]
    pub tier: Option<String>,
    /// The new monthly amount in minor units.
    #[arg(long, value_name = "CENTS")]
    pub amount: Option<i64>,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// A member, by campaign and e-mail.
#[derive(Debug, Args)]
pub struct MemberArgs {
    #[arg(long, value_name = "VANITY")]
    pub campaign: String,
    #[arg(long, value_name = "EMAIL")]
    pub email: String,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// `sandbox advance` options.
#[derive(Debug, Args)]
pub struct AdvanceArgs {
    /// How far: a number and a unit, w d h m s (`31d`, `400d`, `12h`).
    #[arg(value_name = "DURATION")]
    pub duration: String,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// `sandbox webhook` options.
#[derive(Debug, Args)]
pub struct WebhookArgs {
    #[command(flatten)]
    pub member: MemberArgs,
    /// The event: members:create, members:update, members:pledge:create|update|delete.
    #[arg(long, default_value = "members:update")]
    pub trigger: String,
}

/// `sandbox audit` options.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[arg(long, value_name = "VANITY")]
    pub campaign: String,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// Runs a membership control.
pub async fn run(config: &Config, command: SandboxCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let sandbox = Sandbox::new(
        store.clone(),
        Arc::new(OffsetClock::new(Arc::new(SystemClock))),
    );
    sandbox.load().await?;
    let billing = sandbox.billing();
    match command {
        SandboxCommand::Donation(_) | SandboxCommand::Members(_) => {
            bail!("handled by sandbox.rs")
        }
        SandboxCommand::Patrons(a) => {
            let c = campaign(&store, &a.campaign).await?;
            let ids = sandbox
                .fake_patrons_for(&c, a.count, &spec(a.pledge))
                .await
                .map_err(refused)?;
            let counts = store.count_members_by_status(c.id).await?;
            let by_status: serde_json::Map<_, _> = counts
                .iter()
                .map(|(s, n)| (s.clone().unwrap_or_else(|| "free".into()), json!(n)))
                .collect();
            say(
                a.json.json,
                json!({"created": ids.len(), "campaign": c.vanity, "members_by_status": by_status}),
                format!(
                    "{} fake patrons joined {} ({by_status:?}).",
                    ids.len(),
                    c.vanity
                ),
            )
        }
        SandboxCommand::Pledge(a) => {
            let c = campaign(&store, &a.campaign).await?;
            let m = sandbox
                .pledge(&c, &a.email, spec(a.pledge))
                .await
                .map_err(refused)?;
            show(a.json.json, &m)
        }
        SandboxCommand::Upgrade(a) => {
            let (c, m) = member(&sandbox, &store, &a.campaign, &a.email).await?;
            let m = sandbox
                .upgrade(&c, &m, a.tier.as_deref(), a.amount)
                .await
                .map_err(refused)?;
            show(a.json.json, &m)
        }
        SandboxCommand::Decline(a) => {
            let (_, m) = member(&sandbox, &store, &a.campaign, &a.email).await?;
            let m = sandbox.decline(m.id).await.map_err(refused)?;
            show(a.json.json, &m)
        }
        SandboxCommand::Cancel(a) => {
            let (_, m) = member(&sandbox, &store, &a.campaign, &a.email).await?;
            let m = billing.cancel(m.id, None).await.map_err(refused)?;
            show(a.json.json, &m)
        }
        SandboxCommand::Advance(a) => advance(&sandbox, &a).await,
        SandboxCommand::Webhook(a) => {
            let (_, m) = member(&sandbox, &store, &a.member.campaign, &a.member.email).await?;
            sandbox
                .fire_member_event(m.id, &a.trigger)
                .await
                .map_err(refused)?;
            say(
                a.member.json.json,
                json!({"member": m.id, "trigger": a.trigger}),
                format!(
                    "{} recorded for member {}; webhooks deliver it.",
                    a.trigger, m.id
                ),
            )
        }
        SandboxCommand::Audit(a) => {
            let c = campaign(&store, &a.campaign).await?;
            let audit = audit_campaign(&store, c.id).await?;
            say(
                a.json.json,
                json!({"members": audit.members, "charges": audit.charges, "problems": audit.problems}),
                format!(
                    "{} members, {} succeeded charges, {} problems{}",
                    audit.members,
                    audit.charges,
                    audit.problems.len(),
                    audit
                        .problems
                        .iter()
                        .map(|p| format!("\n  {p}"))
                        .collect::<String>()
                ),
            )?;
            if !audit.problems.is_empty() {
                bail!("the histories are not consistent");
            }
            Ok(())
        }
        SandboxCommand::Clock(json) => say(
            json.json,
            json!({"now": sandbox.now().to_rfc3339(), "offset_seconds": sandbox.offset().num_seconds()}),
            format!(
                "Sandbox time {} ({} s ahead of the wall clock).",
                sandbox.now().to_rfc3339(),
                sandbox.offset().num_seconds()
            ),
        ),
        SandboxCommand::Reset(json) => {
            let gone = sandbox.reset(None).await.map_err(refused)?;
            say(
                json.json,
                json!({"deleted_patrons": gone, "offset_seconds": 0}),
                format!("Deleted {gone} fake patrons; the sandbox clock is the wall clock again."),
            )
        }
    }
}

async fn advance(sandbox: &Sandbox, a: &AdvanceArgs) -> anyhow::Result<()> {
    let by = parse_duration(&a.duration).with_context(|| {
        format!(
            "{:?}: give a number and a unit: 400d, 31d, 12h, 2w",
            a.duration
        )
    })?;
    let mut last_len: usize = 0;
    let report = sandbox
        .advance(by, |p: Progress| {
            let line = format!(
                "advance: {}/{} days, now {} — {} charged, {} declined, {} ended",
                p.done.num_days(),
                p.total.num_days(),
                p.now.format("%Y-%m-%d %H:%M UTC"),
                p.report.paid,
                p.report.declined,
                p.report.ended,
            );
            let pad = last_len.saturating_sub(line.len());
            last_len = line.len();
            let mut err = std::io::stderr();
            let _ = write!(err, "\r{line}{}", " ".repeat(pad));
            let _ = err.flush();
        })
        .await
        .map_err(refused)?;
    eprintln!();
    say(
        a.json.json,
        json!({
            "now": sandbox.now().to_rfc3339(), "offset_seconds": sandbox.offset().num_seconds(),
            "paid": report.paid, "declined": report.declined, "ended": report.ended,
        }),
        format!(
            "Sandbox time is now {}: {} charges paid, {} declined, {} pledges ended.",
            sandbox.now().to_rfc3339(),
            report.paid,
            report.declined,
            report.ended
        ),
    )
}

fn cadence(annual: bool) -> Cadence {
    if annual {
        Cadence::Annual
    } else {
        Cadence::Monthly
    }
}

fn refused(err: BillingError) -> anyhow::Error {
    anyhow::anyhow!("{err}")
}

fn say(json: bool, value: serde_json::Value, text: String) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(&value)?);
    } else {
        println!("{text}");
    }
    Ok(())
}

fn show(json: bool, m: &member::Model) -> anyhow::Result<()> {
    say(
        json,
        json!({
            "member": m.id, "patron_status": m.patron_status, "last_charge_status": m.last_charge_status,
            "currently_entitled_amount_cents": m.currently_entitled_amount_cents,
            "will_pay_amount_cents": m.will_pay_amount_cents,
            "campaign_lifetime_support_cents": m.campaign_lifetime_support_cents,
            "next_charge_date": m.next_charge_date.map(|d| d.to_rfc3339()),
        }),
        format!(
            "Member {}: {} (last charge {}), next charge {}, lifetime support {}.",
            m.id,
            m.patron_status.as_deref().unwrap_or("free member"),
            m.last_charge_status.as_deref().unwrap_or("none"),
            m.next_charge_date
                .map_or_else(|| "none".to_owned(), |d| d.to_rfc3339()),
            m.campaign_lifetime_support_cents
        ),
    )
}

async fn campaign(store: &Store, vanity: &str) -> anyhow::Result<campaign::Model> {
    store
        .campaign_by_vanity(vanity)
        .await?
        .with_context(|| format!("no campaign with vanity {vanity:?}"))
}

async fn member(
    sandbox: &Sandbox,
    store: &Store,
    vanity: &str,
    email: &str,
) -> anyhow::Result<(campaign::Model, member::Model)> {
    let c = campaign(store, vanity).await?;
    let m = sandbox.member_of(&c, email).await.map_err(refused)?;
    Ok((c, m))
}

fn spec(p: PledgeOptions) -> PledgeSpec {
    PledgeSpec {
        tier: p.tier,
        amount_cents: p.amount,
        cadence: cadence(p.annual),
        card: p.card,
    }
}
