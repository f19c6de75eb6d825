//! `maecenas serve`: open and migrate the store, bind, serve until SIGINT or SIGTERM.

use std::sync::Arc;

use anyhow::Context;
use maecenas_store::{ConnectOptions, Store};
use maecenas_types::SystemClock;
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
}

/// Opens the store, builds the state and binds, so a caller can print where it listens first.
pub async fn prepare(config: Config, store: Store) -> anyhow::Result<Prepared> {
    let settings = WebSettings {
        public_url: config.public_url()?,
        limits: config.limits.clone(),
        rate_limits: config.rate_limits.clone(),
        secret_key: config.secret_key()?,
    };
    let state = AppState::new(store, Arc::new(SystemClock), settings);
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    Ok(Prepared {
        listener,
        state,
        config,
    })
}

/// Serves until a shutdown signal, then closes the store.
pub async fn serve(prepared: Prepared) -> anyhow::Result<()> {
    let Prepared {
        listener,
        state,
        config,
    } = prepared;
    let store = state.store().clone();
    let outbox = maecenas_web::outbox::spawn(state.clone());
    let router = maecenas_web::router(state);
    tracing::info!(addr = %listener.local_addr()?, "listening");
    maecenas_web::serve(listener, router, &config.limits, shutdown_signal()).await?;
    outbox.abort();
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
