//! The real-time server: a Centrifugo v2 compatible WebSocket at `/connection/websocket`, so
//! DonationAlerts clients (centrifuge-js 2.x, DonationAlertsAPI) receive live donation alerts
//! unchanged (`specs/donationalerts-centrifugo.md` §1, §2, §4.3, §7).
//!
//! [`Realtime`] is the handle the application keeps: it verifies and issues tokens, and
//! [`Realtime::publish_donation`] is how the event dispatcher reaches subscribers. The broker
//! behind it is in-process ([`hub::Hub`]) or Redis ([`redis_broker::RedisBroker`]) when
//! several instances share the work.

mod connection;
pub mod hub;
mod limit;
pub mod protocol;
pub mod redis_broker;
mod settings;
pub mod token;
mod writer;

use std::{sync::Arc, time::Duration};

use axum::{Router, routing::get};
use chrono::{DateTime, Utc};
use maecenas_types::{SharedClock, UserId};
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::watch;

use crate::hub::{Broker, BrokerError, Hub, Publish};
pub use crate::settings::RealtimeSettings;
pub use crate::token::{TokenError, TokenKey};

/// Tunables, with the Centrifugo v2 defaults where it has one.
#[derive(Debug, Clone)]
pub struct RealtimeConfig {
    /// WebSocket ping frames are sent this often (Centrifugo: 25 s); a connected client that
    /// sends nothing (not even a pong) for twice that long is dropped without a close frame.
    pub ping_interval: Duration,
    /// A client that has not connected successfully by then is closed with 3007 (25 s).
    pub connect_timeout: Duration,
    /// Largest incoming message in bytes (65536); larger closes with 1009.
    pub max_message_size: usize,
    /// Outgoing frames queued per connection; a client that lets it fill is closed with 3008.
    pub queue_capacity: usize,
    /// Publications kept per channel for recovery.
    pub history_size: usize,
    /// Most channels one connection may subscribe to (Centrifugo: 128).
    pub max_channels: usize,
    /// Commands a connection may send per second on average…
    pub commands_per_second: u32,
    /// …and in a burst.
    pub command_burst: u32,
    /// Bytes the WebSocket reads per call (tungstenite allocates it per connection; large
    /// messages still arrive whole, up to `max_message_size`).
    pub read_buffer_size: usize,
    /// Bytes the WebSocket buffers before writing.
    pub write_buffer_size: usize,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(25),
            connect_timeout: Duration::from_secs(25),
            max_message_size: 65_536,
            queue_capacity: 256,
            history_size: 100,
            max_channels: 128,
            commands_per_second: 50,
            command_burst: 100,
            read_buffer_size: 1024,
            write_buffer_size: 1024,
        }
    }
}

/// Why a publication failed: its data could not be encoded as JSON, or the broker (Redis)
/// did not take it.
#[derive(Debug)]
pub struct PublishError(BrokerError);

impl std::fmt::Display for PublishError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for PublishError {}

/// The real-time server's shared state. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Realtime {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    broker: Arc<dyn Broker>,
    key: TokenKey,
    clock: SharedClock,
    config: RealtimeConfig,
    settings: RealtimeSettings,
    /// Set once, on shutdown: every connection closes with 3001 and new ones are refused so.
    shutdown: watch::Sender<bool>,
}

/// The channel a creator's donation alerts are published on.
pub fn donation_channel(user: UserId) -> String {
    format!("$alerts:donation_{user}")
}

impl Realtime {
    /// An in-process hub whose tokens are signed with `key` and checked against `clock`.
    pub fn new(key: [u8; 32], clock: SharedClock, config: RealtimeConfig) -> Self {
        let broker = Arc::new(Hub::new(config.history_size));
        Self::with_broker(key, clock, config, RealtimeSettings::default(), broker)
    }

    /// The broker `settings` ask for: Redis when `redis_url` is set (its listener starts now,
    /// so call this inside a Tokio runtime), else in-process.
    pub fn with_settings(
        key: [u8; 32],
        clock: SharedClock,
        config: RealtimeConfig,
        settings: RealtimeSettings,
    ) -> Result<Self, String> {
        let broker: Arc<dyn Broker> = match &settings.redis_url {
            Some(url) => Arc::new(redis_broker::RedisBroker::new(
                url,
                &settings.redis_prefix,
                config.history_size,
            )?),
            None => Arc::new(Hub::new(config.history_size)),
        };
        Ok(Self::with_broker(key, clock, config, settings, broker))
    }

    fn with_broker(
        key: [u8; 32],
        clock: SharedClock,
        config: RealtimeConfig,
        settings: RealtimeSettings,
        broker: Arc<dyn Broker>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                broker,
                key: TokenKey::new(key),
                clock,
                config,
                settings,
                shutdown: watch::Sender::new(false),
            }),
        }
    }

    /// The configured settings.
    pub fn settings(&self) -> &RealtimeSettings {
        &self.inner.settings
    }

    /// Closes every connection with 3001 "shutdown" (clients reconnect, to another instance or
    /// to this one restarted) and refuses new ones the same way.
    pub fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    pub(crate) fn shutting_down(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    /// The tunables.
    pub fn config(&self) -> &RealtimeConfig {
        &self.inner.config
    }

    /// The token key.
    pub fn key(&self) -> &TokenKey {
        &self.inner.key
    }

    pub(crate) fn broker(&self) -> &dyn Broker {
        self.inner.broker.as_ref()
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// A connection token (`socket_connection_token`) for `user_id`.
    pub fn issue_connection_token(
        &self,
        user_id: &str,
        exp: Option<DateTime<Utc>>,
    ) -> Result<String, TokenError> {
        self.inner.key.issue_connection_token(user_id, exp)
    }

    /// A subscription token for connection `client` on `channel`.
    pub fn issue_subscription_token(
        &self,
        client: &str,
        channel: &str,
        exp: Option<DateTime<Utc>>,
    ) -> Result<String, TokenError> {
        self.inner
            .key
            .issue_subscription_token(client, channel, exp)
    }

    /// Publishes `data` on `channel`; returns its seq.
    pub async fn publish<T: Serialize + ?Sized>(
        &self,
        channel: &str,
        data: &T,
    ) -> Result<u64, PublishError> {
        self.publish_once(None, channel, data)
            .await?
            .ok_or_else(|| PublishError(BrokerError::Unavailable("not published".into())))
    }

    /// Publishes `data` on `channel` unless a publication with the same `once` key was made
    /// already, by this instance or another sharing the broker; returns its seq, or `None`.
    pub async fn publish_once<T: Serialize + ?Sized>(
        &self,
        once: Option<&str>,
        channel: &str,
        data: &T,
    ) -> Result<Option<u64>, PublishError> {
        let raw: Box<RawValue> = serde_json::value::to_raw_value(data)
            .map_err(|err| PublishError(BrokerError::Encode(err)))?;
        let publish = Publish {
            channel,
            data: raw,
            once,
        };
        self.inner
            .broker
            .publish(publish)
            .await
            .map_err(PublishError)
    }

    /// Publishes a donation (the DonationAlerts donation object, `reason` included) to the
    /// creator's `$alerts:donation_<id>` channel, once per `event` across instances.
    pub async fn publish_donation<T: Serialize + ?Sized>(
        &self,
        user: UserId,
        payload: &T,
        event: Option<i64>,
    ) -> Result<Option<u64>, PublishError> {
        let once = event.map(|id| format!("event:{id}"));
        self.publish_once(once.as_deref(), &donation_channel(user), payload)
            .await
    }

    /// How many connections are subscribed to `channel` on this instance.
    pub fn subscribers(&self, channel: &str) -> usize {
        self.inner.broker.subscribers(channel)
    }
}

/// The WebSocket endpoint, `/connection/websocket`.
pub fn router<S: Clone + Send + Sync + 'static>(realtime: Realtime) -> Router<S> {
    Router::new()
        .route("/connection/websocket", get(connection::upgrade))
        .with_state(realtime)
}
