//! `maecenas sandbox donation`: a donation as if a payment had just succeeded, recorded through
//! the core `Alerts` service (row and event in one transaction) on the configured database, so
//! a server running on the same database publishes it like any other. `sandbox members` is in
//! [`crate::sandbox_members`].

use std::sync::Arc;

use maecenas_core::{AlertError, Alerts, SandboxDonation};
use maecenas_donationalerts::wire::amount;
use maecenas_realtime::donation_channel;
use maecenas_types::{SystemClock, UserId};
use serde::Serialize;

use crate::{
    cli::{DonationArgs, SandboxCommand},
    config::Config,
    serve::open_store,
};

/// What `sandbox donation --json` prints.
#[derive(Debug, Serialize)]
struct DonationOut {
    id: i64,
    recipient_user_id: i64,
    username: Option<String>,
    message: String,
    /// Major units, as the DonationAlerts API shows it.
    amount: serde_json::Number,
    currency: String,
    /// The channel it is published on.
    channel: String,
    /// RFC 3339 with milliseconds.
    created_at: String,
}

/// `maecenas sandbox …`.
pub async fn run(config: &Config, command: SandboxCommand) -> anyhow::Result<()> {
    let args = match command {
        SandboxCommand::Donation(args) => args,
        SandboxCommand::Members(args) => return crate::sandbox_members::run(config, args).await,
        other => return crate::sandbox_billing::run(config, other).await,
    };
    let DonationArgs {
        to,
        amount: amount_text,
        currency,
        username,
        message,
        json,
    } = args;
    let store = open_store(config).await?;
    let alerts = Alerts::new(store, Arc::new(SystemClock));
    let request = SandboxDonation {
        to,
        amount: amount_text,
        currency,
        username,
        message,
    };
    let row = match alerts.sandbox_donation(request).await {
        Ok(row) => row,
        Err(err @ AlertError::Invalid { .. }) => anyhow::bail!("{err}"),
        Err(AlertError::Store(err)) => return Err(err.into()),
    };
    let out = DonationOut {
        id: row.id,
        recipient_user_id: row.recipient_user_id,
        username: Some(row.username.clone()).filter(|u| !u.is_empty()),
        message: row.message.clone(),
        amount: amount(row.amount_cents, &row.currency),
        currency: row.currency.clone(),
        channel: donation_channel(UserId(row.recipient_user_id)),
        created_at: row
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    };
    if json.json {
        println!("{}", serde_json::to_string(&out)?);
    } else {
        println!(
            "Donation {} recorded: {} {} from {} to user {} (published on {}).",
            out.id,
            out.amount,
            out.currency,
            out.username.as_deref().unwrap_or("an anonymous donor"),
            out.recipient_user_id,
            out.channel
        );
    }
    Ok(())
}
