//! Checkout `/c/<vanity>/join`: a tier or a custom amount, monthly or annual, an optional pledge
//! cap, an address when the tier ships, and a sandbox test card, handed to the billing service's
//! one checkout ([`maecenas_core::Billing::checkout`]). The form carries a one-time idempotency
//! key, so a double submit charges once. A refused field re-renders the form with the billing
//! service's message; a declined card still makes the membership (`declined_patron`), shown on
//! "My memberships".

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::CookieJar;
use maecenas_core::{
    BillingError, Checkout,
    billing::{Cadence, gateway},
};
use maecenas_store::{
    entities::{campaign, user},
    members::NewAddress,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    csrf,
    error::PageError,
    extract::HtmlForm,
    pages::{
        campaign::{TierView, load, tier_views},
        money, render,
    },
    session::{RequireUser, Viewer, safe_next},
    state::AppState,
};

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage<'a> {
    user: Option<Viewer>,
    campaign: &'a campaign::Model,
    tiers: Vec<TierView>,
    csrf_token: &'a str,
    form: &'a CheckoutForm,
    /// The tier chosen, as the form holds it.
    chosen: Option<i64>,
    error: Option<&'a str>,
    cards: [(&'static str, &'static str); 5],
}

/// What the checkout form holds (also what a GET pre-fills).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CheckoutForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    pub idempotency_key: String,
    #[serde(default)]
    pub tier: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub cadence: String,
    #[serde(default)]
    pub pledge_cap: String,
    #[serde(default)]
    pub card: String,
    #[serde(default)]
    pub addressee: String,
    #[serde(default)]
    pub line_1: String,
    #[serde(default)]
    pub line_2: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub country: String,
    /// Where to go once joined (a local path): the unified become-patron flow comes back here.
    #[serde(default)]
    pub next: String,
}

/// `GET /c/<vanity>/join?tier=<id>` or `?min_cents=<n>`.
#[derive(Debug, Deserialize)]
pub(crate) struct JoinQuery {
    tier: Option<i64>,
    min_cents: Option<i64>,
    next: Option<String>,
}

/// The documented sandbox cards, for the form's hint.
const CARDS: [(&str, &str); 5] = [
    (gateway::CARD_SUCCESS, "succeeds"),
    (gateway::CARD_DECLINE, "declines"),
    (gateway::CARD_INSUFFICIENT_FUNDS, "insufficient funds"),
    (gateway::CARD_FRAUD, "refused as fraud"),
    (gateway::CARD_DECLINE_AFTER_FIRST, "first charge only"),
];

fn page<'a>(
    account: &user::Model,
    campaign: &'a campaign::Model,
    tiers: Vec<TierView>,
    csrf_token: &'a str,
    form: &'a CheckoutForm,
    error: Option<&'a str>,
) -> CheckoutPage<'a> {
    CheckoutPage {
        user: Some(Viewer::from(account)),
        campaign,
        tiers,
        csrf_token,
        chosen: form.tier.trim().parse().ok(),
        form,
        error,
        cards: CARDS,
    }
}

pub(crate) async fn form(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(vanity): Path<String>,
    Query(query): Query<JoinQuery>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let c = load(&state, &vanity, Some(&account)).await?;
    let tiers = state.store().tiers_of_campaign(c.id).await?;
    let chosen = query
        .tier
        .and_then(|id| tiers.iter().find(|t| t.id == id && t.published));
    let amount = match (query.min_cents, chosen) {
        (Some(min), Some(t)) => money::major(min.max(t.amount_cents), &c.currency),
        (Some(min), None) => money::major(min, &c.currency),
        (None, Some(t)) => money::major(t.amount_cents, &c.currency),
        (None, None) => String::new(),
    };
    let form = CheckoutForm {
        idempotency_key: Uuid::new_v4().to_string(),
        tier: chosen.map(|t| t.id.to_string()).unwrap_or_default(),
        amount,
        cadence: "monthly".to_owned(),
        next: safe_local(query.next.as_deref()),
        ..CheckoutForm::default()
    };
    let (jar, token) = csrf::token(&state, jar);
    let views = tier_views(&state, &tiers).await?;
    let body = render(&page(&account, &c, views, &token, &form, None))?;
    Ok((jar, body).into_response())
}

/// A local path to come back to, or nothing.
fn safe_local(next: Option<&str>) -> String {
    match next {
        Some(n) if !n.is_empty() && safe_next(Some(n)) == n => n.to_owned(),
        _ => String::new(),
    }
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(vanity): Path<String>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<CheckoutForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let c = load(&state, &vanity, Some(&account)).await?;
    let (status, message) = match checkout(&state, &account, &c, &form).await {
        Ok(()) => {
            let next = safe_local(Some(&form.next));
            let to = if next.is_empty() {
                "/memberships?done=joined".to_owned()
            } else {
                next
            };
            return Ok(Redirect::to(&to).into_response());
        }
        Err(Refused::Page(err)) => return Err(err),
        Err(Refused::Form(status, message)) => (status, message),
    };
    let tiers = state.store().tiers_of_campaign(c.id).await?;
    let (jar, token) = csrf::token(&state, jar);
    let views = tier_views(&state, &tiers).await?;
    let body = render(&page(&account, &c, views, &token, &form, Some(&message)))?;
    Ok((status, jar, body).into_response())
}

/// Why a checkout did not go through: a message for the form, or an error page.
enum Refused {
    Form(StatusCode, String),
    Page(PageError),
}

impl From<PageError> for Refused {
    fn from(err: PageError) -> Self {
        Self::Page(err)
    }
}

fn unprocessable(message: impl Into<String>) -> Refused {
    Refused::Form(StatusCode::UNPROCESSABLE_ENTITY, message.into())
}

async fn checkout(
    state: &AppState,
    account: &user::Model,
    c: &campaign::Model,
    form: &CheckoutForm,
) -> Result<(), Refused> {
    let tier_id = match form.tier.trim() {
        "" => None,
        t => Some(
            t.parse::<i64>()
                .map_err(|_| unprocessable("tier: choose one of the tiers"))?,
        ),
    };
    let amount_cents = money::parse(&form.amount, &c.currency).map_err(unprocessable)?;
    let pledge_cap_cents = money::parse(&form.pledge_cap, &c.currency)
        .map_err(|m| unprocessable(m.replacen("amount", "pledge cap", 1)))?;
    let cadence = match form.cadence.as_str() {
        "annual" => Cadence::Annual,
        "" | "monthly" => Cadence::Monthly,
        _ => return Err(unprocessable("cadence: monthly or annual")),
    };
    let address_fields = [
        &form.addressee,
        &form.line_1,
        &form.line_2,
        &form.postal_code,
        &form.city,
        &form.state,
        &form.country,
    ];
    let address = address_fields
        .iter()
        .any(|f| !f.trim().is_empty())
        .then(|| NewAddress {
            addressee: form.addressee.trim().to_owned(),
            line_1: form.line_1.trim().to_owned(),
            line_2: form.line_2.trim().to_owned(),
            postal_code: form.postal_code.trim().to_owned(),
            city: form.city.trim().to_owned(),
            state: form.state.trim().to_owned(),
            country: form.country.trim().to_owned(),
            phone_number: String::new(),
        });
    let request = Checkout {
        user_id: account.id,
        campaign_id: c.id,
        tier_id,
        amount_cents,
        cadence,
        pledge_cap_cents,
        card: Some(form.card.clone()),
        address,
        idempotency_key: form.idempotency_key.clone(),
    };
    match state.billing().checkout(request).await {
        Ok(_) => Ok(()),
        Err(err @ BillingError::Invalid { .. }) => Err(unprocessable(err.to_string())),
        Err(err @ BillingError::AlreadyMember) => {
            Err(Refused::Form(StatusCode::CONFLICT, err.to_string()))
        }
        Err(err @ (BillingError::PaymentRefused(_) | BillingError::Busy)) => {
            Err(Refused::Form(StatusCode::CONFLICT, err.to_string()))
        }
        Err(BillingError::NotFound(what)) => Err(unprocessable(format!("{what}: not found"))),
        Err(BillingError::Store(err)) => Err(Refused::Page(err.into())),
    }
}
