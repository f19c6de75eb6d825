//! The billing scheduler: a named background task, `billing-scheduler`, that charges what falls
//! due (renewals and retries) through the core [`Billing`] service. Each instance claims due
//! members under its own lease, so several instances on one database charge each member once.
//! With a sandbox clock it also re-reads the persisted offset every tick, so a CLI
//! `sandbox advance` moves this server's time and the charges then due run here.

use std::{sync::Arc, time::Duration};

use maecenas_core::billing::{Billing, RunReport};
use maecenas_types::OffsetClock;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::state::AppState;

/// How often the scheduler looks for due charges.
const TICK: Duration = Duration::from_secs(1);
/// Members claimed per batch.
const BATCH: u64 = 500;

/// One tick: refreshes the sandbox offset (when given), then charges everything due now.
pub async fn step(
    billing: &Billing,
    sandbox_clock: Option<&OffsetClock>,
    owner: &str,
) -> Result<RunReport, maecenas_core::billing::BillingError> {
    if let Some(clock) = sandbox_clock {
        let seconds = billing.store().sandbox_clock_offset().await?;
        clock.set_offset(chrono::Duration::seconds(seconds));
    }
    let mut total = RunReport::default();
    loop {
        let report = billing.run_due(owner, BATCH).await?;
        if report.claimed == 0 {
            return Ok(total);
        }
        total.add(report);
    }
}

/// Starts the scheduler on `state`'s clock; abort the handle to stop it.
pub fn spawn(state: &AppState, sandbox_clock: Option<Arc<OffsetClock>>) -> JoinHandle<()> {
    let billing = Billing::sandbox(state.store().clone(), state.clock().clone());
    let owner = format!("scheduler:{}", Uuid::new_v4());
    tokio::spawn(async move {
        loop {
            match step(&billing, sandbox_clock.as_deref(), &owner).await {
                Ok(report) if report.claimed > 0 => {
                    tracing::info!(
                        paid = report.paid,
                        declined = report.declined,
                        ended = report.ended,
                        "billing-scheduler charged what fell due"
                    );
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "billing-scheduler step failed"),
            }
            tokio::time::sleep(TICK).await;
        }
    })
}
