//! The dispatcher, a background task with two loops:
//!
//! - **fan-out** reads events no dispatcher has handled, asks the [`Renderer`] which triggers
//!   each fires and for the body each webhook gets (rendered once per trigger and visibility),
//!   and queues the deliveries in the same transaction that marks the events handled;
//! - **delivery** claims due webhooks with a lease and drains each queue in order on its own
//!   task: one attempt at a time, attempts recorded in batches (at most [`SEND_BATCH`], at
//!   most 50 ms after the first of them — meanwhile the queue is read past the ones sent, so
//!   recording is never on a delivery's path — and every attempt begins at least the request
//!   timeout before the lease ends, so no other dispatcher sends it meanwhile), the lease
//!   extended in the statement that records them; a drained queue keeps its lease for a moment (`LINGER`) and goes on
//!   when woken by new deliveries (unless paused or disabled meanwhile), so a steady trickle
//!   of events costs no claim and release per event; the first failure stops the
//!   queue and schedules the retry (or pauses the webhook when the schedule is exhausted, or
//!   disables it on 410).
//!
//! Fan-out wakes on the store's [`maecenas_store::events::EventWaiter`] (an event committed in
//! this process, or on PostgreSQL in any process), delivery on the store's in-process signal;
//! both poll besides, so events written by another SQLite process are found too. Delivery is at least once: a crash between an answer and its record
//! sends that delivery again (at most one unrecorded batch per webhook and crash).

use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::Arc,
    time::{Duration as StdDuration, Instant},
};

use chrono::Duration;
use maecenas_store::{
    Store, StoreError,
    entities::{event, webhook},
    webhook_delivery::{Attempt, NewDelivery, WebhookAfter},
    webhooks::triggers_of,
};
use maecenas_types::SharedClock;
use tokio::task::{JoinHandle, JoinSet};

use crate::{
    config::WebhookConfig,
    schedule::Schedule,
    send::{Outcome, Sender},
};

/// Whether `due` changed within `max` (a zero `max` does not wait).
async fn woken(due: &mut tokio::sync::watch::Receiver<u64>, max: StdDuration) -> bool {
    !max.is_zero() && matches!(tokio::time::timeout(max, due.changed()).await, Ok(Ok(())))
}

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

    /// Renders one fan-out batch: the `i`-th answer is the body for `wanted[i]`. A dialect
    /// overrides this to make the lookups the batch shares once; by default each is rendered
    /// alone with [`Self::render`].
    fn render_all<'a>(
        &'a self,
        wanted: &'a [Wanted<'a>],
    ) -> BoxFuture<'a, Result<Vec<Option<String>>, StoreError>> {
        Box::pin(async move {
            let mut bodies = Vec::with_capacity(wanted.len());
            for w in wanted {
                bodies.push(self.render(w.event, w.trigger, w.scopes).await?);
            }
            Ok(bodies)
        })
    }
}

/// One body a fan-out batch needs: `event` under `trigger` for a webhook whose creating token
/// held `scopes`.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    pub event: &'a event::Model,
    pub trigger: &'a str,
    pub scopes: &'a str,
}

/// Events read per fan-out step.
const FAN_OUT_BATCH: u64 = 500;
/// Deliveries sent per recorded batch on one webhook.
pub const SEND_BATCH: u64 = 100;
/// A batch is recorded after this long even when not full, so a crash re-sends at most this
/// much of a queue's work.
const FLUSH_AFTER: StdDuration = StdDuration::from_millis(50);
/// The least time between two fan-out steps that found events (a backlog is read at once).
const FAN_OUT_GATHER: StdDuration = StdDuration::from_millis(5);
/// How often the loops look for work nobody signalled.
const POLL: StdDuration = StdDuration::from_millis(200);
/// How long a drained queue keeps its lease waiting for more deliveries before giving it back.
const LINGER: StdDuration = StdDuration::from_millis(250);

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
        // Woken by event commits in this process and, on PostgreSQL, in any (LISTEN/NOTIFY).
        let mut waiter = self.inner.store.event_waiter().await;
        let mut last_step: Option<Instant> = None;
        loop {
            // Under a steady stream of events, gather a few per step rather than paying a
            // step's dozen queries for each: at most one step per FAN_OUT_GATHER. The first
            // event after a quiet spell goes at once.
            if let Some(last) = last_step {
                let since = last.elapsed();
                if since < FAN_OUT_GATHER {
                    tokio::time::sleep(FAN_OUT_GATHER - since).await;
                }
            }
            match self.fan_out_step().await {
                Ok(n) if n as u64 == FAN_OUT_BATCH => last_step = None,
                Ok(n) => {
                    last_step = (n > 0).then(Instant::now);
                    waiter.wait(POLL).await;
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
        // What to render (once per event, trigger and visibility), and who gets which body.
        let mut wanted: Vec<Wanted<'_>> = Vec::new();
        let mut slots: HashMap<(i64, &str, u8), usize> = HashMap::new();
        let mut queued: Vec<(i64, i64, &str, usize)> = Vec::new();
        for e in &events {
            let triggers = inner.renderer.triggers(&e.kind);
            if triggers.is_empty() {
                continue;
            }
            for w in webhooks
                .iter()
                .filter(|w| Some(w.campaign_id) == e.campaign_id && e.id > w.after_event_id)
            {
                let listens = triggers_of(w);
                for trigger in triggers.iter().filter(|t| listens.iter().any(|l| l == *t)) {
                    let key = (e.id, *trigger, inner.renderer.visibility(&w.scopes));
                    let slot = *slots.entry(key).or_insert_with(|| {
                        wanted.push(Wanted {
                            event: e,
                            trigger,
                            scopes: &w.scopes,
                        });
                        wanted.len() - 1
                    });
                    queued.push((w.id, e.id, *trigger, slot));
                }
            }
        }
        let bodies = inner.renderer.render_all(&wanted).await?;
        let deliveries: Vec<NewDelivery> = queued
            .into_iter()
            .filter_map(|(webhook_id, event_id, trigger, slot)| {
                Some(NewDelivery {
                    webhook_id,
                    event_id,
                    trigger: trigger.to_owned(),
                    body: bodies.get(slot)?.clone()?,
                })
            })
            .collect();
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

    /// Whether the webhook is still unpaused, enabled and leased by this dispatcher: asked
    /// before sending what arrived while its queue was held.
    async fn still_ours(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self.inner.store.webhook(id).await?.is_some_and(|now| {
            !now.paused
                && now.disabled_at.is_none()
                && now.lease_owner.as_deref() == Some(self.inner.owner.as_str())
        }))
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
        let mut due = inner.store.signals().watch_deliveries();
        due.mark_unchanged();
        let mut idle_since: Option<Instant> = None;
        // Attempts made but not yet recorded (their deliveries still read as pending, so the
        // queue is read past the last one sent), and when the first of them was made.
        let mut unrecorded: Vec<Attempt> = Vec::new();
        let mut first_unrecorded: Option<Instant> = None;
        let mut sent_up_to = 0_i64;
        loop {
            let room = SEND_BATCH.saturating_sub(unrecorded.len() as u64).max(1);
            let batch = inner
                .store
                .pending_deliveries_after(w.id, sent_up_to, room)
                .await?;
            if batch.is_empty() {
                if let Some(first) = first_unrecorded {
                    // Record at most FLUSH_AFTER after the first unrecorded attempt; until then
                    // whatever arrives is sent first (recording is not on a delivery's path),
                    // unless the webhook was paused or disabled meanwhile.
                    let more = woken(&mut due, FLUSH_AFTER.saturating_sub(first.elapsed())).await;
                    if more && self.still_ours(w.id).await? {
                        continue;
                    }
                    let held = self
                        .record(w, &mut unrecorded, WebhookAfter::Healthy, &mut lease_until)
                        .await?;
                    if !held {
                        return Ok(());
                    }
                    (first_unrecorded, sent_up_to) = (None, 0);
                    // Deliveries queued since the wait are sent only while still ours.
                    let again = more || due.has_changed().unwrap_or(false);
                    if !again || self.still_ours(w.id).await? {
                        continue;
                    }
                } else {
                    // Linger a moment with the lease kept: at a steady event rate the next
                    // delivery comes soon, and is sent without claiming and releasing the
                    // queue again.
                    let idle = idle_since.get_or_insert_with(Instant::now);
                    if woken(&mut due, LINGER.saturating_sub(idle.elapsed())).await
                        && self.still_ours(w.id).await?
                    {
                        continue;
                    }
                }
                inner.store.release_webhook(w.id, &inner.owner).await?;
                // A delivery queued between the read and the release is found by the next claim.
                return Ok(());
            }
            idle_since = None;
            let mut after = WebhookAfter::Healthy;
            let mut sent = 0;
            for d in &batch {
                let now = inner.clock.now();
                // Every attempt starts and ends within our lease: nobody else sends it meanwhile.
                if now + timeout >= lease_until
                    || first_unrecorded.is_some_and(|f| f.elapsed() >= FLUSH_AFTER)
                {
                    break;
                }
                let (attempt, outcome) = inner.sender.attempt(w, d, now).await;
                first_unrecorded.get_or_insert_with(Instant::now);
                unrecorded.push(attempt);
                sent_up_to = d.id;
                sent += 1;
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
            if unrecorded.is_empty() {
                // The lease ran short before the first attempt: renew it, then go on.
                let until = inner.clock.now() + lease;
                if !inner.store.renew_lease(w.id, &inner.owner, until).await? {
                    return Ok(());
                }
                lease_until = until;
                continue;
            }
            let due_now = sent == 0
                || after != WebhookAfter::Healthy
                || unrecorded.len() as u64 >= SEND_BATCH
                || first_unrecorded.is_some_and(|f| f.elapsed() >= FLUSH_AFTER);
            if due_now {
                let held = self
                    .record(w, &mut unrecorded, after, &mut lease_until)
                    .await?;
                if after != WebhookAfter::Healthy || !held {
                    return Ok(());
                }
                (first_unrecorded, sent_up_to) = (None, 0);
            }
        }
    }

    /// Records `attempts` (leaving none) and the webhook's state after them, extending the
    /// lease when healthy; whether the lease was still ours.
    async fn record(
        &self,
        w: &webhook::Model,
        attempts: &mut Vec<Attempt>,
        after: WebhookAfter,
        lease_until: &mut chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let inner = &self.inner;
        let lease = Duration::seconds(i64::try_from(inner.config.lease_secs).unwrap_or(60));
        let now = inner.clock.now();
        let until = now + lease;
        let held = inner
            .store
            .record_attempts(
                w.id,
                &inner.owner,
                std::mem::take(attempts),
                after,
                now,
                until,
            )
            .await?;
        *lease_until = until;
        Ok(held)
    }
}
