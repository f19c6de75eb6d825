//! The demo's members: 25 fans of the campaign in every state — active, declined and former
//! patrons with their pledge history, and free members — each a user of their own.

use chrono::{DateTime, Duration, Utc};
use maecenas_store::{
    Store, StoreError,
    accounts::NewUser,
    entities::{tier, user},
    members::{NewAddress, NewMember, NewPledgeEvent},
};

use super::PATRON_EMAIL;

/// Where a member stands with the campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Active,
    Declined,
    Former,
    Free,
}

/// A seeded member: name, standing, tier index and months since the pledge started.
type Fan = (&'static str, Standing, usize, i64);

/// The members. The first is the patron who can log in.
const FANS: [Fan; 25] = [
    ("Sam Okafor", Standing::Active, 2, 11),
    ("Lena Fischer", Standing::Active, 0, 1),
    ("Mateo Alvarez", Standing::Active, 0, 4),
    ("Aiko Tanaka", Standing::Active, 0, 7),
    ("Priya Raman", Standing::Active, 0, 2),
    ("Jonas Berg", Standing::Active, 0, 9),
    ("Chloe Martin", Standing::Active, 1, 3),
    ("Dmitri Volkov", Standing::Active, 1, 12),
    ("Fatima Haddad", Standing::Active, 1, 5),
    ("Lucas Oliveira", Standing::Active, 1, 0),
    ("Grace Liu", Standing::Active, 2, 6),
    ("Emre Yilmaz", Standing::Active, 2, 8),
    ("Noah Wright", Standing::Declined, 0, 3),
    ("Olga Petrova", Standing::Declined, 1, 6),
    ("Ines Costa", Standing::Declined, 2, 2),
    ("Tom Becker", Standing::Former, 0, 2),
    ("Maya Cohen", Standing::Former, 1, 4),
    ("Kwame Mensah", Standing::Former, 0, 1),
    ("Sofia Rossi", Standing::Former, 2, 5),
    ("Hugo Laurent", Standing::Free, 0, 0),
    ("Anya Kowalski", Standing::Free, 0, 0),
    ("Ravi Shah", Standing::Free, 0, 0),
    ("Elif Demir", Standing::Free, 0, 0),
    ("Oscar Lindqvist", Standing::Free, 0, 0),
    ("Zoe Adams", Standing::Free, 0, 0),
];

/// Shipping addresses for patrons of the tier that requires shipping: line 1, postal code,
/// city, state, country.
const ADDRESSES: [(&str, &str, &str, &str, &str); 3] = [
    ("12 Harbour Road", "EH6 6JJ", "Edinburgh", "", "GB"),
    ("451 Alder Street", "97209", "Portland", "OR", "US"),
    ("Rua das Flores 88", "4050-262", "Porto", "", "PT"),
];

/// One user per fan (the first can log in), then every membership in one transaction.
/// Returns the patron who can log in.
pub(super) async fn seed_members(
    store: &Store,
    campaign_id: i64,
    tiers: &[tier::Model],
    patron_hash: String,
    now: DateTime<Utc>,
) -> Result<user::Model, StoreError> {
    let mut members = Vec::with_capacity(FANS.len());
    let mut patron = None;
    for (i, &(name, standing, tier_index, months)) in FANS.iter().enumerate() {
        let new_user = if i == 0 {
            NewUser {
                email: PATRON_EMAIL.to_owned(),
                password_hash: Some(patron_hash.clone()),
                full_name: name.to_owned(),
                vanity: None,
            }
        } else {
            NewUser {
                email: format!("{}@patrons.example", name.to_lowercase().replace(' ', ".")),
                password_hash: None,
                full_name: name.to_owned(),
                vanity: None,
            }
        };
        let user = store.create_user(new_user, now).await?;
        let tier = tiers.get(tier_index).ok_or(StoreError::NotFound)?;
        let mut member = membership(campaign_id, user.id, standing, tier, months, now);
        if standing == Standing::Active && tier.requires_shipping {
            let (line_1, postal_code, city, state, country) = ADDRESSES[i % ADDRESSES.len()];
            member.address = Some(NewAddress {
                addressee: name.to_owned(),
                line_1: line_1.to_owned(),
                line_2: String::new(),
                postal_code: postal_code.to_owned(),
                city: city.to_owned(),
                state: state.to_owned(),
                country: country.to_owned(),
                phone_number: String::new(),
            });
        }
        members.push(member);
        patron.get_or_insert(user);
    }
    store.create_members(members, now).await?;
    patron.ok_or(StoreError::NotFound)
}

/// A membership whose pledge to `tier` started `months` months (and a few days) ago and has
/// been charged monthly since: all paid for an active patron, the last one declined for a
/// declined patron, deleted before the last charge for a former patron.
fn membership(
    campaign_id: i64,
    user_id: i64,
    standing: Standing,
    tier: &tier::Model,
    months: i64,
    now: DateTime<Utc>,
) -> NewMember {
    let mut member = NewMember {
        campaign_id,
        user_id,
        patron_status: None,
        is_follower: standing == Standing::Free,
        currency: tier.currency.clone(),
        currently_entitled_amount_cents: 0,
        will_pay_amount_cents: 0,
        lifetime_support_cents: 0,
        pledge_relationship_start: None,
        last_charge_date: None,
        last_charge_status: None,
        next_charge_date: None,
        tier_ids: Vec::new(),
        pledge_events: Vec::new(),
        address: None,
    };
    if standing == Standing::Free {
        return member;
    }
    let start = now - Duration::days(months * 30 + 3);
    let charge_on = |k: i64| start + Duration::days(k * 30);
    let event = |event_type: &str, k: i64, payment_status: Option<&str>| NewPledgeEvent {
        event_type: event_type.to_owned(),
        amount_cents: tier.amount_cents,
        currency: tier.currency.clone(),
        payment_status: payment_status.map(str::to_owned),
        pledge_payment_status: Some(
            match payment_status {
                Some("Declined") => "declined",
                _ => "valid",
            }
            .to_owned(),
        ),
        tier_id: Some(tier.id),
        tier_title: Some(tier.title.clone()),
        date: charge_on(k),
    };
    // An active patron has paid every month so far; the others' last month did not go through.
    let paid_months = match standing {
        Standing::Active => months + 1,
        _ => months.max(1),
    };
    member.pledge_events = (0..paid_months)
        .map(|k| {
            let kind = if k == 0 {
                "pledge_start"
            } else {
                "subscription"
            };
            event(kind, k, Some("Paid"))
        })
        .collect();
    member.pledge_relationship_start = Some(start);
    member.lifetime_support_cents = paid_months * tier.amount_cents;
    member.last_charge_date = Some(charge_on(paid_months - 1));
    member.last_charge_status = Some("Paid".to_owned());
    match standing {
        Standing::Active => {
            member.patron_status = Some("active_patron".to_owned());
            member.currently_entitled_amount_cents = tier.amount_cents;
            member.will_pay_amount_cents = tier.amount_cents;
            member.next_charge_date = Some(charge_on(paid_months));
            member.tier_ids = vec![tier.id];
        }
        Standing::Declined => {
            member.patron_status = Some("declined_patron".to_owned());
            member.will_pay_amount_cents = tier.amount_cents;
            let declined = event("subscription", paid_months, Some("Declined"));
            member.pledge_events.push(declined);
            member.last_charge_date = Some(charge_on(paid_months));
            member.last_charge_status = Some("Declined".to_owned());
        }
        Standing::Former => {
            member.patron_status = Some("former_patron".to_owned());
            let mut deleted = event("pledge_delete", paid_months, None);
            deleted.date -= Duration::days(10);
            member.pledge_events.push(deleted);
        }
        Standing::Free => {}
    }
    member
}
