//! Property test: random sequences of joins (with every sandbox card), upgrades, downgrades,
//! declines (a declining card charged at once), new cards and cancellations by five patrons,
//! between random clock advances that run the billing falling due, on both schedules. After
//! each sequence every member's history must be consistent: lifetime support = the sum of
//! their succeeded charges, one paid pledge event per succeeded charge, and the pledge history
//! replays along the status machine to the member's status (`billing::audit`).

use chrono::Duration;
use maecenas_core::billing::{BillingError, gateway};
use maecenas_store::entities::user;
use maecenas_testkit::TestDb;
use proptest::prelude::*;

use crate::support::Fixture;

const CARDS: [&str; 5] = [
    gateway::CARD_SUCCESS,
    gateway::CARD_DECLINE,
    gateway::CARD_INSUFFICIENT_FUNDS,
    gateway::CARD_FRAUD,
    gateway::CARD_DECLINE_AFTER_FIRST,
];

#[derive(Debug, Clone)]
enum Op {
    Join {
        patron: usize,
        tier: usize,
        card: usize,
        extra: i64,
    },
    Change {
        patron: usize,
        amount: i64,
    },
    Decline {
        patron: usize,
    },
    NewCard {
        patron: usize,
        card: usize,
    },
    Cancel {
        patron: usize,
    },
    Advance {
        hours: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let patron = 0..5usize;
    prop_oneof![
        3 => (patron.clone(), 0..3usize, 0..5usize, 0..1000i64)
            .prop_map(|(patron, tier, card, extra)| Op::Join { patron, tier, card, extra }),
        2 => (patron.clone(), 500..6000i64).prop_map(|(patron, amount)| Op::Change { patron, amount }),
        1 => patron.clone().prop_map(|patron| Op::Decline { patron }),
        1 => (patron.clone(), 0..5usize).prop_map(|(patron, card)| Op::NewCard { patron, card }),
        1 => patron.prop_map(|patron| Op::Cancel { patron }),
        4 => (1..(45 * 24i64)).prop_map(|hours| Op::Advance { hours }),
    ]
}

/// Errors a person can cause are fine; anything else fails the property.
fn tolerate<T>(r: Result<T, BillingError>) {
    if let Err(BillingError::Store(e)) = r {
        panic!("store failed: {e}");
    }
}

async fn run(db: TestDb, up_front: bool, ops: Vec<Op>) {
    let f = Fixture::new(&db.store, up_front).await;
    let mut patrons: Vec<user::Model> = Vec::new();
    for n in 0..5 {
        patrons.push(f.patron(n).await);
    }
    let member = |p: usize| {
        let store = f.store.clone();
        let (campaign, user) = (f.campaign.id, patrons[p].id);
        async move { store.member_of(campaign, user).await.unwrap().map(|m| m.id) }
    };
    for op in ops {
        match op {
            Op::Join {
                patron,
                tier,
                card,
                extra,
            } => {
                let tier = [&f.free, &f.bronze, &f.bronze][tier];
                let mut c = f.checkout(&patrons[patron], tier, CARDS[card]);
                if tier.amount_cents > 0 {
                    c.amount_cents = Some(tier.amount_cents + extra);
                }
                tolerate(f.billing.checkout(c).await);
            }
            Op::Change { patron, amount } => {
                if let Some(id) = member(patron).await {
                    tolerate(
                        f.billing
                            .change_pledge(id, None, Some(f.bronze.id), Some(amount))
                            .await,
                    );
                }
            }
            Op::Decline { patron } => {
                if let Some(id) = member(patron).await {
                    tolerate(f.billing.update_card(id, None, gateway::CARD_DECLINE).await);
                    tolerate(f.billing.charge_now(id).await);
                }
            }
            Op::NewCard { patron, card } => {
                if let Some(id) = member(patron).await {
                    tolerate(f.billing.update_card(id, None, CARDS[card]).await);
                }
            }
            Op::Cancel { patron } => {
                if let Some(id) = member(patron).await {
                    tolerate(f.billing.cancel(id, None).await);
                }
            }
            Op::Advance { hours } => {
                f.clock.advance(Duration::hours(hours));
                f.run_all().await;
            }
        }
    }
    f.clock.advance(Duration::days(400));
    // A year at most one retry or charge per member per run: run until quiet.
    f.run_all().await;
    f.assert_consistent().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn histories_stay_consistent_on_sqlite(up_front in any::<bool>(), ops in prop::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move { run(TestDb::sqlite().await, up_front, ops).await });
    }

    #[test]
    fn histories_stay_consistent_on_postgres(up_front in any::<bool>(), ops in prop::collection::vec(op(), 1..30)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move {
            if let Some(db) = TestDb::postgres(module_path!()).await {
                run(db, up_front, ops).await;
            }
        });
    }
}
