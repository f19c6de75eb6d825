//! The loopback receiver: a hyper 1 HTTP/1.1 keep-alive server that checks every request's
//! `X-Patreon-Signature` (hex HMAC-MD5 of the exact body with the secret of the webhook named by
//! the `w` query parameter), answers 200 with a two-byte body, and notes each request's
//! `webhook-id` and arrival instant, for throughput, duplicates and latency.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use anyhow::Context;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, task::JoinHandle};

/// What the receiver saw.
#[derive(Debug)]
struct Seen {
    /// The webhook secrets, by the `w` query parameter.
    secrets: Vec<String>,
    good: AtomicU64,
    bad: AtomicU64,
    /// `(delivery id from webhook-id "msg_<id>", arrival)`, in arrival order.
    arrivals: Mutex<Vec<(i64, Instant)>>,
}

/// A running receiver.
#[derive(Debug)]
pub struct Receiver {
    pub addr: SocketAddr,
    seen: Arc<Seen>,
    task: JoinHandle<()>,
}

impl Receiver {
    /// Listens on an ephemeral loopback port; `secrets[i]` checks requests to `?w=i`.
    pub async fn start(secrets: Vec<String>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the receiver")?;
        let addr = listener.local_addr()?;
        let seen = Arc::new(Seen {
            secrets,
            good: AtomicU64::new(0),
            bad: AtomicU64::new(0),
            arrivals: Mutex::new(Vec::with_capacity(1 << 18)),
        });
        let shared = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let seen = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let seen = seen.clone();
                        async move { handle(&seen, req).await }
                    });
                    // A client hanging up is not the receiver's problem.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self { addr, seen, task })
    }

    /// Requests whose signature matched.
    pub fn good(&self) -> u64 {
        self.seen.good.load(Ordering::Relaxed)
    }

    /// Requests whose signature did not match (or named no known webhook).
    pub fn bad(&self) -> u64 {
        self.seen.bad.load(Ordering::Relaxed)
    }

    /// Takes the arrivals noted so far, leaving none.
    pub fn take_arrivals(&self) -> Vec<(i64, Instant)> {
        match self.seen.arrivals.lock() {
            Ok(mut a) => std::mem::take(&mut *a),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }

    /// Zeroes the counters and forgets the arrivals.
    pub fn reset(&self) {
        self.seen.good.store(0, Ordering::Relaxed);
        self.seen.bad.store(0, Ordering::Relaxed);
        drop(self.take_arrivals());
    }

    /// Stops listening (open connections end with their clients).
    pub fn stop(self) {
        self.task.abort();
    }
}

async fn handle(
    seen: &Seen,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let webhook = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("w=")))
        .and_then(|w| w.parse::<usize>().ok());
    let signature = req
        .headers()
        .get("x-patreon-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let delivery = req
        .headers()
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("msg_"))
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let body = req.into_body().collect().await?.to_bytes();
    let arrived = Instant::now();
    let ok = match (webhook.and_then(|w| seen.secrets.get(w)), signature) {
        (Some(secret), Some(sig)) => {
            maecenas_webhooks::sign::patreon_signature(secret, &body) == sig
        }
        _ => false,
    };
    if ok {
        seen.good.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut a) = seen.arrivals.lock() {
            a.push((delivery, arrived));
        }
    } else {
        seen.bad.fetch_add(1, Ordering::Relaxed);
    }
    let mut response = Response::new(Full::new(Bytes::from_static(b"ok")));
    if !ok {
        *response.status_mut() = StatusCode::UNAUTHORIZED;
    }
    Ok(response)
}
