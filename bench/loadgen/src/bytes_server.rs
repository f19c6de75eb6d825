//! `bytes-server`: serves one file's bytes from memory on every request, over the same hyper 1
//! HTTP/1.1 keep-alive stack Maecenas serves with: the ceiling a dynamic endpoint that returns
//! those bytes is measured against (`bench/patreon`). Loopback only.

use std::{net::SocketAddr, path::PathBuf};

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Parser;
use http::{Request, Response, header};
use http_body_util::Full;
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Serve a file's bytes from memory.
#[derive(Debug, Parser)]
#[command(name = "bytes-server")]
struct Args {
    /// Where to listen (loopback only).
    #[arg(long)]
    bind: SocketAddr,
    /// The bytes to serve.
    #[arg(long)]
    body: PathBuf,
    /// The `Content-Type` to send.
    #[arg(long, default_value = "application/json")]
    content_type: String,
    /// Runtime worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !args.bind.ip().is_loopback() {
        bail!("refusing non-loopback address {}", args.bind);
    }
    let body = Bytes::from(
        std::fs::read(&args.body).with_context(|| format!("reading {}", args.body.display()))?,
    );
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .context("building the tokio runtime")?
        .block_on(serve(args.bind, body, args.content_type))
}

async fn serve(bind: SocketAddr, body: Bytes, content_type: String) -> anyhow::Result<()> {
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let (body, content_type) = (body.clone(), content_type.clone());
        tokio::spawn(async move {
            let service = service_fn(move |_: Request<Incoming>| {
                let response = Response::builder()
                    .header(header::CONTENT_TYPE, content_type.as_str())
                    .body(Full::new(body.clone()));
                async move { response }
            });
            // A client hanging up mid-response is not this server's problem.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
