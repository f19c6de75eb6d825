//! The application serving on a real loopback port, with a manual clock, for HTTP tests.

use std::{net::SocketAddr, sync::Arc};

use chrono::{TimeZone, Utc};
use maecenas_types::{ManualClock, OffsetClock};
use maecenas_web::{AppState, Limits, WebSettings};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::TestDb;

/// A running server over a [`TestDb`].
#[derive(Debug)]
pub struct TestApp {
    /// The database (its store is shared with the server).
    pub db: TestDb,
    /// The server's clock; move it to test expiry.
    pub clock: Arc<ManualClock>,
    /// Application state, for calling services directly.
    pub state: AppState,
    /// Where the server listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    /// The real-time outbox task (publishes donations from the event log).
    outbox: Option<JoinHandle<()>>,
    /// The webhook dispatcher task.
    dispatcher: Option<JoinHandle<()>>,
}

impl TestApp {
    /// Serves on 127.0.0.1 with default limits.
    pub async fn spawn(db: TestDb) -> Self {
        Self::spawn_with(db, Limits::default()).await
    }

    /// Serves on 127.0.0.1 with the given limits.
    pub async fn spawn_with(db: TestDb, limits: Limits) -> Self {
        Self::spawn_configured(db, limits, maecenas_realtime::RealtimeSettings::default()).await
    }

    /// Serves on 127.0.0.1 with the given limits and real-time settings.
    pub async fn spawn_configured(
        db: TestDb,
        limits: Limits,
        realtime: maecenas_realtime::RealtimeSettings,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0)
                .single()
                .expect("valid date"),
        ));
        let settings = WebSettings {
            public_url: format!("http://{addr}/").parse().expect("url"),
            limits: limits.clone(),
            rate_limits: maecenas_core::RateLimitConfig::default(),
            secret_key: [7; 32],
            realtime,
        };
        // The sandbox clock over the manual one, as `serve` has it over the wall clock.
        let sandbox_clock = Arc::new(OffsetClock::new(clock.clone()));
        let state = AppState::new(db.store.clone(), sandbox_clock.clone(), settings)
            .with_webhooks(maecenas_webhooks::WebhookConfig::sandbox())
            .with_sandbox_clock(sandbox_clock);
        let router = maecenas_web::router(state.clone());
        let outbox = maecenas_web::outbox::spawn(state.clone()).await;
        let dispatcher = maecenas_web::webhooks::spawn(&state).expect("webhook dispatcher");
        let (stop, stopped) = oneshot::channel::<()>();
        let realtime = state.realtime().clone();
        let task = tokio::spawn(async move {
            maecenas_web::serve(listener, router, &limits, async move {
                let _ = stopped.await;
                realtime.shutdown();
            })
            .await
        });
        Self {
            db,
            clock,
            state,
            addr,
            stop: Some(stop),
            task: Some(task),
            outbox: Some(outbox),
            dispatcher: Some(dispatcher),
        }
    }

    /// An absolute URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A client with its own cookie jar that does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("client")
    }

    /// Shuts the server down gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(outbox) = self.outbox.take() {
            outbox.abort();
        }
        if let Some(dispatcher) = self.dispatcher.take() {
            dispatcher.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(outbox) = self.outbox.take() {
            outbox.abort();
        }
        if let Some(dispatcher) = self.dispatcher.take() {
            dispatcher.abort();
        }
    }
}
