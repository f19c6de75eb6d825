//! The receiver's own ceiling: a plain hyper client, one keep-alive connection per webhook (the
//! dispatcher's concurrency: one request in flight per webhook queue), posting the very
//! requests the dispatcher sent (same bodies, same signed headers) back to back, no database.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use anyhow::{Context, bail};
use bytes::Bytes;
use http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;

/// One request to replay: path with query, headers, body.
#[derive(Debug, Clone)]
pub struct Canned {
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

/// What the ceiling run measured.
#[derive(Debug, Serialize)]
pub struct Ceiling {
    pub connections: usize,
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub per_second: f64,
}

/// Sends `total` requests over `connections` connections, cycling through `canned`.
pub async fn run(
    addr: SocketAddr,
    canned: Vec<Canned>,
    connections: usize,
    total: u64,
) -> anyhow::Result<Ceiling> {
    if canned.is_empty() {
        bail!("nothing to replay");
    }
    let canned = Arc::new(canned);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (canned, next) = (canned.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            connection(addr, &canned, &next, total).await
        }));
    }
    let (mut requests, mut errors) = (0, 0);
    for task in tasks {
        let (r, e) = task.await.context("a ceiling connection panicked")??;
        requests += r;
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(Ceiling {
        connections,
        requests,
        errors,
        seconds,
        per_second: requests as f64 / seconds,
    })
}

async fn connection(
    addr: SocketAddr,
    canned: &[Canned],
    next: &AtomicU64,
    total: u64,
) -> anyhow::Result<(u64, u64)> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(conn);
    let authority = addr.to_string();
    let (mut requests, mut errors) = (0, 0);
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            break;
        }
        let Some(c) = usize::try_from(i)
            .ok()
            .and_then(|i| canned.get(i % canned.len()))
        else {
            break;
        };
        let mut request = Request::post(c.path.as_str()).header(header::HOST, authority.as_str());
        for (name, value) in &c.headers {
            request = request.header(*name, value.as_str());
        }
        sender.ready().await.context("connection closed")?;
        let response = sender
            .send_request(request.body(Full::new(c.body.clone()))?)
            .await?;
        let status = response.status();
        response.into_body().collect().await?;
        if status == StatusCode::OK {
            requests += 1;
        } else {
            errors += 1;
        }
    }
    drop(sender);
    driver.abort();
    Ok((requests, errors))
}
