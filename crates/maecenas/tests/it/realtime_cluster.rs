//! Two `maecenas serve` processes sharing one database and one Redis (`MAECENAS_TEST_REDIS_URL`,
//! default `redis://127.0.0.1:6379/`, a fresh key prefix per test): a donation stored once
//! reaches subscribers on both instances exactly once, with one seq, and `recover` on either
//! instance reads the same history. On SQLite and PostgreSQL.

use std::{process::Stdio, sync::Arc, time::Duration};

use chrono::{TimeZone, Utc};
use futures::{SinkExt, StreamExt};
use maecenas_store::{accounts::NewUser, money::NewDonation};
use maecenas_testkit::both_backends;
use maecenas_types::{Clock, ManualClock};
use maecenas_web::{AppState, Limits, WebSettings};
use serde_json::Value;
use tokio::{net::TcpStream, process::Child};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async, tungstenite::Message};

use crate::cli::maecenas;

const SECRET: &str = "0707070707070707070707070707070707070707070707070707070707070707";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Instance {
    addr: String,
    _child: Child,
}

fn redis_url() -> String {
    std::env::var("MAECENAS_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

async fn start(dir: &std::path::Path, db_url: &str, prefix: &str) -> Instance {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = maecenas(dir)
        .args(["serve", "--bind", &addr, "--database-url", db_url])
        .env("MAECENAS_SECRET_KEY", SECRET)
        .env("MAECENAS_REALTIME__REDIS_URL", redis_url())
        .env("MAECENAS_REALTIME__REDIS_PREFIX", prefix)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    for _ in 0..150 {
        if let Ok(r) = client.get(format!("http://{addr}/readyz")).send().await {
            assert_eq!(r.status(), 200);
            return Instance {
                addr,
                _child: child,
            };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("instance on {addr} did not start");
}

async fn next_text(ws: &mut Socket, within: Duration) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(within, ws.next()).await.ok()??.ok()?;
        if let Message::Text(text) = message {
            return Some(serde_json::from_str(text.as_str().trim()).unwrap());
        }
    }
}

/// Connects to `instance` as `user` and subscribes to `channel` (recovering from `recover`);
/// returns the socket and the subscribe reply, after the JOIN push that follows it.
async fn subscriber(
    instance: &Instance,
    tokens: &AppState,
    user: i64,
    channel: &str,
    recover: Option<u64>,
) -> (Socket, Value) {
    let url = format!("ws://{}/connection/websocket", instance.addr);
    let (mut ws, _) = connect_async(url).await.unwrap();
    let realtime = tokens.realtime();
    let token = realtime
        .issue_connection_token(&user.to_string(), None)
        .unwrap();
    ws.send(Message::text(format!(
        r#"{{"params":{{"token":"{token}"}},"id":1}}"#
    )))
    .await
    .unwrap();
    let connected = next_text(&mut ws, Duration::from_secs(5)).await.unwrap();
    let client = connected["result"]["client"].as_str().unwrap().to_owned();
    let sub = realtime
        .issue_subscription_token(&client, channel, None)
        .unwrap();
    let recover = recover.map_or(String::new(), |seq| {
        format!(r#","recover":true,"seq":{seq},"epoch":"""#)
    });
    ws.send(Message::text(format!(
        r#"{{"params":{{"channel":"{channel}","token":"{sub}"{recover}}},"method":1,"id":2}}"#
    )))
    .await
    .unwrap();
    let reply = next_text(&mut ws, Duration::from_secs(5)).await.unwrap();
    assert_eq!(reply["id"], 2, "{reply}");
    let join = next_text(&mut ws, Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        join["result"]["data"]["info"]["client"],
        client.as_str(),
        "{join}"
    );
    (ws, reply)
}

/// Every publication that arrives within `quiet` of the last frame.
async fn publications(ws: &mut Socket, quiet: Duration) -> Vec<Value> {
    let mut seen = Vec::new();
    while let Some(frame) = next_text(ws, quiet).await {
        if frame["result"]["data"]["seq"].is_u64() {
            seen.push(frame["result"]["data"].clone());
        }
    }
    seen
}

both_backends! {
    async fn a_donation_reaches_sockets_on_both_instances_exactly_once(db: TestDb) {
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().unwrap()));
        let now = clock.now();
        let streamer = db.store.create_user(
            NewUser { email: "s@example.org".into(), password_hash: None, full_name: "Streamer".into(), vanity: None },
            now,
        ).await.unwrap();
        let channel = format!("$alerts:donation_{}", streamer.id);
        // Tokens signed as the instances sign them (same secret key).
        let mut key = [0_u8; 32];
        key.copy_from_slice(&hex_bytes(SECRET));
        let tokens = AppState::new(db.store.clone(), clock, WebSettings {
            public_url: "http://127.0.0.1/".parse().unwrap(),
            limits: Limits::default(),
            rate_limits: maecenas_core::RateLimitConfig::default(),
            secret_key: key,
            realtime: maecenas_realtime::RealtimeSettings::default(),
        });

        let prefix = format!("it-{}", uuid::Uuid::new_v4().simple());
        let dir = tempfile::tempdir().unwrap();
        let url = db.isolated_url();
        let a = start(dir.path(), &url, &prefix).await;
        let b = start(dir.path(), &url, &prefix).await;
        let (mut on_a, _) = subscriber(&a, &tokens, streamer.id, &channel, None).await;
        let (mut on_b, _) = subscriber(&b, &tokens, streamer.id, &channel, None).await;

        let stored = db.store.create_donations(vec![NewDonation {
            recipient_user_id: streamer.id, donor_user_id: None, username: "Ann".into(),
            message: "two instances".into(), amount_cents: 50_000, currency: "RUB".into(),
            amount_in_user_currency_cents: 50_000, payin_system: "sandbox".into(),
            created_at: now, shown_at: None,
        }]).await.unwrap();

        for (name, ws) in [("A", &mut on_a), ("B", &mut on_b)] {
            let got = publications(ws, Duration::from_millis(1500)).await;
            assert_eq!(got.len(), 1, "instance {name}: exactly one publication, got {got:?}");
            assert_eq!(got[0]["seq"], 1, "one seq for the channel across instances");
            assert_eq!(got[0]["data"]["id"], stored[0].id);
            assert_eq!(got[0]["data"]["message"], "two instances");
        }

        // A client that missed it recovers it from either instance: the history is shared.
        for instance in [&a, &b] {
            let (_ws, reply) = subscriber(instance, &tokens, streamer.id, &channel, Some(0)).await;
            let result = &reply["result"];
            assert_eq!(result["seq"], 1, "{reply}");
            assert_eq!(result["recovered"], true, "{reply}");
            assert_eq!(result["publications"][0]["data"]["id"], stored[0].id, "{reply}");
        }
    }
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}
