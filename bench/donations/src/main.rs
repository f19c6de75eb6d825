//! bench/donations: how many donations (each a donation row plus its `donation:create` event,
//! committed) one process stores per second, (a) one per transaction from C concurrent tasks —
//! `Store::create_donations` with one donation, what every caller did before the writer — and
//! (b) through the group-committing `DonationWriter` from the same C tasks. Phases alternate
//! for `--rounds` rounds on one database so both see the same machine and the same growing
//! tables; after the run the stored donations and their events are counted against what the
//! tasks were told was stored. Prints one JSON object; `bench/donations/run` drives it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Parser;
use maecenas_core::DonationWriter;
use maecenas_store::{ConnectOptions, Store, accounts::NewUser, money::NewDonation};
use maecenas_types::{Clock, SystemClock};
use serde::Serialize;

#[derive(Parser, Debug)]
struct Args {
    /// `sqlite://PATH` (a fresh file) or `postgres://…`.
    #[arg(long)]
    database_url: String,
    /// PostgreSQL: the (fresh) schema to create and use.
    #[arg(long)]
    pg_schema: Option<String>,
    /// Concurrent tasks creating donations (C).
    #[arg(long, default_value_t = 64)]
    tasks: usize,
    /// Seconds each phase runs.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Rounds of (a) then (b).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Which phases each round runs: `ab` (both, the benchmark), or `a` or `b` alone (to profile).
    #[arg(long, default_value = "ab")]
    phases: String,
    /// Recipients the donations are spread over.
    #[arg(long, default_value_t = 100)]
    recipients: i64,
}

#[derive(Serialize, Debug)]
struct Phase {
    name: &'static str,
    round: usize,
    donations: u64,
    errors: u64,
    seconds: f64,
    per_second: f64,
    load_before: String,
    load_after: String,
}

#[derive(Serialize, Debug)]
struct Report {
    backend: String,
    tasks: usize,
    seconds_per_phase: f64,
    rounds: usize,
    phases: Vec<Phase>,
    created: u64,
    stored_donations: u64,
    stored_donation_events: u64,
    nothing_lost: bool,
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The `n`-th donation of task `task`: an ordinary sandbox donation with a message.
fn donation(recipients: &[i64], task: usize, n: u64, now: DateTime<Utc>) -> NewDonation {
    let pick = (task as u64).wrapping_mul(7_919).wrapping_add(n) % recipients.len() as u64;
    NewDonation {
        recipient_user_id: recipients[usize::try_from(pick).unwrap_or(0)],
        donor_user_id: None,
        username: format!("donor {task}-{n}"),
        message: "Thanks for the stream! Here is something for the new microphone.".into(),
        amount_cents: 50_000 + i64::try_from(n % 1_000).unwrap_or(0),
        currency: "RUB".into(),
        amount_in_user_currency_cents: 500,
        payin_system: "sandbox".into(),
        created_at: now,
        shown_at: None,
    }
}

/// Runs `tasks` tasks, each storing donations with `store_one` until `seconds` have passed.
async fn phase<F, Fut>(
    name: &'static str,
    round: usize,
    args: &Args,
    recipients: &Arc<Vec<i64>>,
    store_one: F,
) -> anyhow::Result<Phase>
where
    F: Fn(NewDonation) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let load_before = loadavg();
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(args.seconds);
    let mut handles = Vec::with_capacity(args.tasks);
    for task in 0..args.tasks {
        let (done, errors, recipients, store_one) = (
            Arc::clone(&done),
            Arc::clone(&errors),
            Arc::clone(recipients),
            store_one.clone(),
        );
        handles.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                if store_one(donation(&recipients, task, n, SystemClock.now())).await {
                    done.fetch_add(1, Ordering::Relaxed);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
        }));
    }
    for handle in handles {
        handle.await?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let donations = done.load(Ordering::Relaxed);
    let phase = Phase {
        name,
        round,
        donations,
        errors: errors.load(Ordering::Relaxed),
        seconds,
        per_second: donations as f64 / seconds,
        load_before,
        load_after: loadavg(),
    };
    eprintln!(
        "[bench/donations] round {round} {name}: {:.0} donations/s ({donations} in {seconds:.2} s, {} errors, load {})",
        phase.per_second, phase.errors, phase.load_after
    );
    Ok(phase)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let options = ConnectOptions {
        pg_schema: args.pg_schema.clone(),
        ..ConnectOptions::default()
    };
    let store = Store::connect(&args.database_url, &options)
        .await
        .context("connecting")?;
    store.migrate().await.context("migrating")?;
    let (before, _) = store.count_donations_and_events().await?;
    anyhow::ensure!(before == 0, "the database is not fresh: {before} donations");
    let mut ids = Vec::new();
    for i in 0..args.recipients {
        let user = NewUser {
            email: format!("streamer-{i}@bench.example"),
            password_hash: None,
            full_name: format!("Streamer {i}"),
            vanity: None,
        };
        ids.push(store.create_user(user, SystemClock.now()).await?.id);
    }
    let recipients = Arc::new(ids);
    let writer = DonationWriter::new(store.clone());

    let mut phases = Vec::new();
    for round in 1..=args.rounds {
        let one_store = store.clone();
        if args.phases.contains('a') {
            phases.push(
                phase(
                    "a_one_per_transaction",
                    round,
                    &args,
                    &recipients,
                    move |d| {
                        let store = one_store.clone();
                        async move {
                            match store.create_donations(vec![d]).await {
                                Ok(rows) => rows.len() == 1,
                                Err(err) => {
                                    eprintln!("[bench/donations] (a) failed: {err}");
                                    false
                                }
                            }
                        }
                    },
                )
                .await?,
            );
        }
        let one_writer = writer.clone();
        if args.phases.contains('b') {
            phases.push(
                phase("b_batched_writer", round, &args, &recipients, move |d| {
                    let writer = one_writer.clone();
                    async move {
                        match writer.create(d).await {
                            Ok(_) => true,
                            Err(err) => {
                                eprintln!("[bench/donations] (b) failed: {err}");
                                false
                            }
                        }
                    }
                })
                .await?,
            );
        }
    }

    let created = phases.iter().map(|p| p.donations).sum();
    let (stored_donations, stored_donation_events) = store.count_donations_and_events().await?;
    let report = Report {
        backend: format!("{:?}", store.backend()).to_lowercase(),
        tasks: args.tasks,
        seconds_per_phase: args.seconds,
        rounds: args.rounds,
        phases,
        created,
        stored_donations,
        stored_donation_events,
        nothing_lost: stored_donations == created && stored_donation_events == created,
    };
    drop(writer);
    store.close().await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
