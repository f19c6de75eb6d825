//! The event outbox's real-time side: a background task, `realtime-outbox`, that reads new event
//! rows in id order and publishes each donation to its recipient's `$alerts:donation_<id>`
//! channel. Request handlers never publish: the event row written in the same transaction as
//! the donation is the only source, so a donation made by another process (the CLI, another
//! instance on the same database) reaches this instance's sockets too.
//!
//! Alerts are best effort: the reader starts at the newest event when the server starts, and
//! on PostgreSQL an id committed after a higher one can be passed over. Webhook delivery, which
//! must not lose events, keeps its own rows per delivery.
//!
//! The task sleeps until the store says an event was committed (in this process, or on
//! PostgreSQL in any) or [`IDLE_POLL`] passes. With the Redis broker every instance reads every
//! event and the broker lets exactly one publish each (the event id is the `once` key).

use std::time::Duration;

use maecenas_store::{StoreError, events};
use maecenas_types::UserId;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// How long the task waits, when nothing wakes it, before looking again.
const IDLE_POLL: Duration = Duration::from_millis(250);
/// Events read per step.
const BATCH: u64 = 500;

/// Publishes the events after `after`; returns the id of the last one handled.
pub async fn step(state: &AppState, after: i64) -> Result<i64, StoreError> {
    let mut cursor = after;
    for event in state.store().events_after(after, BATCH).await? {
        if event.kind == events::DONATION_CREATE {
            publish_donation(state, event.id, &event.subject_id).await?;
        }
        cursor = event.id;
    }
    Ok(cursor)
}

async fn publish_donation(
    state: &AppState,
    event: i64,
    subject_id: &str,
) -> Result<(), StoreError> {
    let Ok(id) = subject_id.parse::<i64>() else {
        tracing::warn!(subject_id, "donation event with a non-numeric subject");
        return Ok(());
    };
    let Some((recipient, donation)) =
        maecenas_donationalerts::alert::donation_for_alert(state.store(), id).await?
    else {
        return Ok(());
    };
    let published = state
        .realtime()
        .publish_donation(UserId(recipient), &donation, Some(event))
        .await;
    if let Err(err) = published {
        tracing::warn!(donation = id, error = %err, "publishing a donation alert failed");
    }
    Ok(())
}

/// Starts the task from the newest event; abort the handle to stop it. The starting point is
/// read before this returns, so every donation stored afterwards is published.
pub async fn spawn(state: AppState) -> JoinHandle<()> {
    let mut cursor = loop {
        match state.store().last_event_id().await {
            Ok(id) => break id,
            Err(err) => {
                tracing::warn!(error = %err, "realtime-outbox cannot read the event log yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    tokio::spawn(async move {
        let mut waiter = state.store().event_waiter().await;
        loop {
            match step(&state, cursor).await {
                Ok(next) if next != cursor => cursor = next,
                Ok(_) => waiter.wait(IDLE_POLL).await,
                Err(err) => {
                    tracing::warn!(error = %err, "realtime-outbox step failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}
