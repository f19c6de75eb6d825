//! The billing engine on SQLite and PostgreSQL: checkout with each test card, renewals on both
//! schedules and cadences, retries then `former_patron`, proration, cancellation, free members,
//! idempotent checkout, bad input, and several schedulers at once; plus the property test
//! (`props.rs`).

#[cfg(test)]
mod props;
#[cfg(test)]
mod support;

use chrono::Duration;
use maecenas_core::billing::{
    BillingError, Cadence,
    gateway::{CARD_DECLINE, CARD_DECLINE_AFTER_FIRST, CARD_FRAUD, CARD_INSUFFICIENT_FUNDS},
};
use maecenas_store::{billing::CHARGE_SUCCEEDED, events, members::NewAddress};
use maecenas_testkit::both_backends;
use maecenas_types::Clock;

use support::{Fixture, OK};

both_backends! {
    async fn a_success_card_pays_up_front_and_renews_each_month(db: TestDb) {
        let f = Fixture::new(&db.store, true).await;
        let ann = f.patron(1).await;
        let m = f.billing.checkout(f.checkout(&ann, &f.bronze, "4242 4242 4242 4242")).await.unwrap();
        assert_eq!(m.patron_status.as_deref(), Some("active_patron"));
        assert_eq!((m.currently_entitled_amount_cents, m.will_pay_amount_cents, m.campaign_lifetime_support_cents), (500, 500, 500));
        assert_eq!(m.last_charge_status.as_deref(), Some("Paid"));
        assert_eq!(m.next_charge_date, Some(support::start() + Duration::days(31)), "10 March + 1 month");
        let tiers = f.store.entitled_tiers(&[m.id]).await.unwrap();
        assert_eq!(tiers[&m.id].iter().map(|t| t.id).collect::<Vec<_>>(), vec![f.bronze.id]);
        assert_eq!(f.event_kinds(m.id).await, [events::MEMBER_CREATE, events::PLEDGE_CREATE]);

        f.clock.advance(Duration::days(30));
        assert_eq!(f.run_all().await.claimed, 0, "not due before its date");
        f.clock.advance(Duration::days(1));
        let report = f.run_all().await;
        assert_eq!((report.claimed, report.paid), (1, 1));
        let m = f.store.member_by_id(m.id).await.unwrap().unwrap();
        assert_eq!(m.campaign_lifetime_support_cents, 1000);
        assert_eq!(m.next_charge_date, Some(support::start() + Duration::days(61)), "10 May");
        assert_eq!(
            f.event_kinds(m.id).await,
            [events::MEMBER_CREATE, events::PLEDGE_CREATE, events::PLEDGE_UPDATE, events::MEMBER_UPDATE]
        );
        let history = f.store.pledge_history(m.id).await.unwrap();
        assert_eq!(history.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>(), ["pledge_start", "subscription"]);
        let charges = f.store.charges_of_member(m.id).await.unwrap();
        assert_eq!(charges.len(), 2);
        assert!(charges.iter().all(|c| c.status == CHARGE_SUCCEEDED && c.amount_cents == 500));
        f.assert_consistent().await;
    }

    async fn a_declined_card_is_retried_then_the_pledge_ends(db: TestDb) {
        let f = Fixture::new(&db.store, true).await;
        let bob = f.patron(1).await;
        let m = f.billing.checkout(f.checkout(&bob, &f.bronze, CARD_DECLINE)).await.unwrap();
        assert_eq!(m.patron_status.as_deref(), Some("declined_patron"));
        assert_eq!((m.currently_entitled_amount_cents, m.campaign_lifetime_support_cents), (0, 0));
        assert_eq!(m.last_charge_status.as_deref(), Some("Declined"));
        assert_eq!(m.next_charge_date, Some(support::start() + Duration::days(1)), "first retry");
        assert!(!f.store.entitled_tiers(&[m.id]).await.unwrap().contains_key(&m.id));
        for (day, declined) in [(1, 1), (3, 1), (7, 1)] {
            f.clock.set(support::start() + Duration::days(day));
            assert_eq!(f.run_all().await.declined, declined, "retry on day {day}");
        }
        let m = f.store.member_by_id(m.id).await.unwrap().unwrap();
        assert_eq!(m.patron_status.as_deref(), Some("former_patron"));
        assert_eq!((m.will_pay_amount_cents, m.next_charge_date), (0, None));
        let kinds = f.event_kinds(m.id).await;
        assert_eq!(kinds.last().map(String::as_str), Some(events::MEMBER_UPDATE));
        assert!(kinds.iter().any(|k| k == events::PLEDGE_DELETE));
        f.clock.advance(Duration::days(60));
        assert_eq!(f.run_all().await.claimed, 0, "nothing due once former");
        assert_eq!(f.store.charges_of_member(m.id).await.unwrap().len(), 4, "checkout and three retries");

        // Insufficient funds and fraud are declines too, with their own status.
        let carol = f.patron(2).await;
        let m = f.billing.checkout(f.checkout(&carol, &f.bronze, CARD_INSUFFICIENT_FUNDS)).await.unwrap();
        assert_eq!(m.patron_status.as_deref(), Some("declined_patron"));
        let charge = &f.store.charges_of_member(m.id).await.unwrap()[0];
        assert_eq!(charge.failure_reason.as_deref(), Some("insufficient_funds"));
        let dan = f.patron(3).await;
        let m = f.billing.checkout(f.checkout(&dan, &f.bronze, CARD_FRAUD)).await.unwrap();
        assert_eq!(m.last_charge_status.as_deref(), Some("Fraud"));
        f.assert_consistent().await;
    }

    async fn a_new_card_rescues_a_declined_pledge(db: TestDb) {
        let f = Fixture::new(&db.store, true).await;
        let eve = f.patron(1).await;
        let m = f.billing.checkout(f.checkout(&eve, &f.bronze, CARD_DECLINE_AFTER_FIRST)).await.unwrap();
        assert_eq!(m.patron_status.as_deref(), Some("active_patron"));
        f.clock.advance(Duration::days(31));
        assert_eq!(f.run_all().await.declined, 1);
        let m = f.store.member_by_id(m.id).await.unwrap().unwrap();
        assert_eq!(m.patron_status.as_deref(), Some("declined_patron"));
        f.clock.advance(Duration::hours(5));
        f.billing.update_card(m.id, Some(eve.id), OK).await.unwrap();
        assert!(f.billing.update_card(m.id, Some(eve.id + 1000), OK).await.is_err(), "only the owner");
        assert_eq!(f.run_all().await.paid, 1, "retried at once with the new card");
        let m = f.store.member_by_id(m.id).await.unwrap().unwrap();
        assert_eq!(m.patron_status.as_deref(), Some("active_patron"));
        assert_eq!(m.campaign_lifetime_support_cents, 1000);
        let now = f.clock.now();
        assert_eq!(m.next_charge_date, Some(now + Duration::days(30)), "re-anchored at the successful retry (April 10 + 5h + 1 month)");
        f.assert_consistent().await;
    }

    async fn upgrades_are_prorated_and_downgrades_refund_nothing(db: TestDb) {
        let f = Fixture::new(&db.store, true).await;
        let fay = f.patron(1).await;
        let m = f.billing.checkout(f.checkout(&fay, &f.bronze, OK)).await.unwrap();
        // March 10 → April 10 is 31 days; a third of it passed…
        f.clock.advance(Duration::hours(31 * 8));
        let err = f.billing.change_pledge(m.id, Some(fay.id), Some(f.gold.id), None).await.unwrap_err();
        assert!(matches!(err, BillingError::Invalid { field: "address", .. }), "gold ships and Fay gave no address: {err}");
        let m2 = f.billing.change_pledge(m.id, Some(fay.id), None, Some(2000)).await.unwrap();
        // …so 2/3 of (2000 − 500) is owed now.
        assert_eq!(m2.campaign_lifetime_support_cents, 500 + 1000);
        assert_eq!((m2.currently_entitled_amount_cents, m2.will_pay_amount_cents), (2000, 2000));
        assert_eq!(m2.next_charge_date, m.next_charge_date, "the billing date stays");
        let m3 = f.billing.change_pledge(m.id, Some(fay.id), Some(f.bronze.id), None).await.unwrap();
        assert_eq!(m3.campaign_lifetime_support_cents, 1500, "no refund");
        assert_eq!(m3.will_pay_amount_cents, 500);
        let history = f.store.pledge_history(m.id).await.unwrap();
        let kinds: Vec<_> = history.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(kinds, ["pledge_start", "pledge_upgrade", "pledge_downgrade"]);
        f.clock.set(m.next_charge_date.unwrap());
        f.run_all().await;
        let m4 = f.store.member_by_id(m.id).await.unwrap().unwrap();
        assert_eq!(m4.campaign_lifetime_support_cents, 2000, "the lower amount from the next date");
        f.assert_consistent().await;
    }

    async fn a_declined_upgrade_changes_nothing(db: TestDb) {
        let f = Fixture::new(&db.store, true).await;
        let gus = f.patron(1).await;
        let m = f.billing.checkout(f.checkout(&gus, &f.bronze, CARD_DECLINE_AFTER_FIRST)).await.unwrap();
        f.clock.advance(Duration::days(3));
        let err = f.billing.change_pledge(m.id, None, None, Some(5000)).await.unwrap_err();
        assert!(matches!(err, BillingError::PaymentRefused(_)), "{err}");
        let after = f.store.member_by_id(m.id).await.unwrap().unwrap();
        assert_eq!((after.will_pay_amount_cents, after.campaign_lifetime_support_cents), (500, 500));
        assert_eq!(f.store.charges_of_member(m.id).await.unwrap().len(), 2, "the refused charge is on record");
        f.assert_consistent().await;
    }

    async fn cancelling_ends_the_pledge_and_joining_again_restarts_it(db: TestDb) {
        let f = Fixture::new(&db.store, true).await;
        let hal = f.patron(1).await;
        let m = f.billing.checkout(f.checkout(&hal, &f.bronze, OK)).await.unwrap();
        let m = f.billing.cancel(m.id, Some(hal.id)).await.unwrap();
        assert_eq!(m.patron_status.as_deref(), Some("former_patron"));
        assert_eq!(m.last_charge_status.as_deref(), Some("Deleted"));
        assert_eq!((m.currently_entitled_amount_cents, m.will_pay_amount_cents, m.next_charge_date), (0, 0, None));
        assert_eq!(m.campaign_lifetime_support_cents, 500, "nothing refunded");
        assert!(f.billing.cancel(m.id, Some(hal.id)).await.is_err(), "nothing left to cancel");
        f.clock.advance(Duration::days(40));
        assert_eq!(f.run_all().await.claimed, 0);
        let again = f.billing.checkout(f.checkout(&hal, &f.bronze, OK)).await.unwrap();
        assert_eq!(again.id, m.id, "the same membership");
        assert_eq!(again.patron_status.as_deref(), Some("active_patron"));
        assert_eq!(again.campaign_lifetime_support_cents, 1000);
        let kinds = f.event_kinds(m.id).await;
        assert_eq!(kinds, [
            events::MEMBER_CREATE, events::PLEDGE_CREATE, events::PLEDGE_DELETE, events::MEMBER_UPDATE,
            events::MEMBER_UPDATE, events::PLEDGE_CREATE,
        ]);
        f.assert_consistent().await;
    }

    async fn first_of_the_month_annual_and_free_members(db: TestDb) {
        let f = Fixture::new(&db.store, false).await;
        let ivy = f.patron(1).await;
        let m = f.billing.checkout(f.checkout(&ivy, &f.bronze, OK)).await.unwrap();
        assert_eq!(m.patron_status.as_deref(), Some("active_patron"));
        assert_eq!((m.campaign_lifetime_support_cents, m.last_charge_status.as_deref()), (0, Some("Pending")));
        let first = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 4, 1, 0, 0, 0).unwrap();
        assert_eq!(m.next_charge_date, Some(first));
        assert!(f.store.charges_of_member(m.id).await.unwrap().is_empty());

        let jo = f.patron(2).await;
        let mut annual = f.checkout(&jo, &f.bronze, OK);
        annual.cadence = Cadence::Annual;
        let a = f.billing.checkout(annual).await.unwrap();
        assert_eq!((a.campaign_lifetime_support_cents, a.will_pay_amount_cents, a.pledge_cadence), (6000, 6000, 12));
        assert_eq!(a.next_charge_date, Some(support::start() + Duration::days(365)), "annual is charged up front");

        let kim = f.patron(3).await;
        let mut free = f.checkout(&kim, &f.free, "");
        free.card = None;
        let k = f.billing.checkout(free).await.unwrap();
        assert_eq!((k.patron_status.clone(), k.next_charge_date, k.will_pay_amount_cents), (None, None, 0));
        assert_eq!(f.event_kinds(k.id).await, [events::MEMBER_CREATE]);

        f.clock.set(first);
        assert_eq!(f.run_all().await.paid, 1, "only the monthly pledge is due on the 1st");
        let m = f.store.member_by_id(m.id).await.unwrap().unwrap();
        assert_eq!(m.campaign_lifetime_support_cents, 500);
        assert_eq!(m.next_charge_date, Some(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 5, 1, 0, 0, 0).unwrap()));
        f.assert_consistent().await;
    }

    async fn a_double_submitted_checkout_charges_once(db: TestDb) {
        let f = Fixture::new(&db.store, true).await;
        let lee = f.patron(1).await;
        let mut c = f.checkout(&lee, &f.bronze, OK);
        c.idempotency_key = "form-key-1".into();
        let (a, b) = tokio::join!(f.billing.checkout(c.clone()), f.billing.checkout(c.clone()));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.id, b.id);
        let again = f.billing.checkout(c).await.unwrap();
        assert_eq!(again.id, a.id);
        assert_eq!(f.store.charges_of_member(a.id).await.unwrap().len(), 1, "one charge");
        let m = f.store.member_by_id(a.id).await.unwrap().unwrap();
        assert_eq!(m.campaign_lifetime_support_cents, 500);
        // Another key while pledging: refused, not charged.
        let mut other = f.checkout(&lee, &f.bronze, OK);
        other.idempotency_key = "form-key-2".into();
        assert!(matches!(f.billing.checkout(other).await, Err(BillingError::AlreadyMember)));
        assert_eq!(f.store.charges_of_member(a.id).await.unwrap().len(), 1);
        f.assert_consistent().await;
    }

    async fn bad_checkouts_are_refused_with_nothing_stored(db: TestDb) {
        let f = Fixture::new(&db.store, true).await;
        let max = f.patron(1).await;
        let field = |r: Result<_, BillingError>| match r {
            Err(BillingError::Invalid { field, .. }) => field,
            other => panic!("expected a refused field, got {other:?}"),
        };
        let mut c = f.checkout(&max, &f.bronze, OK);
        c.amount_cents = Some(499);
        assert_eq!(field(f.billing.checkout(c.clone()).await), "amount", "under the tier's minimum");
        c.amount_cents = Some(-500);
        assert_eq!(field(f.billing.checkout(c.clone()).await), "amount", "negative");
        c.amount_cents = Some(i64::MAX);
        assert_eq!(field(f.billing.checkout(c.clone()).await), "amount", "enormous");
        c.amount_cents = Some(700);
        c.pledge_cap_cents = Some(600);
        assert_eq!(field(f.billing.checkout(c.clone()).await), "pledge_cap");
        c.pledge_cap_cents = None;
        c.card = Some("4111 1111 1111 1111".into());
        assert_eq!(field(f.billing.checkout(c.clone()).await), "card", "not a sandbox card");
        let no_address = f.checkout(&max, &f.gold, OK);
        assert_eq!(field(f.billing.checkout(no_address).await), "address", "gold ships");
        assert!(f.store.member_of(f.campaign.id, max.id).await.unwrap().is_none());
        assert!(f.store.charge_totals(f.campaign.id).await.unwrap().is_empty());

        // The shipping tier with an address, until its two places are taken.
        let address = NewAddress {
            addressee: "Max <b>".into(), line_1: "1 Main St".into(), line_2: String::new(), postal_code: "1000".into(),
            city: "Town".into(), state: String::new(), country: "NL".into(), phone_number: String::new(),
        };
        for n in 1..=3 {
            let who = f.patron(10 + n).await;
            let mut c = f.checkout(&who, &f.gold, OK);
            c.address = Some(address.clone());
            let r = f.billing.checkout(c).await;
            if n <= 2 {
                assert!(r.unwrap().address_id.is_some());
            } else {
                assert_eq!(field(r), "tier", "the third finds no place left");
            }
        }
        f.assert_consistent().await;
    }

    async fn several_schedulers_charge_each_member_once(db: TestDb) {
        let f = Fixture::new(&db.store, true).await;
        let mut ids = Vec::new();
        for n in 0..40 {
            let p = f.patron(n).await;
            ids.push(f.billing.checkout(f.checkout(&p, &f.bronze, OK)).await.unwrap().id);
        }
        f.clock.advance(Duration::days(31));
        let (a, b) = (f.billing.clone(), f.billing.clone());
        let one = tokio::spawn(async move {
            let mut n = 0;
            loop { let r = a.run_due("scheduler-a", 7).await.unwrap(); if r.claimed == 0 { return n; } n += r.paid; }
        });
        let two = tokio::spawn(async move {
            let mut n = 0;
            loop { let r = b.run_due("scheduler-b", 7).await.unwrap(); if r.claimed == 0 { return n; } n += r.paid; }
        });
        let (one, two) = (one.await.unwrap(), two.await.unwrap());
        assert_eq!(one + two, 40, "a: {one}, b: {two}");
        for id in ids {
            assert_eq!(f.store.charges_of_member(id).await.unwrap().len(), 2);
        }
        f.assert_consistent().await;
    }
}
