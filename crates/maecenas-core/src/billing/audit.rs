//! Checking a campaign's billing histories: every member's lifetime support is the sum of their
//! succeeded charges, each paid pledge event has its charge, and the pledge history replays
//! along the status machine of the module doc to the member's current status. Used by the
//! property tests and by `maecenas sandbox audit`; reads a page of members at a time.

use std::collections::HashMap;

use maecenas_store::{Store, StoreError, entities::member};
use uuid::Uuid;

use super::{ACTIVE, DECLINED, FORMER};

/// Members read per page.
const PAGE: u64 = 500;

/// What an audit found.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// Members checked.
    pub members: usize,
    /// Succeeded charges counted.
    pub charges: i64,
    /// Each inconsistency, naming the member.
    pub problems: Vec<String>,
}

/// Audits every member of `campaign_id`.
pub async fn audit_campaign(store: &Store, campaign_id: i64) -> Result<Audit, StoreError> {
    let totals: HashMap<Uuid, (i64, i64)> = store
        .charge_totals(campaign_id)
        .await?
        .into_iter()
        .map(|(m, cents, n)| (m, (cents, n)))
        .collect();
    let mut audit = Audit::default();
    let mut after = None;
    loop {
        let page = store.members_page(campaign_id, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let ids: Vec<Uuid> = page.iter().map(|m| m.id).collect();
        let histories = store.pledge_histories(&ids).await?;
        for m in &page {
            audit.members += 1;
            let (cents, n) = totals.get(&m.id).copied().unwrap_or((0, 0));
            audit.charges += n;
            let history = histories.get(&m.id).map(Vec::as_slice).unwrap_or_default();
            check_member(m, cents, n, history, &mut audit.problems);
        }
    }
    Ok(audit)
}

fn check_member(
    m: &member::Model,
    charged: i64,
    charges: i64,
    history: &[maecenas_store::entities::pledge_event::Model],
    problems: &mut Vec<String>,
) {
    let mut say = |what: String| problems.push(format!("member {}: {what}", m.id));
    if m.campaign_lifetime_support_cents != charged || m.lifetime_support_cents != charged {
        say(format!(
            "lifetime support {} / campaign lifetime {} but succeeded charges sum to {charged}",
            m.lifetime_support_cents, m.campaign_lifetime_support_cents
        ));
    }
    let paid_events = history
        .iter()
        .filter(|e| e.payment_status.as_deref() == Some("Paid"))
        .count();
    if i64::try_from(paid_events).unwrap_or(-1) != charges {
        say(format!(
            "{paid_events} paid pledge events but {charges} succeeded charges"
        ));
    }
    if history.windows(2).any(|w| w[0].date > w[1].date) {
        say("pledge history out of order".to_owned());
    }
    let mut state: Option<&str> = None;
    for e in history {
        let pledging = matches!(state, Some(ACTIVE | DECLINED));
        let outcome = match e.pledge_payment_status.as_deref() {
            Some("declined" | "fraud") => DECLINED,
            _ => ACTIVE,
        };
        state = match (e.event_type.as_str(), pledging) {
            ("pledge_start", false) => Some(outcome),
            ("subscription", true) => Some(outcome),
            ("pledge_upgrade" | "pledge_downgrade", true) => state,
            ("pledge_delete", true) => Some(FORMER),
            (kind, _) => {
                say(format!("{kind} while {state:?}"));
                state
            }
        };
    }
    if state != m.patron_status.as_deref() {
        say(format!(
            "history ends {state:?} but the member is {:?}",
            m.patron_status
        ));
    }
    match m.patron_status.as_deref() {
        Some(FORMER) | None => {
            if m.will_pay_amount_cents != 0 || m.next_charge_date.is_some() {
                say("not pledging but something is still due".to_owned());
            }
        }
        Some(DECLINED) => {
            if m.currently_entitled_amount_cents != 0 || m.next_charge_date.is_none() {
                say("declined but entitled, or no retry scheduled".to_owned());
            }
        }
        Some(_) => {
            if m.next_charge_date.is_none() || m.will_pay_amount_cents <= 0 {
                say("active without a next charge".to_owned());
            }
        }
    }
}
