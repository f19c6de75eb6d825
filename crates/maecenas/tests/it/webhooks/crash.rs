//! Delivery survives `kill -9`: the real `maecenas serve` binary, as a child process on the
//! test's database, is killed at random moments while 2,000 events are being delivered to
//! loopback receivers, 20 times over; after the restarts every event has reached every webhook
//! at least once, and the duplicates (deliveries sent again because their answer was not yet
//! recorded) are counted, printed and bounded. And two server processes on one database never
//! send the same delivery twice: each is received exactly once while both dispatchers claim.

use std::{collections::HashMap, path::Path, process::Stdio, sync::Arc, time::Duration};

use maecenas_core::demo;
use maecenas_store::{Store, accounts::NewUser, members::NewMember, webhooks::NewWebhook};
use maecenas_testkit::{TestDb, both_backends};
use maecenas_types::{Clock, SharedClock, SystemClock};
use rand::Rng;
use tokio::process::Child;

use super::receiver::Receiver;
use crate::cli::maecenas;

const ROUNDS: usize = 20;
const EVENTS_PER_ROUND: usize = 100;

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `maecenas serve` on `port` against `url`, loopback receivers allowed. Started again on the
/// same port it is the same instance (its leases carry host and address).
fn serve(dir: &Path, url: &str, port: u16, env: &[(&str, &str)]) -> Child {
    let mut command = maecenas(dir);
    command
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            url,
        ])
        .env("MAECENAS_WEBHOOKS__ALLOW_LOOPBACK", "true")
        .env("MAECENAS_LOG__LEVEL", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    command.spawn().unwrap()
}

/// The demo campaign with one `members:create` webhook per receiver (sharing `secret` when
/// given); returns the store's campaign id and the webhook ids.
async fn seed(store: &Store, receivers: &[&Receiver], secret: Option<&str>) -> (i64, Vec<i64>) {
    let clock: SharedClock = Arc::new(SystemClock);
    let creds = demo::seed(store, &clock).await.unwrap();
    let client = store
        .oauth_client_by_client_id(&creds.client.client_id)
        .await
        .unwrap()
        .unwrap();
    let mut ids = Vec::new();
    for (i, r) in receivers.iter().enumerate() {
        let secret = secret.map_or_else(maecenas_webhooks::sign::generate_secret, str::to_owned);
        r.set_secret(&secret);
        let w = store
            .create_webhook(
                NewWebhook {
                    client_id: client.id,
                    campaign_id: creds.campaign.id,
                    uri: format!("{}?w={i}", r.url),
                    secret,
                    triggers: vec!["members:create".into()],
                    scopes: "campaigns campaigns.members w:campaigns.webhook".into(),
                },
                clock.now(),
            )
            .await
            .unwrap();
        ids.push(w.id);
    }
    (creds.campaign.id, ids)
}

/// `n` new free members of `campaign_id` (one `members:create` event each), in one transaction.
async fn add_members(store: &Store, campaign_id: i64, from: usize, n: usize) -> Vec<String> {
    let now = SystemClock.now();
    let mut members = Vec::with_capacity(n);
    for i in from..from + n {
        let user = store
            .create_user(
                NewUser {
                    email: format!("crash{i}@example.org"),
                    password_hash: None,
                    full_name: format!("Crash {i}"),
                    vanity: None,
                },
                now,
            )
            .await
            .unwrap();
        members.push(NewMember {
            campaign_id,
            user_id: user.id,
            patron_status: None,
            is_follower: true,
            currency: "USD".into(),
            currently_entitled_amount_cents: 0,
            will_pay_amount_cents: 0,
            lifetime_support_cents: 0,
            pledge_relationship_start: None,
            last_charge_date: None,
            last_charge_status: None,
            next_charge_date: None,
            tier_ids: Vec::new(),
            pledge_events: Vec::new(),
            address: None,
        });
    }
    let created = store.create_members(members, now).await.unwrap();
    created.iter().map(|m| m.id.to_string()).collect()
}

async fn kill(mut child: Child) {
    child.start_kill().unwrap(); // SIGKILL
    tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
}

/// Waits (up to `secs`) until `done()` holds.
async fn until(secs: u64, mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..secs * 50 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

/// Deliveries recorded delivered in the database.
async fn delivered(store: &Store, webhooks: &[i64]) -> usize {
    let mut n = 0;
    for w in webhooks {
        n += store
            .deliveries_of(*w)
            .await
            .unwrap()
            .iter()
            .filter(|d| d.status == "delivered")
            .count();
    }
    n
}

async fn crash_run(db: TestDb) {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let url = db.isolated_url();
    let receivers = [Receiver::start().await, Receiver::start().await];
    receivers.iter().for_each(|r| r.delay_ms(1));
    let (campaign, webhooks) = seed(&db.store, &[&receivers[0], &receivers[1]], None).await;
    let mut rng = rand::thread_rng();
    let mut members = Vec::new();
    let mut mid_delivery = 0;
    let port = free_port();
    for round in 0..ROUNDS {
        members.extend(
            add_members(
                &db.store,
                campaign,
                round * EVENTS_PER_ROUND,
                EVENTS_PER_ROUND,
            )
            .await,
        );
        let before: usize = receivers.iter().map(Receiver::count).sum();
        let child = serve(dir.path(), &url, port, &[]);
        // Kill at a random moment once this run has started delivering.
        assert!(
            until(30, || receivers.iter().map(Receiver::count).sum::<usize>()
                > before)
            .await,
            "round {round}: the restarted server delivers"
        );
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..120))).await;
        kill(child).await;
        if delivered(&db.store, &webhooks).await < members.len() * webhooks.len() {
            mid_delivery += 1;
        }
    }
    let expected = members.len() * webhooks.len();
    let child = serve(dir.path(), &url, port, &[]);
    let mut done = false;
    for _ in 0..1500 {
        if delivered(&db.store, &webhooks).await == expected {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    kill(child).await;
    assert!(
        done,
        "every delivery recorded delivered after the last restart"
    );

    let mut received = 0;
    let mut duplicates = 0;
    for (r, w) in receivers.iter().zip(&webhooks) {
        let got = r.got();
        assert!(
            got.iter().all(|d| d.md5_ok && d.standard_ok),
            "every delivery signed"
        );
        let mut per_id: HashMap<&str, usize> = HashMap::new();
        let mut per_member: HashMap<&str, usize> = HashMap::new();
        for d in &got {
            *per_id.entry(d.webhook_id.as_str()).or_default() += 1;
            *per_member
                .entry(d.body["data"]["id"].as_str().unwrap())
                .or_default() += 1;
        }
        let lost: Vec<&String> = members
            .iter()
            .filter(|m| !per_member.contains_key(m.as_str()))
            .collect();
        assert!(
            lost.is_empty(),
            "webhook {w}: {} event(s) never delivered, e.g. {:?}",
            lost.len(),
            &lost[..lost.len().min(3)]
        );
        assert_eq!(
            per_id.len(),
            members.len(),
            "one webhook-id per event, stable across re-sends"
        );
        received += got.len();
        duplicates += got.len() - per_id.len();
    }
    let bound = ROUNDS * webhooks.len() * maecenas_webhooks::dispatcher::SEND_BATCH as usize;
    println!(
        "crash test ({:?}): {ROUNDS} kill -9 ({mid_delivery} with deliveries still queued), {} events × {} webhooks = {expected} deliveries, {received} received, {duplicates} duplicates (bound {bound}), {:.1} s",
        db.backend(),
        members.len(),
        webhooks.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        mid_delivery >= ROUNDS / 2,
        "most kills hit a server with work in flight"
    );
    assert!(
        duplicates <= bound,
        "duplicates bounded by kills × webhooks × batch"
    );
}

async fn two_dispatchers(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let url = db.isolated_url();
    let receiver = Receiver::start().await;
    let shared = maecenas_webhooks::sign::generate_secret();
    let all: Vec<&Receiver> = std::iter::repeat_n(&receiver, 8).collect();
    let (campaign, webhooks) = seed(&db.store, &all, Some(&shared)).await;
    // Each instance drains at most two queues at a time, so both must take part.
    let env = [("MAECENAS_WEBHOOKS__MAX_CONCURRENT_WEBHOOKS", "2")];
    let a = serve(dir.path(), &url, free_port(), &env);
    let b = serve(dir.path(), &url, free_port(), &env);
    let mut members = Vec::new();
    for batch in 0..5 {
        members.extend(add_members(&db.store, campaign, batch * 50, 50).await);
    }
    let expected = members.len() * webhooks.len();
    let mut owners = std::collections::BTreeSet::new();
    for _ in 0..1500 {
        for w in db.store.all_webhooks().await.unwrap() {
            owners.extend(w.lease_owner);
        }
        if receiver.count() >= expected && delivered(&db.store, &webhooks).await == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    kill(a).await;
    kill(b).await;
    let got = receiver.got();
    let mut per_id: HashMap<&str, usize> = HashMap::new();
    for d in &got {
        *per_id.entry(d.webhook_id.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = per_id.iter().filter(|(_, n)| **n > 1).collect();
    println!(
        "two dispatchers ({:?}): {} deliveries received, {} distinct, lease owners seen: {owners:?}",
        db.backend(),
        got.len(),
        per_id.len()
    );
    assert_eq!(per_id.len(), expected, "every delivery sent");
    assert!(twice.is_empty(), "sent twice within a lease: {twice:?}");
    assert!(
        owners.len() >= 2,
        "both dispatchers claimed queues: {owners:?}"
    );
    assert!(got.iter().all(|d| d.md5_ok && d.standard_ok));
}

both_backends! {
    async fn kill_9_twenty_times_loses_nothing(db: TestDb) {
        crash_run(db).await;
    }

    async fn two_server_processes_never_send_a_delivery_twice(db: TestDb) {
        two_dispatchers(db).await;
    }
}
