//! A campaign to bill: a creator, a charge-up-front (or first-of-the-month) campaign with a
//! free, a 5.00 and a limited, shipping 15.00 tier; patrons; the billing service on a manual
//! clock.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use maecenas_core::billing::{Billing, Cadence, Checkout, gateway};
use maecenas_store::{
    Store,
    accounts::NewUser,
    campaigns::{NewCampaign, NewTier},
    entities::{campaign, tier, user},
};
use maecenas_types::{Clock, ManualClock};

pub struct Fixture {
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub billing: Billing,
    pub campaign: campaign::Model,
    pub free: tier::Model,
    pub bronze: tier::Model,
    pub gold: tier::Model,
}

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap()
}

impl Fixture {
    pub async fn new(store: &Store, up_front: bool) -> Self {
        let clock = Arc::new(ManualClock::new(start()));
        let now = clock.now();
        let creator = store
            .create_user(
                NewUser {
                    email: "creator@example.org".into(),
                    password_hash: None,
                    full_name: "Creator".into(),
                    vanity: Some("creator".into()),
                },
                now,
            )
            .await
            .unwrap();
        let mut campaign = store
            .create_campaign(
                NewCampaign {
                    creator_id: creator.id,
                    vanity: "creator".into(),
                    creation_name: "things".into(),
                    summary: String::new(),
                    one_liner: String::new(),
                    currency: "USD".into(),
                    published_at: Some(now),
                },
                now,
            )
            .await
            .unwrap();
        if !up_front {
            campaign = store
                .set_charged_immediately(campaign.id, false)
                .await
                .unwrap();
        }
        let tier = |title: &str, cents: i64, limit: Option<i64>, ship: bool, order: i64| NewTier {
            campaign_id: campaign.id,
            title: title.into(),
            description: String::new(),
            amount_cents: cents,
            currency: "USD".into(),
            user_limit: limit,
            requires_shipping: ship,
            sort_order: order,
        };
        let free = store
            .create_tier(tier("Free", 0, None, false, 0), now)
            .await
            .unwrap();
        let bronze = store
            .create_tier(tier("Bronze", 500, None, false, 1), now)
            .await
            .unwrap();
        let gold = store
            .create_tier(tier("Gold", 1500, Some(2), true, 2), now)
            .await
            .unwrap();
        let billing = Billing::sandbox(store.clone(), clock.clone());
        Self {
            store: store.clone(),
            clock,
            billing,
            campaign,
            free,
            bronze,
            gold,
        }
    }

    pub async fn patron(&self, n: usize) -> user::Model {
        self.store
            .create_user(
                NewUser {
                    email: format!("patron{n}@example.org"),
                    password_hash: None,
                    full_name: format!("Patron {n}"),
                    vanity: None,
                },
                self.clock.now(),
            )
            .await
            .unwrap()
    }

    pub fn checkout(&self, user: &user::Model, tier: &tier::Model, card: &str) -> Checkout {
        Checkout {
            user_id: user.id,
            campaign_id: self.campaign.id,
            tier_id: Some(tier.id),
            amount_cents: None,
            cadence: Cadence::Monthly,
            pledge_cap_cents: None,
            card: Some(card.to_owned()),
            address: None,
            idempotency_key: String::new(),
        }
    }

    pub async fn run_all(&self) -> maecenas_core::billing::RunReport {
        let mut total = maecenas_core::billing::RunReport::default();
        loop {
            let report = self.billing.run_due("test", 500).await.unwrap();
            if report.claimed == 0 {
                return total;
            }
            total.add(report);
        }
    }

    pub async fn event_kinds(&self, member: uuid::Uuid) -> Vec<String> {
        self.store
            .events_after(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.subject_id == member.to_string())
            .map(|e| e.kind)
            .collect()
    }

    pub async fn assert_consistent(&self) {
        let audit = maecenas_core::billing::audit::audit_campaign(&self.store, self.campaign.id)
            .await
            .unwrap();
        assert!(audit.problems.is_empty(), "{:#?}", audit.problems);
    }
}

pub const OK: &str = gateway::CARD_SUCCESS;
