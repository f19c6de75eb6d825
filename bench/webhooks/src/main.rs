//! `webhook-bench`: one backend's half of `bench/webhooks`, in one process on loopback.
//!
//! The webhook dispatcher is started exactly as `maecenas serve` starts it
//! (`maecenas_web::webhooks::spawn` on an `AppState` with the Patreon renderer, the system
//! clock, default pool and webhook settings but loopback receivers allowed). Events are made the
//! way the product makes them: `Store::create_members`, whose transaction records each new
//! pledging membership's `members:create` and `members:pledge:create` event rows. Three phases:
//!
//! 1. **throughput**: `--members` memberships (2 events each) are committed first, then the
//!    dispatcher starts and drains every delivery (events × `--webhooks`) to the receiver
//!    ([`receiver`]: HMAC-MD5 checked, 200, keep-alive); deliveries per second from the start
//!    to the last arrival;
//! 2. **ceiling**: the same receiver taking the same signed requests from a plain hyper client
//!    ([`ceiling`]), one connection per webhook, no database: what the receiver and loopback
//!    allow at that concurrency;
//! 3. **latency**: a producer commits events at `--rate` per second for `--seconds` while the
//!    dispatcher runs (one transaction per membership, up to 6 in flight); each delivery's latency is its arrival at the receiver minus its event's
//!    commit (both `Instant`s in this process).
//!
//! Prints one JSON document. Bounded: every wait has `--timeout`.

mod ceiling;
mod receiver;
mod seed;

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Parser;
use maecenas_store::{ConnectOptions, Store};
use maecenas_types::{Clock, SharedClock, SystemClock};
use maecenas_web::{AppState, Limits, WebSettings};
use serde_json::json;

use crate::receiver::Receiver;

/// Latency phase: memberships being committed at once, at most.
const PRODUCERS: usize = 6;

/// Measure webhook delivery on one database.
#[derive(Debug, Parser)]
#[command(name = "webhook-bench")]
struct Args {
    /// `sqlite://PATH` or `postgres://…` (an empty database: the bench migrates and seeds it).
    #[arg(long)]
    database_url: String,
    /// Webhooks on the campaign, each hearing every event.
    #[arg(long, default_value_t = 4)]
    webhooks: usize,
    /// Throughput phase: new pledging memberships (2 events each) queued before the drain.
    #[arg(long, default_value_t = 10_000)]
    members: usize,
    /// Latency phase: events committed per second (2 per membership).
    #[arg(long, default_value_t = 1_000)]
    rate: u64,
    /// Latency phase: how long the producer runs.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// The longest any phase may wait for its deliveries.
    #[arg(long, default_value_t = 180)]
    timeout: u64,
    /// Runtime worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.webhooks == 0 || args.webhooks > 64 || args.members == 0 || args.members > 200_000 {
        bail!("out of bounds: --webhooks 1..64, --members 1..200000");
    }
    if !(2..=5_000).contains(&args.rate) || !(1..=120).contains(&args.seconds) {
        bail!("out of bounds: --rate 2..5000, --seconds 1..120");
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .context("building the tokio runtime")?
        .block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let store = Store::connect(&args.database_url, &ConnectOptions::default()).await?;
    store.migrate().await?;
    let secrets: Vec<String> = (0..args.webhooks)
        .map(|_| maecenas_webhooks::sign::generate_secret())
        .collect();
    let receiver = Receiver::start(secrets.clone()).await?;
    let base = format!("http://{}", receiver.addr);
    let latency_members = usize::try_from(args.rate * args.seconds / 2)?;
    let seeded = seed::seed(&store, &base, &secrets, args.members + latency_members).await?;
    if seeded.patrons.len() < args.members + latency_members {
        bail!("seeded {} accounts, too few", seeded.patrons.len());
    }
    let (drain_patrons, live_patrons) = seeded.patrons.split_at(args.members);
    let timeout = Duration::from_secs(args.timeout);

    // --- 1. throughput: queue, then drain --------------------------------------------------
    let queued_at = Instant::now();
    for chunk in drain_patrons.chunks(500) {
        let members = chunk
            .iter()
            .map(|u| seed::pledging_member(seeded.campaign_id, *u, seeded.tier_id))
            .collect();
        store.create_members(members, SystemClock.now()).await?;
    }
    let queue_seconds = queued_at.elapsed().as_secs_f64();
    let expected = args.members as u64 * 2 * args.webhooks as u64;
    let state = app_state(&store)?;
    let started = Instant::now();
    let dispatcher = maecenas_web::webhooks::spawn(&state).context("starting the dispatcher")?;
    let complete = wait_for(&receiver, expected, timeout).await;
    let arrivals = receiver.take_arrivals();
    let throughput = drain_summary(&arrivals, started, expected, complete);
    let bad_drain = receiver.bad();
    // Let the dispatcher record its last batch and go idle before the ceiling run.
    tokio::time::sleep(Duration::from_millis(500)).await;
    receiver.reset();

    // --- 2. the receiver's ceiling, same requests, no dispatcher work ------------------------
    let canned = canned_requests(&store, &seeded.webhook_ids, &base).await?;
    let ceiling = ceiling::run(receiver.addr, canned, args.webhooks, expected).await?;
    receiver.reset();

    // --- 3. latency at a steady event rate ----------------------------------------------------
    let mark = store.last_event_id().await?;
    let period = Duration::from_secs_f64(2.0 / args.rate as f64);
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut committed: HashMap<String, Instant> = HashMap::with_capacity(live_patrons.len());
    // Each membership its own transaction, as concurrent requests would make them: up to
    // PRODUCERS in flight (of the pool's 16 connections), so a commit's own latency (an fsync
    // on PostgreSQL) does not cap the rate; when all are busy the ticks wait and the achieved
    // rate says so.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(PRODUCERS));
    let mut producers = tokio::task::JoinSet::new();
    let producing = Instant::now();
    for user in live_patrons {
        ticks.tick().await;
        let permit = in_flight.clone().acquire_owned().await?;
        let m = seed::pledging_member(seeded.campaign_id, *user, seeded.tier_id);
        let store = store.clone();
        producers.spawn(async move {
            let created = store.create_members(vec![m], SystemClock.now()).await;
            let at = Instant::now();
            drop(permit);
            created.map(|c| (c, at))
        });
        while let Some(done) = producers.try_join_next() {
            let (created, at) = done??;
            committed.extend(created.into_iter().map(|c| (c.id.to_string(), at)));
        }
    }
    while let Some(done) = producers.join_next().await {
        let (created, at) = done??;
        committed.extend(created.into_iter().map(|c| (c.id.to_string(), at)));
    }
    let produced_seconds = producing.elapsed().as_secs_f64();
    let expected_live = live_patrons.len() as u64 * 2 * args.webhooks as u64;
    let complete_live = wait_for(&receiver, expected_live, timeout).await;
    let live_arrivals = receiver.take_arrivals();
    let latency = latency_summary(
        &store,
        &seeded.webhook_ids,
        mark,
        &committed,
        &live_arrivals,
    )
    .await?
    .with(expected_live, complete_live);
    dispatcher.abort();
    let bad_live = receiver.bad();
    receiver.stop();

    let report = json!({
        "backend": format!("{:?}", store.backend()).to_lowercase(),
        "webhooks": args.webhooks,
        "throughput": {
            "memberships": args.members,
            "events": args.members * 2,
            "queue_seconds": queue_seconds,
            "bad_signatures": bad_drain,
            "drain": throughput,
        },
        "ceiling": ceiling,
        "latency": {
            "target_events_per_second": args.rate,
            "events": live_patrons.len() * 2,
            "produced_seconds": produced_seconds,
            "achieved_events_per_second": (live_patrons.len() * 2) as f64 / produced_seconds,
            "bad_signatures": bad_live,
            "deliveries": latency,
        },
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    store.close().await?;
    Ok(())
}

/// The state `serve` builds, with loopback receivers allowed.
fn app_state(store: &Store) -> anyhow::Result<AppState> {
    let clock: SharedClock = Arc::new(SystemClock);
    let settings = WebSettings {
        public_url: "http://127.0.0.1:8080/".parse()?,
        limits: Limits::default(),
        rate_limits: maecenas_core::RateLimitConfig::default(),
        secret_key: [7; 32],
        realtime: maecenas_realtime::RealtimeSettings::default(),
    };
    let webhooks = maecenas_webhooks::WebhookConfig {
        instance_id: Some("webhook-bench@127.0.0.1".into()),
        ..maecenas_webhooks::WebhookConfig::sandbox()
    };
    Ok(AppState::new(store.clone(), clock, settings).with_webhooks(webhooks))
}

/// Waits until the receiver has taken `n` good requests; false on timeout.
async fn wait_for(receiver: &Receiver, n: u64, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while receiver.good() < n {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    true
}

/// Deliveries per second from the dispatcher's start to the last arrival, and between the
/// 10th and 90th percentile arrivals (the steady part, without start-up and tail).
fn drain_summary(
    arrivals: &[(i64, Instant)],
    started: Instant,
    expected: u64,
    complete: bool,
) -> serde_json::Value {
    let distinct = arrivals
        .iter()
        .map(|(id, _)| *id)
        .collect::<std::collections::HashSet<_>>()
        .len();
    let secs = |a: Instant| a.duration_since(started).as_secs_f64();
    let n = arrivals.len();
    let (first, last) = match (arrivals.first(), arrivals.last()) {
        (Some(f), Some(l)) => (secs(f.1), secs(l.1)),
        _ => (0.0, 0.0),
    };
    let steady = if n >= 10 {
        let (a, b) = (n / 10, n * 9 / 10);
        let span = secs(arrivals[b].1) - secs(arrivals[a].1);
        if span > 0.0 {
            (b - a) as f64 / span
        } else {
            0.0
        }
    } else {
        0.0
    };
    json!({
        "expected": expected,
        "received": n,
        "distinct": distinct,
        "duplicates": n - distinct,
        "complete": complete,
        "first_arrival_seconds": first,
        "last_arrival_seconds": last,
        "per_second": if last > 0.0 { distinct as f64 / last } else { 0.0 },
        "steady_per_second": steady,
    })
}

/// The requests the dispatcher sent, rebuilt from the delivery log (same body, signed headers).
async fn canned_requests(
    store: &Store,
    webhook_ids: &[i64],
    base: &str,
) -> anyhow::Result<Vec<ceiling::Canned>> {
    let hooks = store.all_webhooks().await?;
    let now = SystemClock.now();
    let mut canned = Vec::new();
    for d in store.recent_deliveries(Some(webhook_ids), 512).await? {
        let Some(w) = hooks.iter().find(|w| w.id == d.webhook_id) else {
            continue;
        };
        let path = w
            .uri
            .strip_prefix(base)
            .context("a webhook outside the receiver")?
            .to_owned();
        canned.push(ceiling::Canned {
            path,
            headers: maecenas_webhooks::send::Sender::headers(w, &d, now),
            body: Bytes::from(d.body.clone()),
        });
    }
    Ok(canned)
}

/// Latency percentiles of the deliveries of events after `mark`.
#[derive(Debug, serde::Serialize)]
struct Latency {
    expected: u64,
    complete: bool,
    received: usize,
    measured: usize,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    mean_ms: f64,
    /// From the event row's time to its deliveries' (wall clock): the fan-out's share.
    event_to_fan_out_p50_ms: f64,
    event_to_fan_out_p99_ms: f64,
}

impl Latency {
    fn with(mut self, expected: u64, complete: bool) -> Self {
        self.expected = expected;
        self.complete = complete;
        self
    }
}

async fn latency_summary(
    store: &Store,
    webhook_ids: &[i64],
    mark: i64,
    committed: &HashMap<String, Instant>,
    arrivals: &[(i64, Instant)],
) -> anyhow::Result<Latency> {
    // event id → its membership's commit instant, and the event row's time
    let mut event_commit: HashMap<i64, Instant> = HashMap::new();
    let mut event_time: HashMap<i64, chrono::DateTime<chrono::Utc>> = HashMap::new();
    let mut after = mark;
    loop {
        let page = store.events_after(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for e in &page {
            if let Some(at) = committed.get(&e.subject_id) {
                event_commit.insert(e.id, *at);
                event_time.insert(e.id, e.created_at);
            }
        }
    }
    // delivery id → its event's commit instant
    let mut delivery_commit: HashMap<i64, Instant> = HashMap::new();
    // event row's time → its deliveries' (the fan-out step's time), ms
    let mut queued_ms: Vec<f64> = Vec::new();
    for w in webhook_ids {
        for d in store.deliveries_of(*w).await? {
            if let Some(at) = event_commit.get(&d.event_id) {
                delivery_commit.insert(d.id, *at);
            }
            if let Some(t) = event_time.get(&d.event_id) {
                queued_ms.push((d.created_at - *t).num_microseconds().unwrap_or(0) as f64 / 1000.0);
            }
        }
    }
    queued_ms.sort_by(f64::total_cmp);
    let at = |v: &[f64], p: f64| -> f64 {
        v.get(((p * v.len() as f64) as usize).min(v.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let mut first: HashMap<i64, Instant> = HashMap::new();
    for (id, at) in arrivals {
        first.entry(*id).or_insert(*at);
    }
    let mut ms: Vec<f64> = first
        .iter()
        .filter_map(|(id, at)| {
            let c = delivery_commit.get(id)?;
            Some(at.saturating_duration_since(*c).as_secs_f64() * 1000.0)
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| at(&ms, p);
    Ok(Latency {
        expected: 0,
        complete: false,
        received: arrivals.len(),
        measured: ms.len(),
        p50_ms: pct(0.50),
        p90_ms: pct(0.90),
        p99_ms: pct(0.99),
        max_ms: ms.last().copied().unwrap_or(f64::NAN),
        event_to_fan_out_p50_ms: at(&queued_ms, 0.50),
        event_to_fan_out_p99_ms: at(&queued_ms, 0.99),
        mean_ms: if ms.is_empty() {
            f64::NAN
        } else {
            ms.iter().sum::<f64>() / ms.len() as f64
        },
    })
}
