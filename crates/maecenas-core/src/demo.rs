//! The demo sandbox's data: a creator with a published campaign, tiers, benefits, a goal and a
//! post; 25 members in every state; ten donations in several currencies; one OAuth client. The
//! logins and client secret are random and handed back once, as [`DemoCredentials`].

use chrono::{DateTime, Duration, Utc};
use maecenas_store::{
    Store, StoreError,
    accounts::NewUser,
    campaigns::{NewBenefit, NewCampaign, NewGoal, NewPost, NewTier},
    entities::user,
    money::NewDonation,
    oauth::NewOAuthClient,
};
use maecenas_types::{Currency, SecretToken, SharedClock};
use rand::{
    distributions::{Alphanumeric, DistString},
    rngs::OsRng,
};
use serde::{Deserialize, Serialize};

use crate::password;

mod members;

/// The one redirect URI the demo client is registered with.
pub const REDIRECT_URI: &str = "http://127.0.0.1:8000/callback";
/// The creator's e-mail address.
pub const CREATOR_EMAIL: &str = "creator@maecenas.example";
/// The e-mail address of the patron who can log in.
pub const PATRON_EMAIL: &str = "patron@maecenas.example";
/// The campaign's (and the creator's) vanity.
pub const VANITY: &str = "noravance";

/// What to log in and authorize with; written to the demo's data directory and printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoCredentials {
    /// The creator who owns the campaign and the OAuth client.
    pub creator: Login,
    /// An active patron of the campaign.
    pub patron: Login,
    /// The OAuth client.
    pub client: DemoClient,
    /// The campaign.
    pub campaign: DemoCampaign,
}

/// An e-mail address and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    pub email: String,
    pub password: String,
}

/// The OAuth client's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoClient {
    /// Row id.
    pub id: i64,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

/// The campaign's id and vanity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoCampaign {
    pub id: i64,
    pub vanity: String,
}

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A password could not be hashed.
    #[error("cannot hash a demo password: {0}")]
    Hash(String),
    /// The store failed (a [`StoreError::Conflict`] means the database already holds data).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Tiers: title, description, monthly US cents, patron limit, requires shipping.
const TIERS: [(&str, &str, i64, Option<i64>, bool); 3] = [
    ("Supporter", "Devlogs and my thanks.", 300, None, false),
    (
        "Insider",
        "Monthly builds and the Discord.",
        500,
        Some(50),
        false,
    ),
    (
        "Collector",
        "Everything, plus a postcard each month.",
        1_000,
        None,
        true,
    ),
];

/// Donations: name, message, amount in minor units, currency, hours ago, shown yet.
const DONATIONS: [(&str, &str, i64, &str, i64, bool); 10] = [
    (
        "Vasya",
        "Привет из Казани! Отличный стрим",
        50_000,
        "RUB",
        240,
        true,
    ),
    (
        "pixelfan",
        "Loved the lighthouse level!",
        500,
        "USD",
        200,
        true,
    ),
    ("Marie", "Pour le café ☕", 300, "EUR", 150, true),
    ("Joao", "Valeu pelo conteúdo!", 2_500, "BRL", 120, true),
    ("Mert", "Harika bir oyun olacak", 10_000, "TRY", 96, true),
    ("anonymous", "", 100_000, "RUB", 72, true),
    (
        "Sam Okafor",
        "For the postcards fund",
        1_000,
        "USD",
        48,
        true,
    ),
    ("Klaus", "Weiter so!", 1_500, "EUR", 24, true),
    ("Nastya", "Когда релиз?", 25_000, "RUB", 3, false),
    ("Ana", "Primeira doação, boa sorte!", 1_000, "BRL", 1, false),
];

/// Seeds the demo data into an empty database and returns its credentials. Call it once: a
/// database that already holds the demo users fails with a conflict.
pub async fn seed(store: &Store, clock: &SharedClock) -> Result<DemoCredentials, DemoError> {
    let now = clock.now();
    let creator_password = random_text(24);
    let patron_password = random_text(24);
    let (creator_hash, patron_hash) = tokio::try_join!(
        password::hash(creator_password.clone()),
        password::hash(patron_password.clone()),
    )
    .map_err(DemoError::Hash)?;

    let creator = store
        .create_user(
            NewUser {
                email: CREATOR_EMAIL.to_owned(),
                password_hash: Some(creator_hash),
                full_name: "Nora Vance".to_owned(),
                vanity: Some(VANITY.to_owned()),
            },
            now,
        )
        .await?;
    let campaign_id = seed_campaign(store, creator.id, now).await?;
    let tiers = store.tiers_of_campaign(campaign_id).await?;
    let patron = members::seed_members(store, campaign_id, &tiers, patron_hash, now).await?;
    seed_donations(store, creator.id, &patron, now).await?;

    let client_id = random_text(48);
    let client_secret = SecretToken::generate();
    let client = store
        .create_oauth_client(
            NewOAuthClient {
                client_id: client_id.clone(),
                secret_hash: Some(client_secret.hash().0),
                owner_user_id: creator.id,
                name: "Demo integration".to_owned(),
                description: "Try the Patreon API against this sandbox.".to_owned(),
                author_name: creator.full_name.clone(),
                domain: "127.0.0.1".to_owned(),
                redirect_uris: vec![REDIRECT_URI.to_owned()],
                default_scopes: "identity identity[email] identity.memberships campaigns \
                                 campaigns.members campaigns.posts w:campaigns.webhook"
                    .to_owned(),
            },
            now,
        )
        .await?;

    Ok(DemoCredentials {
        creator: Login {
            email: CREATOR_EMAIL.to_owned(),
            password: creator_password,
        },
        patron: Login {
            email: PATRON_EMAIL.to_owned(),
            password: patron_password,
        },
        client: DemoClient {
            id: client.id,
            client_id,
            client_secret: client_secret.expose().to_owned(),
            redirect_uri: REDIRECT_URI.to_owned(),
        },
        campaign: DemoCampaign {
            id: campaign_id,
            vanity: VANITY.to_owned(),
        },
    })
}

/// The published campaign with three tiers, their benefits, a goal and a post.
async fn seed_campaign(
    store: &Store,
    creator_id: i64,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let campaign = store
        .create_campaign(
            NewCampaign {
                creator_id,
                vanity: VANITY.to_owned(),
                creation_name: "cosy pixel-art games".to_owned(),
                summary: "I make small, warm games about lighthouses, trains and tea. \
                          Patrons get devlogs, builds and postcards."
                    .to_owned(),
                one_liner: "Cosy pixel-art games, made in the open".to_owned(),
                currency: "USD".to_owned(),
                published_at: Some(now - Duration::days(400)),
            },
            now,
        )
        .await?;
    let mut ids = Vec::with_capacity(TIERS.len());
    for (order, (title, description, amount, limit, shipping)) in (0_i64..).zip(TIERS) {
        let tier = NewTier {
            campaign_id: campaign.id,
            title: title.to_owned(),
            description: description.to_owned(),
            amount_cents: amount,
            currency: "USD".to_owned(),
            user_limit: limit,
            requires_shipping: shipping,
            sort_order: order,
        };
        ids.push(store.create_tier(tier, now).await?.id);
    }
    let benefits = [
        ("Devlogs", "A behind-the-scenes post every week.", &ids[..]),
        ("Monthly builds", "Play the work in progress.", &ids[1..]),
        (
            "Postcard",
            "A hand-drawn postcard, posted monthly.",
            &ids[2..],
        ),
    ];
    for (title, description, tier_ids) in benefits {
        let benefit = NewBenefit {
            campaign_id: campaign.id,
            title: title.to_owned(),
            description: description.to_owned(),
            tier_ids: tier_ids.to_vec(),
        };
        store.create_benefit(benefit, now).await?;
    }
    let goal = NewGoal {
        campaign_id: campaign.id,
        title: "Full-time on the games".to_owned(),
        description: "At $1,500 a month I can stop freelancing.".to_owned(),
        amount_cents: 150_000,
    };
    store.create_goal(goal, now).await?;
    let post = NewPost {
        campaign_id: campaign.id,
        user_id: creator_id,
        title: "Devlog #12: the lighthouse level".to_owned(),
        content: "<p>The lighthouse now turns, and its beam lights the fog.</p>".to_owned(),
        is_public: true,
        published_at: Some(now - Duration::days(2)),
        tier_ids: Vec::new(),
    };
    store.create_post(post, now).await?;
    Ok(campaign.id)
}

/// Ten donations to the creator, oldest first, priced in US cents at fixed demo rates; the one
/// signed with the patron's name is theirs.
async fn seed_donations(
    store: &Store,
    creator_id: i64,
    patron: &user::Model,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let donations = DONATIONS
        .iter()
        .map(|&(username, message, amount, currency, hours_ago, shown)| {
            let created_at = now - Duration::hours(hours_ago);
            NewDonation {
                recipient_user_id: creator_id,
                donor_user_id: (username == patron.full_name).then_some(patron.id),
                username: username.to_owned(),
                message: message.to_owned(),
                amount_cents: amount,
                currency: currency.to_owned(),
                amount_in_user_currency_cents: in_usd_cents(amount, currency),
                payin_system: "sandbox".to_owned(),
                created_at,
                shown_at: shown.then(|| created_at + Duration::seconds(20)),
            }
        })
        .collect();
    store.create_donations(donations).await?;
    Ok(())
}

/// `amount` minor units of `currency` in US cents, at the sandbox's fixed rates.
fn in_usd_cents(amount: i64, currency: &str) -> i64 {
    Currency::parse(currency).map_or(amount, |from| {
        crate::alerts::sandbox_convert(amount, from, Currency::Usd)
    })
}

/// `len` random letters and digits from the OS CSPRNG.
fn random_text(len: usize) -> String {
    Alphanumeric.sample_string(&mut OsRng, len)
}
