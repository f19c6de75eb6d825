//! `maecenas serve`: open and migrate the store, bind, serve until SIGINT or SIGTERM.

use std::sync::Arc;

use anyhow::Context;
use maecenas_store::{ConnectOptions, Store};
use maecenas_types::{OffsetClock, SystemClock};
use maecenas_web::{AppState, WebSettings};
use tokio::net::TcpListener;

use crate::config::Config;

/// Opens the store named by the configuration and migrates it.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database_url(), &ConnectOptions::default()).await?;
    store.migrate().await?;
    Ok(store)
}

/// A bound listener and everything needed to serve on it.
pub struct Prepared {
    pub listener: TcpListener,
    pub state: AppState,
    pub config: Config,
    /// The sandbox clock the state reads: the wall clock plus the persisted offset.
    pub clock: Arc<OffsetClock>,
}

/// Opens the store, builds the state and binds, so a caller can print where it listens first.
pub async fn prepare(config: Config, store: Store) -> anyhow::Result<Prepared> {
    let settings = WebSettings {
        public_url: config.public_url()?,
        limits: config.limits.clone(),
        rate_limits: config.rate_limits.clone(),
        secret_key: config.secret_key()?,
        realtime: config.realtime.clone(),
    };
    let mut webhooks = config.webhooks.clone();
    webhooks
        .instance_id
        .get_or_insert_with(|| format!("{}@{}", host_name(), config.bind));
    let clock = Arc::new(OffsetClock::new(Arc::new(SystemClock)));
    clock.set_offset(chrono::Duration::seconds(
        store.sandbox_clock_offset().await?,
    ));
    let state = AppState::new(store, clock.clone(), settings)
        .with_webhooks(webhooks)
        .with_sandbox_clock(clock.clone());
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    Ok(Prepared {
        listener,
        state,
        config,
        clock,
    })
}

/// Serves until a shutdown signal, then closes the store.
pub async fn serve(prepared: Prepared) -> anyhow::Result<()> {
    let Prepared {
        listener,
        state,
        config,
        clock,
    } = prepared;
    let store = state.store().clone();
    let outbox = maecenas_web::outbox::spawn(state.clone()).await;
    let dispatcher =
        maecenas_web::webhooks::spawn(&state).context("cannot start the webhook dispatcher")?;
    let realtime = state.realtime().clone();
    let scheduler = maecenas_web::billing::spawn(&state, Some(clock));
    let router = maecenas_web::router(state);
    tracing::info!(
        addr = %listener.local_addr()?,
        broker = if config.realtime.redis_url.is_some() { "redis" } else { "in-process" },
        "listening"
    );
    let shutdown = async move {
        shutdown_signal().await;
        // WebSocket clients get 3001 and reconnect (elsewhere, or here once restarted).
        realtime.shutdown();
    };
    maecenas_web::serve(listener, router, &config.limits, shutdown).await?;
    outbox.abort();
    dispatcher.abort();
    scheduler.abort();
    store.close().await?;
    tracing::info!("stopped");
    Ok(())
}

/// `maecenas serve`.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let prepared = prepare(config, store).await?;
    eprintln!(
        "Maecenas is listening on {}",
        prepared.state.settings().public_url
    );
    serve(prepared).await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received; shutting down"),
        () = term => tracing::info!("SIGTERM received; shutting down"),
    }
}

/// This machine's name (what webhook leases carry, with the listening address).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}
