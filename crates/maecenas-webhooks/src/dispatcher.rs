//! The dispatcher, a background task with two loops:
//!
//! - **fan-out** reads events no dispatcher has handled, asks the [`Renderer`] which triggers
//!   each fires and for the body each webhook gets (rendered once per trigger and visibility),
//!   and queues the deliveries in the same transaction that marks the events handled;
//! - **delivery** claims due webhooks with a lease and drains each queue in order on its own
//!   task: one attempt at a time, attempts recorded in batches (at most [`SEND_BATCH`] or
//!   50 ms of work, and every attempt begins at least the request timeout before the lease
//!   ends, so no other dispatcher sends it meanwhile); the first failure stops the
//!   queue and schedules the retry (or pauses the webhook when the schedule is exhausted, or
//!   disables it on 410).
//!
//! Both wake on the store's in-process signals and poll besides, so events written by another
//! process are found too. Delivery is at least once: a crash between an answer and its record
//! sends that delivery again (at most one unrecorded batch per webhook and crash).

use std::{
    collections::HashMap, future::Future, pin::Pin, sync::Arc, time::Duration as StdDuration,
};

use chrono::Duration;
use maecenas_store::{
    Store, StoreError,
    entities::{event, webhook},
    webhook_delivery::{NewDelivery, WebhookAfter},
    webhooks::triggers_of,
};
use maecenas_types::SharedClock;
use tokio::task::{JoinHandle, JoinSet};

use crate::{
    config::WebhookConfig,
    schedule::Schedule,
    send::{Outcome, Sender},
};

/// A boxed future, for the object-safe [`Renderer`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a dialect turns events into webhook payloads.
pub trait Renderer: Send + Sync + std::fmt::Debug + 'static {
    /// The webhook triggers an event of `kind` fires (none for kinds webhooks don't hear).
    fn triggers(&self, kind: &str) -> &'static [&'static str];

    /// The body sent for `event` under `trigger` to a webhook whose creating token held
    /// `scopes`; `None` when there is nothing to send (the subject is gone).
    fn render<'a>(
        &'a self,
        event: &'a event::Model,
        trigger: &'a str,
        scopes: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>>;

    /// Whether two scope sets render the same payloads (so one rendering serves both).
    fn visibility(&self, scopes: &str) -> u8;
}

/// Events read per fan-out step.
const FAN_OUT_BATCH: u64 = 500;
/// Deliveries sent per recorded batch on one webhook.
pub const SEND_BATCH: u64 = 100;
/// A batch is recorded after this long even when not full, so a crash re-sends at most this
/// much of a queue's work.
const FLUSH_AFTER: StdDuration = StdDuration::from_millis(50);
/// How often the loops look for work nobody signalled.
const POLL: StdDuration = StdDuration::from_millis(200);

/// A dispatcher over a store.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    clock: SharedClock,
    renderer: Arc<dyn Renderer>,
    config: Arc<WebhookConfig>,
    schedule: Schedule,
    sender: Sender,
    owner: String,
}

impl Dispatcher {
    /// A dispatcher named by a random owner id (what its leases carry).
    pub fn new(
        store: Store,
        clock: SharedClock,
        renderer: Arc<dyn Renderer>,
        config: Arc<WebhookConfig>,
    ) -> Result<Self, reqwest::Error> {
        let sender = Sender::new(&config)?;
        let owner = config
            .instance_id
            .clone()
            .unwrap_or_else(|| format!("dispatcher-{}", &crate::sign::generate_secret()[6..22]));
        Ok(Self {
            inner: Arc::new(Inner {
                schedule: Schedule::from_secs(&config.retry_schedule_secs),
                store,
                clock,
                renderer,
                config,
                sender,
                owner,
            }),
        })
    }

    /// Starts both loops; abort the handle to stop them (in-flight attempts are dropped and
    /// sent again later, which at-least-once allows).
    pub fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(async move {
            // Leases this instance held before a crash are nobody's now: take the queues back.
            while let Err(err) = self.inner.store.release_leases_of(&self.inner.owner).await {
                tracing::warn!(error = %err, "freeing this instance's old leases failed; retrying");
                tokio::time::sleep(StdDuration::from_secs(1)).await;
            }
            tokio::join!(self.fan_out_loop(), self.delivery_loop());
        })
    }

    async fn fan_out_loop(&self) {
        let signals = self.inner.store.signals();
        loop {
            match self.fan_out_step().await {
                Ok(n) if n as u64 == FAN_OUT_BATCH => continue,
                Ok(_) => {
                    let _ = tokio::time::timeout(POLL, signals.wait_events()).await;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "webhook fan-out failed; retrying");
                    tokio::time::sleep(StdDuration::from_secs(1)).await;
                }
            }
        }
    }

    /// Fans out one batch of events; returns how many events it read.
    pub async fn fan_out_step(&self) -> Result<usize, StoreError> {
        let inner = &self.inner;
        let events = inner.store.unfanned_events(FAN_OUT_BATCH).await?;
        if events.is_empty() {
            return Ok(0);
        }
        let mut campaigns: Vec<i64> = events.iter().filter_map(|e| e.campaign_id).collect();
        campaigns.sort_unstable();
        campaigns.dedup();
        let webhooks = inner.store.webhooks_listening(&campaigns).await?;
        let mut deliveries = Vec::new();
        for e in &events {
            let triggers = inner.renderer.triggers(&e.kind);
            if triggers.is_empty() {
                continue;
            }
            let mut rendered: HashMap<(&str, u8), Option<String>> = HashMap::new();
            for w in webhooks
                .iter()
                .filter(|w| Some(w.campaign_id) == e.campaign_id && e.id > w.after_event_id)
            {
                let listens = triggers_of(w);
                for trigger in triggers.iter().filter(|t| listens.iter().any(|l| l == *t)) {
                    let key = (*trigger, inner.renderer.visibility(&w.scopes));
                    if let std::collections::hash_map::Entry::Vacant(slot) = rendered.entry(key) {
                        slot.insert(inner.renderer.render(e, trigger, &w.scopes).await?);
                    }
                    if let Some(Some(body)) = rendered.get(&key) {
                        deliveries.push(NewDelivery {
                            webhook_id: w.id,
                            event_id: e.id,
                            trigger: (*trigger).to_owned(),
                            body: body.clone(),
                        });
                    }
                }
            }
        }
        let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        inner
            .store
            .fan_out(&ids, deliveries, inner.clock.now())
            .await?;
        Ok(events.len())
    }

    async fn delivery_loop(&self) {
        let inner = &self.inner;
        let signals = inner.store.signals();
        let lease = Duration::seconds(i64::try_from(inner.config.lease_secs).unwrap_or(60));
        let mut workers = JoinSet::new();
        loop {
            while workers.try_join_next().is_some() {}
            let free = inner
                .config
                .max_concurrent_webhooks
                .saturating_sub(workers.len());
            let mut claimed = 0;
            if free > 0 {
                let now = inner.clock.now();
                match inner
                    .store
                    .claim_webhooks(&inner.owner, now, lease, free as u64)
                    .await
                {
                    Ok(webhooks) => {
                        claimed = webhooks.len();
                        for w in webhooks {
                            let me = self.clone();
                            workers.spawn(async move { me.drain(w).await });
                        }
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "claiming webhooks failed; retrying");
                        tokio::time::sleep(StdDuration::from_secs(1)).await;
                        continue;
                    }
                }
            }
            if claimed == 0 {
                tokio::select! {
                    () = signals.wait_deliveries() => {}
                    () = tokio::time::sleep(POLL) => {}
                    Some(_) = workers.join_next(), if !workers.is_empty() => {}
                }
            }
        }
    }

    /// Drains one claimed webhook's queue until it is empty or an attempt fails.
    async fn drain(&self, mut w: webhook::Model) {
        if let Err(err) = self.drain_inner(&mut w).await {
            tracing::warn!(webhook = w.id, error = %err, "delivering a webhook's queue failed");
            let _ = self
                .inner
                .store
                .release_webhook(w.id, &self.inner.owner)
                .await;
        }
    }

    async fn drain_inner(&self, w: &mut webhook::Model) -> Result<(), StoreError> {
        let inner = &self.inner;
        let lease = Duration::seconds(i64::try_from(inner.config.lease_secs).unwrap_or(60));
        let timeout = Duration::seconds(i64::try_from(inner.config.timeout_secs).unwrap_or(15));
        let mut lease_until = w.lease_until.unwrap_or_else(|| inner.clock.now() + lease);
        loop {
            let batch = inner.store.pending_deliveries(w.id, SEND_BATCH).await?;
            if batch.is_empty() {
                inner.store.release_webhook(w.id, &inner.owner).await?;
                // A delivery queued between the read and the release is found by the next claim.
                return Ok(());
            }
            let mut attempts = Vec::with_capacity(batch.len());
            let mut after = WebhookAfter::Healthy;
            let started = std::time::Instant::now();
            for d in &batch {
                let now = inner.clock.now();
                // Every attempt starts and ends within our lease: nobody else sends it meanwhile.
                if now + timeout >= lease_until || started.elapsed() >= FLUSH_AFTER {
                    break;
                }
                let (attempt, outcome) = inner.sender.attempt(w, d, now).await;
                attempts.push(attempt);
                match outcome {
                    Outcome::Delivered => w.num_consecutive_times_failed = 0,
                    Outcome::Gone => {
                        after = WebhookAfter::Disabled {
                            failures: w.num_consecutive_times_failed + 1,
                        };
                        break;
                    }
                    Outcome::Failed { retry_after } => {
                        let failures = w.num_consecutive_times_failed + 1;
                        after = match inner.schedule.next_delay_random(failures, retry_after) {
                            Some(delay) => WebhookAfter::Retry {
                                at: now + delay,
                                failures,
                            },
                            None => WebhookAfter::Paused { failures },
                        };
                        break;
                    }
                }
            }
            let now = inner.clock.now();
            if attempts.is_empty() {
                // The lease ran short before the first attempt: renew it, then go on.
                let until = now + lease;
                if !inner.store.renew_lease(w.id, &inner.owner, until).await? {
                    return Ok(());
                }
                lease_until = until;
                continue;
            }
            inner
                .store
                .record_attempts(w.id, &inner.owner, attempts, after, now)
                .await?;
            if after != WebhookAfter::Healthy {
                return Ok(());
            }
            let until = inner.clock.now() + lease;
            if !inner.store.renew_lease(w.id, &inner.owner, until).await? {
                return Ok(());
            }
            lease_until = until;
        }
    }
}
