//! The event outbox's real-time side: a background task, `realtime-outbox`, that reads new event
//! rows in id order and publishes each donation to its recipient's `$alerts:donation_<id>`
//! channel. Request handlers never publish: the event row written in the same transaction as
//! the donation is the only source, so a donation made by another process (the CLI, another
//! instance on the same database) reaches this instance's sockets too.
//!
//! Alerts are best effort: the reader starts at the newest event when the server starts, and
//! on PostgreSQL an id committed after a higher one can be passed over. Webhook delivery, which
//! must not lose events, keeps its own rows per delivery.

use std::time::Duration;

use maecenas_store::{StoreError, events};
use maecenas_types::UserId;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// How long the task waits when there was nothing new.
const IDLE_POLL: Duration = Duration::from_millis(50);
/// Events read per step.
const BATCH: u64 = 500;

/// Publishes the events after `after`; returns the id of the last one handled.
pub async fn step(state: &AppState, after: i64) -> Result<i64, StoreError> {
    let mut cursor = after;
    for event in state.store().events_after(after, BATCH).await? {
        if event.kind == events::DONATION_CREATE {
            publish_donation(state, &event.subject_id).await?;
        }
        cursor = event.id;
    }
    Ok(cursor)
}

async fn publish_donation(state: &AppState, subject_id: &str) -> Result<(), StoreError> {
    let Ok(id) = subject_id.parse::<i64>() else {
        tracing::warn!(subject_id, "donation event with a non-numeric subject");
        return Ok(());
    };
    let Some((recipient, donation)) =
        maecenas_donationalerts::alert::donation_for_alert(state.store(), id).await?
    else {
        return Ok(());
    };
    if let Err(err) = state
        .realtime()
        .publish_donation(UserId(recipient), &donation)
    {
        tracing::warn!(donation = id, error = %err, "publishing a donation alert failed");
    }
    Ok(())
}

/// Starts the task from the newest event; abort the handle to stop it.
pub fn spawn(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut cursor = loop {
            match state.store().last_event_id().await {
                Ok(id) => break id,
                Err(err) => {
                    tracing::warn!(error = %err, "realtime-outbox cannot read the event log yet");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        loop {
            match step(&state, cursor).await {
                Ok(next) if next != cursor => cursor = next,
                Ok(_) => tokio::time::sleep(IDLE_POLL).await,
                Err(err) => {
                    tracing::warn!(error = %err, "realtime-outbox step failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}
