//! One HTTP attempt: a pooled keep-alive client (rustls, no redirects, the configured timeout,
//! names resolved through the SSRF guard), the signed headers, and what the log keeps of the
//! answer.

use std::{sync::Arc, time::Instant};

use chrono::{DateTime, Duration, Utc};
use maecenas_store::{
    entities::{webhook, webhook_delivery},
    webhook_delivery::Attempt,
};

use crate::{
    config::WebhookConfig,
    guard::{Guard, GuardedResolver},
    schedule::parse_retry_after,
    sign,
};

/// How much of a response body the log keeps.
pub const EXCERPT_BYTES: usize = 1024;
/// How much of a response body is read at most (the rest is dropped with the connection).
const READ_LIMIT: usize = 64 * 1024;
/// Sent as `User-Agent`.
const USER_AGENT: &str = concat!("Maecenas-Webhooks/", env!("CARGO_PKG_VERSION"));

/// What an attempt means for the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Delivered,
    /// 410 Gone: disable the webhook.
    Gone,
    /// Anything else; the receiver's `Retry-After`, if any.
    Failed { retry_after: Option<Duration> },
}

/// The HTTP side of delivery.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    guard: Guard,
}

impl Sender {
    /// A sender with one connection pool for every receiver.
    pub fn new(config: &Arc<WebhookConfig>) -> Result<Self, reqwest::Error> {
        let guard = Guard::new(config.clone());
        let timeout = std::time::Duration::from_secs(config.timeout_secs);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(std::time::Duration::from_secs(5)))
            .pool_idle_timeout(std::time::Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .user_agent(USER_AGENT)
            .dns_resolver(Arc::new(GuardedResolver(guard.clone())))
            .build()?;
        Ok(Self { client, guard })
    }

    /// The signed headers of one attempt at `d` at `now`.
    pub fn headers(
        w: &webhook::Model,
        d: &webhook_delivery::Model,
        now: DateTime<Utc>,
    ) -> Vec<(&'static str, String)> {
        let msg_id = format!("msg_{}", d.id);
        let ts = now.timestamp();
        let body = d.body.as_bytes();
        vec![
            ("content-type", "application/json".to_owned()),
            ("x-patreon-event", d.trigger.clone()),
            (
                "x-patreon-signature",
                sign::patreon_signature(&w.secret, body),
            ),
            (
                "webhook-signature",
                sign::standard_signature(&sign::standard_key(&w.secret), &msg_id, ts, body),
            ),
            ("webhook-id", msg_id),
            ("webhook-timestamp", ts.to_string()),
        ]
    }

    /// Sends `d` to `w` once.
    pub async fn attempt(
        &self,
        w: &webhook::Model,
        d: &webhook_delivery::Model,
        now: DateTime<Utc>,
    ) -> (Attempt, Outcome) {
        let headers = Self::headers(w, d, now);
        let logged: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
            .collect();
        let mut attempt = Attempt {
            delivery_id: d.id,
            attempted_at: now,
            request_headers: serde_json::Value::Object(logged).to_string(),
            response_status: None,
            response_excerpt: String::new(),
            error: None,
            latency_ms: 0,
            delivered: false,
        };
        let started = Instant::now();
        let result = self.post(w, d, headers).await;
        attempt.latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let outcome = match result {
            Ok((status, retry_after, excerpt)) => {
                attempt.response_status = Some(i64::from(status));
                attempt.response_excerpt = excerpt;
                match status {
                    200..=299 => Outcome::Delivered,
                    410 => Outcome::Gone,
                    _ => Outcome::Failed {
                        retry_after: retry_after.and_then(|v| parse_retry_after(&v, now)),
                    },
                }
            }
            Err(error) => {
                attempt.error = Some(error);
                Outcome::Failed { retry_after: None }
            }
        };
        attempt.delivered = outcome == Outcome::Delivered;
        (attempt, outcome)
    }

    async fn post(
        &self,
        w: &webhook::Model,
        d: &webhook_delivery::Model,
        headers: Vec<(&'static str, String)>,
    ) -> Result<(u16, Option<String>, String), String> {
        let url = self.guard.check_uri(&w.uri).map_err(|e| e.to_string())?;
        let mut request = self.client.post(url).body(d.body.clone());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = request.send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while body.len() < READ_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        body.truncate(EXCERPT_BYTES);
        Ok((
            status,
            retry_after,
            String::from_utf8_lossy(&body).into_owned(),
        ))
    }
}

fn describe(err: reqwest::Error) -> String {
    use std::error::Error;
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
