//! "My memberships" `/memberships`: a patron's memberships with their status (Patreon's
//! `patron_status`), tier, amount and next charge; change tier or amount, cancel, or give a new
//! card (which retries a declined pledge) — each through the billing service's change methods.

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::CookieJar;
use maecenas_core::BillingError;
use maecenas_store::entities::user;
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    csrf,
    error::PageError,
    extract::HtmlForm,
    pages::{money, render},
    session::{RequireUser, Viewer},
    state::AppState,
};

pub(crate) struct TierOption {
    pub id: i64,
    pub label: String,
}

pub(crate) struct MembershipView {
    pub id: Uuid,
    pub campaign: String,
    pub vanity: String,
    /// `active_patron`, `declined_patron`, `former_patron`, or `free member`.
    pub status: String,
    pub tier: String,
    pub tier_id: Option<i64>,
    pub amount: String,
    pub next_charge: String,
    pub last_charge: String,
    pub pledging: bool,
    pub declined: bool,
    pub tiers: Vec<TierOption>,
}

#[derive(Template)]
#[template(path = "memberships.html")]
struct MembershipsPage<'a> {
    user: Option<Viewer>,
    memberships: Vec<MembershipView>,
    csrf_token: &'a str,
    notice: Option<&'static str>,
    error: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DoneQuery {
    done: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChangeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    amount: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CardForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    card: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

async fn views(state: &AppState, account: &user::Model) -> Result<Vec<MembershipView>, PageError> {
    let store = state.store();
    let members = store.memberships_of_user(account.id).await?;
    let campaign_ids: Vec<i64> = members.iter().map(|m| m.campaign_id).collect();
    let campaigns: HashMap<i64, _> = store
        .campaigns_by_ids(&campaign_ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let ids: Vec<Uuid> = members.iter().map(|m| m.id).collect();
    let billing: HashMap<Uuid, _> = store
        .billing_of(&ids)
        .await?
        .into_iter()
        .map(|b| (b.member_id, b))
        .collect();
    let mut out = Vec::with_capacity(members.len());
    for m in members {
        let Some(c) = campaigns.get(&m.campaign_id) else {
            continue;
        };
        let tiers = store.tiers_of_campaign(c.id).await?;
        let tier_id = billing.get(&m.id).and_then(|b| b.tier_id);
        let status = m.patron_status.clone();
        let pledging = matches!(
            status.as_deref(),
            Some(maecenas_core::billing::ACTIVE | maecenas_core::billing::DECLINED)
        );
        let amount_cents = billing
            .get(&m.id)
            .map_or(m.will_pay_amount_cents, |b| b.pledge_amount_cents);
        out.push(MembershipView {
            id: m.id,
            campaign: c.creation_name.clone(),
            vanity: c.vanity.clone(),
            declined: status.as_deref() == Some(maecenas_core::billing::DECLINED),
            status: status.unwrap_or_else(|| "free member".to_owned()),
            tier: tier_id
                .and_then(|id| tiers.iter().find(|t| t.id == id))
                .map(|t| t.title.clone())
                .unwrap_or_else(|| "no tier".to_owned()),
            tier_id,
            amount: if pledging {
                format!("{} / month", money::show(amount_cents, &m.currency))
            } else {
                "—".to_owned()
            },
            next_charge: m
                .next_charge_date
                .map(|d| d.format("%B %-d, %Y").to_string())
                .unwrap_or_else(|| "—".to_owned()),
            last_charge: m
                .last_charge_status
                .clone()
                .unwrap_or_else(|| "—".to_owned()),
            pledging,
            tiers: tiers
                .iter()
                .filter(|t| t.published)
                .map(|t| TierOption {
                    id: t.id,
                    label: format!("{} — {}", t.title, money::show(t.amount_cents, &t.currency)),
                })
                .collect(),
        });
    }
    Ok(out)
}

async fn respond(
    state: &AppState,
    account: &user::Model,
    jar: CookieJar,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let (jar, token) = csrf::token(state, jar);
    let page = MembershipsPage {
        user: Some(Viewer::from(account)),
        memberships: views(state, account).await?,
        csrf_token: &token,
        notice,
        error,
    };
    Ok((status, jar, render(&page)?).into_response())
}

pub(crate) async fn show(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Query(query): Query<DoneQuery>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let notice = match query.done.as_deref() {
        Some("joined") => Some("Checkout finished. Your membership is below."),
        Some("changed") => Some("Your pledge was changed."),
        Some("cancelled") => Some("Your pledge was cancelled; nothing more will be charged."),
        Some("card") => Some("Your card was saved."),
        _ => None,
    };
    respond(&state, &account, jar, StatusCode::OK, notice, None).await
}

/// The page again with `err` said, or the error page for what a person cannot fix.
async fn refused(
    state: &AppState,
    account: &user::Model,
    jar: CookieJar,
    err: BillingError,
) -> Result<Response, PageError> {
    let status = match &err {
        BillingError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        BillingError::NotFound(_) => return Err(PageError::not_found()),
        BillingError::Store(_) => return Err(PageError::internal()),
        BillingError::AlreadyMember | BillingError::PaymentRefused(_) | BillingError::Busy => {
            StatusCode::CONFLICT
        }
    };
    respond(state, account, jar, status, None, Some(&err.to_string())).await
}

pub(crate) async fn change(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(id): Path<Uuid>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<ChangeForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let member = state
        .store()
        .member_by_id(id)
        .await?
        .filter(|m| m.user_id == account.id)
        .ok_or_else(PageError::not_found)?;
    let tier = match form.tier.trim() {
        "" => None,
        t => Some(t.parse::<i64>().map_err(|_| PageError::not_found())?),
    };
    let amount = match money::parse(&form.amount, &member.currency) {
        Ok(amount) => amount,
        Err(message) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return respond(&state, &account, jar, status, None, Some(&message)).await;
        }
    };
    match state
        .billing()
        .change_pledge(id, Some(account.id), tier, amount)
        .await
    {
        Ok(_) => Ok(Redirect::to("/memberships?done=changed").into_response()),
        Err(err) => refused(&state, &account, jar, err).await,
    }
}

pub(crate) async fn cancel(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(id): Path<Uuid>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<CsrfForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    match state.billing().cancel(id, Some(account.id)).await {
        Ok(_) => Ok(Redirect::to("/memberships?done=cancelled").into_response()),
        Err(err) => refused(&state, &account, jar, err).await,
    }
}

pub(crate) async fn card(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(id): Path<Uuid>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<CardForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    match state
        .billing()
        .update_card(id, Some(account.id), &form.card)
        .await
    {
        Ok(_) => Ok(Redirect::to("/memberships?done=card").into_response()),
        Err(err) => refused(&state, &account, jar, err).await,
    }
}
