//! Latency mode (`--rate R --seconds S`): donations stored through `maecenas-store` at a steady
//! R per second, round-robin over the channels' owners, each carrying in its message the
//! microseconds since the run began when it was handed to the store; the connections read them
//! back and record, per delivery, the time from that moment to arrival. Prints p50/p99/max.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use crate::Ws;

/// Arrival latencies in microseconds, and the clock they are measured on.
pub struct Samples {
    pub start: Instant,
    pub micros: Mutex<Vec<u64>>,
}

/// Reads `ws` until it ends, recording the latency of every donation that carries a stamp.
pub async fn record(mut ws: Ws, samples: Arc<Samples>) {
    while let Some(Ok(message)) = ws.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let Some(stamp) = stamp_of(text.as_str()) else {
            continue;
        };
        let now = samples.start.elapsed().as_micros() as u64;
        if let Ok(mut all) = samples.micros.lock() {
            all.push(now.saturating_sub(stamp));
        }
    }
}

/// The `t=<micros>` stamp in a publication's donation message.
fn stamp_of(frame: &str) -> Option<u64> {
    let at = frame.find("\"message\":\"t=")? + "\"message\":\"t=".len();
    let digits = &frame[at..];
    let end = digits.find('"')?;
    digits[..end].parse().ok()
}

/// Stores `rate` donations a second for `seconds`, to users `1..=owners` in turn.
pub async fn produce(
    database_url: &str,
    owners: usize,
    rate: u64,
    seconds: u64,
    start: Instant,
) -> anyhow::Result<u64> {
    let store =
        maecenas_store::Store::connect(database_url, &maecenas_store::ConnectOptions::default())
            .await?;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let total = rate * seconds;
    let mut writes = Vec::with_capacity(total as usize);
    for n in 0..total {
        tick.tick().await;
        let store = store.clone();
        let stamp = start.elapsed().as_micros();
        writes.push(tokio::spawn(async move {
            let donation = maecenas_store::money::NewDonation {
                recipient_user_id: (n % owners as u64) as i64 + 1,
                donor_user_id: None,
                username: format!("donor {n}"),
                message: format!("t={stamp}"),
                amount_cents: 50_000,
                currency: "RUB".into(),
                amount_in_user_currency_cents: 50_000,
                payin_system: "sandbox".into(),
                created_at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
                shown_at: None,
            };
            store.create_donations(vec![donation]).await
        }));
    }
    for write in writes {
        write.await??;
    }
    Ok(total)
}

/// Creates users until there are `n` (ids 1..=n on a fresh database).
pub async fn ensure_users(database_url: &str, n: usize) -> anyhow::Result<()> {
    let store =
        maecenas_store::Store::connect(database_url, &maecenas_store::ConnectOptions::default())
            .await?;
    for k in store.count_users().await? as usize..n {
        let user = maecenas_store::accounts::NewUser {
            email: format!("bench{k}@example.org"),
            password_hash: None,
            full_name: format!("Bench {k}"),
            vanity: None,
        };
        store
            .create_user(user, chrono::DateTime::<chrono::Utc>::UNIX_EPOCH)
            .await?;
    }
    Ok(())
}

/// The count, p50, p99 and max of `micros`, in milliseconds.
pub fn summary(mut micros: Vec<u64>) -> String {
    micros.sort_unstable();
    let at = |q: f64| {
        let i = ((micros.len() as f64 * q).ceil() as usize).clamp(1, micros.len().max(1)) - 1;
        micros.get(i).copied().unwrap_or(0) as f64 / 1000.0
    };
    format!(
        "latency {} deliveries p50 {:.2} ms p99 {:.2} ms max {:.2} ms",
        micros.len(),
        at(0.50),
        at(0.99),
        micros.last().copied().unwrap_or(0) as f64 / 1000.0
    )
}
