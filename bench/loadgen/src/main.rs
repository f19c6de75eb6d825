//! `loadgen`: a closed-loop load generator for OAuth refresh-token rotation chains, or (with
//! `--mode get`) for plain GETs of one URL with an optional bearer token.
//!
//! In `get` mode each connection repeats `GET --url` and any non-200 answer counts as an error
//! (the connection goes on). The default mode and its flags are unchanged.
//!
//! Each of `--connections` keep-alive HTTP/1.1 connections owns one refresh token (line *i* of
//! `--tokens`) and repeatedly posts `grant_type=refresh_token` with the client credentials in the
//! form body, continuing with the `refresh_token` of each answer. After `--warmup` seconds it
//! records every request's latency for `--seconds` seconds and prints one JSON line:
//! `{requests, errors, seconds, rps, p50_ms, p99_ms, …}`. Any non-200 answer (or transport
//! error) is an error and ends that connection's chain, since its token may be spent. Only
//! loopback targets are accepted. `--timeline FILE` also writes each measured request's start
//! and latency, to see when the tail happens.

use std::{
    net::{SocketAddr, ToSocketAddrs},
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Parser;
use hdrhistogram::Histogram;
use http::{Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;

/// What each connection does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    /// Refresh-token rotation chains against a token endpoint.
    Refresh,
    /// `GET --url`, again and again.
    Get,
}

/// Drive refresh-token rotation chains against an OAuth token endpoint on loopback, or GET one
/// URL.
#[derive(Debug, Parser)]
#[command(name = "loadgen")]
struct Args {
    /// Token endpoint, e.g. http://127.0.0.1:8080/api/oauth2/token, or the URL to GET
    /// (loopback only).
    #[arg(long)]
    url: Uri,
    #[arg(long, value_enum, default_value_t = Mode::Refresh)]
    mode: Mode,
    /// `get` mode: sent as `Authorization: Bearer <TOKEN>`.
    #[arg(long)]
    bearer: Option<String>,
    /// client_id sent in the form body.
    #[arg(long, required_if_eq("mode", "refresh"))]
    client_id: Option<String>,
    /// client_secret sent in the form body (client_secret_post).
    #[arg(long, required_if_eq("mode", "refresh"))]
    client_secret: Option<String>,
    /// File with one refresh token per line; one chain (connection) per line is used.
    #[arg(long, required_if_eq("mode", "refresh"))]
    tokens: Option<PathBuf>,
    /// Concurrent keep-alive connections, each following its own rotation chain.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Measured duration in seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Warm-up before measuring, in seconds (requests run but are not recorded).
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Runtime worker threads of the generator itself.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// A name for this side, copied into the output.
    #[arg(long, default_value = "")]
    label: String,
    /// Also write every measured request as a CSV line `start_ms,latency_us` (start counted
    /// from the end of the warm-up), to line the tail up with what the server did.
    #[arg(long)]
    timeline: Option<PathBuf>,
}

/// The JSON summary printed on stdout.
#[derive(Debug, Serialize)]
struct Summary {
    label: String,
    url: String,
    connections: usize,
    /// Requests completed inside the measured window (started after the warm-up).
    requests: u64,
    /// Non-200 answers and transport errors inside the measured window.
    errors: u64,
    /// Errors during the warm-up.
    warmup_errors: u64,
    /// Chains that ended early because of an error.
    broken_chains: u64,
    seconds: f64,
    rps: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    max_ms: f64,
    mean_ms: f64,
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    refresh_token: String,
}

/// Shared, read-only request settings.
#[derive(Debug)]
struct Target {
    addr: SocketAddr,
    authority: String,
    path: String,
    client_id: String,
    client_secret: String,
    /// `get` mode's `Authorization` value.
    authorization: Option<String>,
    measure_from: Instant,
    end: Instant,
    /// Whether each connection keeps its requests' timeline (`--timeline`).
    timeline: bool,
    /// Error bodies printed so far (only the first few are shown).
    shown_errors: AtomicU64,
}

/// What one connection did.
#[derive(Debug)]
struct ChainResult {
    histogram: Histogram<u64>,
    /// `(start after the warm-up, latency)` of each measured request, with `--timeline`.
    timeline: Option<Vec<(Duration, Duration)>>,
    requests: u64,
    errors: u64,
    warmup_errors: u64,
    broken: bool,
}

impl ChainResult {
    fn new(timeline: bool) -> anyhow::Result<Self> {
        Ok(Self {
            histogram: new_histogram()?,
            timeline: timeline.then(Vec::new),
            requests: 0,
            errors: 0,
            warmup_errors: 0,
            broken: false,
        })
    }

    /// Counts one successful request that started at `started` and took `elapsed`.
    fn record(&mut self, measure_from: Instant, started: Instant, elapsed: Duration) {
        self.requests += 1;
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.histogram.saturating_record(micros.max(1));
        if let Some(timeline) = &mut self.timeline {
            timeline.push((started - measure_from, elapsed));
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .context("building the tokio runtime")?;
    let summary = runtime.block_on(run(args))?;
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

async fn run(args: Args) -> anyhow::Result<Summary> {
    if args.url.scheme_str() != Some("http") {
        bail!("--url must be an http:// URL");
    }
    let authority = args
        .url
        .authority()
        .context("--url needs a host and port")?
        .to_string();
    let addr = authority
        .to_socket_addrs()
        .with_context(|| format!("resolving {authority}"))?
        .next()
        .with_context(|| format!("{authority} resolves to nothing"))?;
    if !addr.ip().is_loopback() {
        bail!("refusing non-loopback target {addr}");
    }
    let tokens = match (args.mode, &args.tokens) {
        (Mode::Refresh, Some(path)) => read_tokens(path, args.connections)?,
        (Mode::Refresh, None) => bail!("--tokens is required with --mode refresh"),
        (Mode::Get, _) => vec![String::new(); args.connections],
    };
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(args.warmup);
    let end = measure_from + Duration::from_secs(args.seconds);
    let target = Arc::new(Target {
        addr,
        authority,
        path: args
            .url
            .path_and_query()
            .map_or_else(|| "/".to_owned(), ToString::to_string),
        client_id: args.client_id.clone().unwrap_or_default(),
        client_secret: args.client_secret.clone().unwrap_or_default(),
        authorization: args.bearer.as_ref().map(|t| format!("Bearer {t}")),
        measure_from,
        end,
        timeline: args.timeline.is_some(),
        shown_errors: AtomicU64::new(0),
    });
    let mut tasks = Vec::with_capacity(args.connections);
    for token in tokens.into_iter().take(args.connections) {
        let task = match args.mode {
            Mode::Refresh => tokio::spawn(chain(Arc::clone(&target), token)),
            Mode::Get => tokio::spawn(getter(Arc::clone(&target))),
        };
        tasks.push(task);
    }
    let mut histogram = new_histogram()?;
    let (mut requests, mut errors, mut warmup_errors, mut broken) = (0, 0, 0, 0);
    let mut timeline = Vec::new();
    for task in tasks {
        let result = task.await.context("a connection task failed")??;
        histogram
            .add(&result.histogram)
            .context("merging histograms")?;
        timeline.extend(result.timeline.into_iter().flatten());
        requests += result.requests;
        errors += result.errors;
        warmup_errors += result.warmup_errors;
        broken += u64::from(result.broken);
    }
    if let Some(path) = &args.timeline {
        write_timeline(path, timeline)?;
    }
    let seconds = Duration::from_secs(args.seconds).as_secs_f64();
    let ms = |micros: u64| micros as f64 / 1000.0;
    Ok(Summary {
        label: args.label,
        url: args.url.to_string(),
        connections: args.connections,
        requests,
        errors,
        warmup_errors,
        broken_chains: broken,
        seconds,
        rps: requests as f64 / seconds,
        p50_ms: ms(histogram.value_at_quantile(0.50)),
        p90_ms: ms(histogram.value_at_quantile(0.90)),
        p99_ms: ms(histogram.value_at_quantile(0.99)),
        p999_ms: ms(histogram.value_at_quantile(0.999)),
        max_ms: ms(histogram.max()),
        mean_ms: histogram.mean() / 1000.0,
    })
}

/// The refresh tokens in `path`, at least one per connection.
fn read_tokens(path: &std::path::Path, connections: usize) -> anyhow::Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let tokens: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if tokens.len() < connections {
        bail!(
            "{} has {} tokens, need one per connection ({connections})",
            path.display(),
            tokens.len(),
        );
    }
    Ok(tokens)
}

/// Writes `timeline` to `path` as CSV, in order of start.
fn write_timeline(
    path: &std::path::Path,
    mut timeline: Vec<(Duration, Duration)>,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    timeline.sort_unstable();
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "start_ms,latency_us")?;
    for (start, latency) in timeline {
        writeln!(
            out,
            "{:.3},{}",
            start.as_secs_f64() * 1000.0,
            latency.as_micros()
        )?;
    }
    out.flush()
        .with_context(|| format!("writing {}", path.display()))
}

/// One connection repeating `GET` until the end of the run; errors are counted, not fatal.
async fn getter(target: Arc<Target>) -> anyhow::Result<ChainResult> {
    let mut result = ChainResult::new(target.timeline)?;
    let stream = TcpStream::connect(target.addr)
        .await
        .with_context(|| format!("connecting to {}", target.addr))?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(connection);
    while Instant::now() < target.end {
        let started = Instant::now();
        let outcome = get_once(&target, &mut sender).await;
        let elapsed = started.elapsed();
        let measured = started >= target.measure_from;
        match outcome {
            Ok(()) if measured => result.record(target.measure_from, started, elapsed),
            Ok(()) => {}
            Err(err) => {
                if measured {
                    result.errors += 1;
                } else {
                    result.warmup_errors += 1;
                }
                if target.shown_errors.fetch_add(1, Ordering::Relaxed) < 5 {
                    eprintln!("loadgen: {err:#}");
                }
                if sender.ready().await.is_err() {
                    result.broken = true;
                    break;
                }
            }
        }
    }
    drop(sender);
    driver.abort();
    Ok(result)
}

/// One GET, its whole body read.
async fn get_once(
    target: &Target,
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
) -> anyhow::Result<()> {
    let mut request = Request::get(target.path.as_str())
        .header(header::HOST, target.authority.as_str())
        .header(header::ACCEPT, "application/json");
    if let Some(authorization) = &target.authorization {
        request = request.header(header::AUTHORIZATION, authorization.as_str());
    }
    sender.ready().await.context("connection closed")?;
    let response = sender
        .send_request(request.body(Full::new(Bytes::new()))?)
        .await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    if status != StatusCode::OK {
        bail!("HTTP {status}: {}", String::from_utf8_lossy(&body));
    }
    Ok(())
}

/// Microseconds from 1 µs to 60 s at 3 significant digits.
fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 60_000_000, 3).context("creating a histogram")
}

/// One connection following one rotation chain until the end of the run or its first error.
async fn chain(target: Arc<Target>, mut token: String) -> anyhow::Result<ChainResult> {
    let mut result = ChainResult::new(target.timeline)?;
    let stream = TcpStream::connect(target.addr)
        .await
        .with_context(|| format!("connecting to {}", target.addr))?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(connection);
    while Instant::now() < target.end {
        let started = Instant::now();
        let outcome = refresh_once(&target, &mut sender, &token).await;
        let elapsed = started.elapsed();
        let measured = started >= target.measure_from;
        match outcome {
            Ok(next) => {
                token = next;
                if measured {
                    result.record(target.measure_from, started, elapsed);
                }
            }
            Err(err) => {
                if measured {
                    result.errors += 1;
                } else {
                    result.warmup_errors += 1;
                }
                if target.shown_errors.fetch_add(1, Ordering::Relaxed) < 5 {
                    eprintln!("loadgen: chain ended: {err:#}");
                }
                result.broken = true;
                break;
            }
        }
    }
    drop(sender);
    driver.abort();
    Ok(result)
}

/// Posts one refresh grant and returns the next refresh token of the chain.
async fn refresh_once(
    target: &Target,
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    token: &str,
) -> anyhow::Result<String> {
    let form = serde_urlencoded::to_string([
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", target.client_id.as_str()),
        ("client_secret", target.client_secret.as_str()),
    ])?;
    let request = Request::post(target.path.as_str())
        .header(header::HOST, target.authority.as_str())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Full::new(Bytes::from(form)))?;
    sender.ready().await.context("connection closed")?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    if status != StatusCode::OK {
        bail!("HTTP {status}: {}", String::from_utf8_lossy(&body));
    }
    let answer: TokenAnswer =
        serde_json::from_slice(&body).context("the 200 answer has no refresh_token")?;
    Ok(answer.refresh_token)
}
