//! `rtload`: opens many WebSocket connections to Maecenas (Centrifugo v2: connect, then
//! subscribe to a `$alerts:donation_<n>` channel, two connections per channel) or to Socket.IO
//! 4 (Engine.IO v4 handshake, namespace `/`), keeps them open and answering pings, prints
//! `ready N` once all are up, holds them for `--hold` seconds and exits. bench/realtime measures
//! the server's memory around it. With `--pubs P` every connection joins one channel instead,
//! and P publications are made (Maecenas: P donations stored through `maecenas-store`, so the
//! server's outbox publishes them; Socket.IO: `POST /emit?n=P`); it prints the deliveries per
//! second from the first delivery to the last. With `--rate R` donations are stored at R per
//! second over the channels and their latency to each subscriber is measured ([`latency`]).

mod latency;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use futures::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use maecenas_realtime::TokenKey;
use sha2::Sha256;
use tokio::{io::AsyncWriteExt, net::TcpStream, sync::Semaphore};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, protocol::WebSocketConfig},
};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Clone, Copy, ValueEnum, Debug)]
enum Proto {
    /// Maecenas: Centrifugo v2 JSON protocol at /connection/websocket.
    Maecenas,
    /// Socket.IO 4 over its WebSocket transport.
    Socketio,
}

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, value_enum)]
    proto: Proto,
    /// host:port of the server.
    #[arg(long)]
    addr: String,
    #[arg(long, default_value_t = 10_000)]
    conns: usize,
    /// Channels the Maecenas connections are spread over.
    #[arg(long, default_value_t = 5_000)]
    channels: usize,
    /// The server's `secret_key` (64 hex), to sign Maecenas tokens.
    #[arg(long, default_value = "")]
    secret: String,
    /// Seconds to hold the connections once all are up.
    #[arg(long, default_value_t = 10)]
    hold: u64,
    /// Connections opened at once.
    #[arg(long, default_value_t = 64)]
    parallel: usize,
    /// Fan-out: all connections on one channel, this many publications to it.
    #[arg(long)]
    pubs: Option<u64>,
    /// Latency (Maecenas): store this many donations a second, spread over the channels.
    #[arg(long)]
    rate: Option<u64>,
    /// Latency: for this many seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Maecenas fan-out and latency: the server's database, where donations are stored.
    #[arg(long, default_value = "")]
    database_url: String,
}

/// Deliveries seen, and when the first and the last arrived.
#[derive(Default)]
struct Seen {
    count: AtomicU64,
    first_last: Mutex<Option<(Instant, Instant)>>,
}

impl Seen {
    fn delivered(&self) {
        let now = Instant::now();
        if let Ok(mut fl) = self.first_last.lock() {
            *fl = Some(fl.map_or((now, now), |(first, _)| (first, now)));
        }
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

fn token_key(secret: &str) -> anyhow::Result<TokenKey> {
    let secret = hex::decode(secret).context("--secret must be hex")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret)?;
    mac.update(b"maecenas centrifugo key v1");
    Ok(TokenKey::new(mac.finalize().into_bytes().into()))
}

async fn open(addr: &str, path: &str) -> anyhow::Result<Ws> {
    let mut config = WebSocketConfig::default();
    config.read_buffer_size = 4096;
    config.write_buffer_size = 0;
    let (ws, _) = tokio_tungstenite::connect_async_with_config(
        format!("ws://{addr}{path}"),
        Some(config),
        true,
    )
    .await?;
    Ok(ws)
}

async fn next_text(ws: &mut Ws) -> anyhow::Result<String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await? {
            Some(Ok(Message::Text(t))) => return Ok(t.as_str().to_owned()),
            Some(Ok(Message::Close(c))) => bail!("closed: {c:?}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => bail!("eof"),
        }
    }
}

async fn maecenas(addr: &str, key: &TokenKey, n: usize, channels: usize) -> anyhow::Result<Ws> {
    let mut ws = open(addr, "/connection/websocket").await?;
    let user = n % channels + 1;
    let token = key
        .issue_connection_token(&user.to_string(), None)
        .map_err(|e| anyhow::anyhow!("token: {e:?}"))?;
    ws.send(Message::text(format!(
        r#"{{"params":{{"token":"{token}"}},"id":1}}"#
    )))
    .await?;
    let reply: serde_json::Value = serde_json::from_str(next_text(&mut ws).await?.trim())?;
    let client = reply["result"]["client"]
        .as_str()
        .context("no client id")?
        .to_owned();
    let channel = format!("$alerts:donation_{user}");
    let sub = key
        .issue_subscription_token(&client, &channel, None)
        .map_err(|e| anyhow::anyhow!("token: {e:?}"))?;
    ws.send(Message::text(format!(
        r#"{{"params":{{"channel":"{channel}","token":"{sub}"}},"method":1,"id":2}}"#
    )))
    .await?;
    let reply = next_text(&mut ws).await?;
    if !reply.starts_with("{\"id\":2,\"result\"") {
        bail!("subscribe refused: {reply}");
    }
    Ok(ws)
}

async fn socketio(addr: &str) -> anyhow::Result<Ws> {
    let mut ws = open(addr, "/socket.io/?EIO=4&transport=websocket").await?;
    let open = next_text(&mut ws).await?;
    if !open.starts_with('0') {
        bail!("no engine.io open: {open}");
    }
    ws.send(Message::text("40")).await?;
    let connected = next_text(&mut ws).await?;
    if !connected.starts_with("40") {
        bail!("no namespace connect: {connected}");
    }
    Ok(ws)
}

/// Reads until the connection ends, answering Engine.IO pings (`2` → `3`) and counting
/// publications.
async fn hold(mut ws: Ws, seen: Arc<Seen>) {
    while let Some(Ok(message)) = ws.next().await {
        if let Message::Text(text) = message {
            let text = text.as_str();
            if text.starts_with("{\"result\":{\"channel\"") || text.starts_with("42[") {
                seen.delivered();
            } else if text == "2" && ws.send(Message::text("3")).await.is_err() {
                return;
            }
        }
    }
}

/// Makes `pubs` publications: Maecenas through the store (user 1's donations), Socket.IO by
/// asking the peer to emit.
async fn publish(args: &Args, pubs: u64) -> anyhow::Result<()> {
    match args.proto {
        Proto::Maecenas => {
            let store = maecenas_store::Store::connect(
                &args.database_url,
                &maecenas_store::ConnectOptions::default(),
            )
            .await?;
            let now = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
            let donations = (0..pubs)
                .map(|n| maecenas_store::money::NewDonation {
                    recipient_user_id: 1,
                    donor_user_id: None,
                    username: format!("donor {n}"),
                    message: "a donation message of ordinary length, for the benchmark".into(),
                    amount_cents: 50_000,
                    currency: "RUB".into(),
                    amount_in_user_currency_cents: 50_000,
                    payin_system: "sandbox".into(),
                    created_at: now,
                    shown_at: None,
                })
                .collect();
            store.create_donations(donations).await?;
        }
        Proto::Socketio => {
            let mut tcp = TcpStream::connect(&args.addr).await?;
            let request = format!(
                "POST /emit?n={pubs} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            tcp.write_all(request.as_bytes()).await?;
        }
    }
    Ok(())
}

/// Creates user 1 (the fan-out channel's owner) if the database has no users yet.
async fn ensure_user(database_url: &str) -> anyhow::Result<()> {
    let store =
        maecenas_store::Store::connect(database_url, &maecenas_store::ConnectOptions::default())
            .await?;
    if store.count_users().await? == 0 {
        let user = maecenas_store::accounts::NewUser {
            email: "bench@example.org".into(),
            password_hash: None,
            full_name: "Bench".into(),
            vanity: None,
        };
        store
            .create_user(user, chrono::DateTime::<chrono::Utc>::UNIX_EPOCH)
            .await?;
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let key = Arc::new(match args.proto {
        Proto::Maecenas => Some(token_key(&args.secret)?),
        Proto::Socketio => None,
    });
    if args.pubs.is_some() && matches!(args.proto, Proto::Maecenas) {
        ensure_user(&args.database_url).await?;
    }
    if args.rate.is_some() {
        latency::ensure_users(&args.database_url, args.channels.max(1)).await?;
    }
    let samples = Arc::new(latency::Samples {
        start: Instant::now(),
        micros: Mutex::new(Vec::new()),
    });
    let seen = Arc::new(Seen::default());
    let gate = Arc::new(Semaphore::new(args.parallel.max(1)));
    let started = std::time::Instant::now();
    let mut opening = Vec::with_capacity(args.conns);
    for n in 0..args.conns {
        let (gate, key, addr, seen) = (gate.clone(), key.clone(), args.addr.clone(), seen.clone());
        let (samples, timed) = (samples.clone(), args.rate.is_some());
        let channels = if args.pubs.is_some() {
            1
        } else {
            args.channels.max(1)
        };
        opening.push(tokio::spawn(async move {
            let _permit = gate.acquire().await?;
            let ws = match key.as_ref() {
                Some(key) => maecenas(&addr, key, n, channels).await?,
                None => socketio(&addr).await?,
            };
            if timed {
                tokio::spawn(latency::record(ws, samples));
            } else {
                tokio::spawn(hold(ws, seen));
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    let mut failed = 0;
    for handle in opening {
        if let Err(err) = handle.await? {
            failed += 1;
            if failed <= 3 {
                eprintln!("rtload: connection failed: {err:#}");
            }
        }
    }
    println!(
        "ready {} failed {failed} in {:.1}s",
        args.conns - failed,
        started.elapsed().as_secs_f64()
    );
    if let Some(rate) = args.rate {
        let channels = args.channels.max(1);
        let made = latency::produce(
            &args.database_url,
            channels,
            rate,
            args.seconds,
            samples.start,
        )
        .await?;
        // Every connection of a channel gets each of its donations.
        let expected = made * (args.conns / channels) as u64;
        let deadline = Instant::now() + Duration::from_secs(10);
        while samples.micros.lock().map_or(0, |m| m.len()) < expected as usize
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let micros = samples.micros.lock().map(|m| m.clone()).unwrap_or_default();
        println!(
            "stored {made} expected {expected} {}",
            latency::summary(micros)
        );
        return Ok(());
    }
    if let Some(pubs) = args.pubs {
        let expected = pubs * (args.conns - failed) as u64;
        publish(&args, pubs).await?;
        let deadline = Instant::now() + Duration::from_secs(120);
        while seen.count.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let got = seen.count.load(Ordering::Relaxed);
        let span = seen
            .first_last
            .lock()
            .ok()
            .and_then(|fl| *fl)
            .map_or(0.0, |(first, last)| (last - first).as_secs_f64());
        println!(
            "fanout {got} of {expected} deliveries in {span:.3}s = {:.0}/s",
            got as f64 / span.max(1e-9)
        );
        return Ok(());
    }
    tokio::time::sleep(Duration::from_secs(args.hold)).await;
    Ok(())
}
