//! The creator's edit page `/dashboard/edit`: make the campaign (first visit) or change its
//! words, add and edit tiers, add and delete benefits (with the tiers that include them) and
//! goals — each
//! through [`maecenas_core::creator::Creator`]. A refused field re-renders the page with its
//! message.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::CookieJar;
use maecenas_core::creator::{CampaignInput, CreatorError, TierInput};
use maecenas_store::entities::{benefit, campaign, goal, tier, user};
use serde::Deserialize;

use crate::{
    csrf,
    error::PageError,
    extract::HtmlForm,
    pages::{dashboard::own_campaign, money, render},
    session::{RequireUser, Viewer},
    state::AppState,
};

/// A form's fields in order, repeated names kept (tier checkboxes).
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or "".
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Whether a checkbox `name` was ticked.
    pub(crate) fn ticked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// Every value of `name` that is a number.
    pub(crate) fn ids(&self, name: &str) -> Vec<i64> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| v.trim().parse().ok())
            .collect()
    }

    /// Checks the form's CSRF token.
    pub(crate) fn verify(&self, state: &AppState, jar: &CookieJar) -> Result<(), PageError> {
        csrf::verify(state, jar, self.get("csrf_token"))
    }
}

pub(crate) struct TierRow {
    pub tier: tier::Model,
    pub price: String,
    pub limit: String,
}

#[derive(Template)]
#[template(path = "dashboard_edit.html")]
struct EditPage<'a> {
    user: Option<Viewer>,
    campaign: Option<&'a campaign::Model>,
    tiers: Vec<TierRow>,
    benefits: Vec<benefit::Model>,
    goals: Vec<(goal::Model, String)>,
    csrf_token: &'a str,
    notice: Option<&'static str>,
    error: Option<&'a str>,
    currencies: [&'static str; 5],
}

#[derive(Debug, Deserialize)]
pub(crate) struct DoneQuery {
    done: Option<String>,
}

async fn respond(
    state: &AppState,
    account: &user::Model,
    jar: CookieJar,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let c = own_campaign(state, account).await?;
    let tiers = match &c {
        Some(c) => state
            .store()
            .tiers_of_campaign(c.id)
            .await?
            .into_iter()
            .map(|t| TierRow {
                price: money::major(t.amount_cents, &t.currency),
                limit: t.user_limit.map(|l| l.to_string()).unwrap_or_default(),
                tier: t,
            })
            .collect(),
        None => Vec::new(),
    };
    let (benefits, goals) = match &c {
        Some(c) => (
            state.store().benefits_of_campaign(c.id).await?,
            state
                .store()
                .goals_of_campaign(c.id)
                .await?
                .into_iter()
                .map(|g| {
                    let target = money::show(g.amount_cents, &c.currency);
                    (g, target)
                })
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let (jar, token) = csrf::token(state, jar);
    let page = EditPage {
        user: Some(Viewer::from(account)),
        campaign: c.as_ref(),
        tiers,
        benefits,
        goals,
        csrf_token: &token,
        notice,
        error,
        currencies: maecenas_core::donate::PAGE_CURRENCIES,
    };
    Ok((status, jar, render(&page)?).into_response())
}

pub(crate) async fn show(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Query(query): Query<DoneQuery>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let notice = query.done.as_deref().map(|_| "Saved.");
    respond(&state, &account, jar, StatusCode::OK, notice, None).await
}

/// After an edit: back to the page, or the page again with what was refused.
async fn finish(
    state: &AppState,
    account: &user::Model,
    jar: CookieJar,
    result: Result<(), CreatorError>,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(Redirect::to("/dashboard/edit?done=1").into_response()),
        Err(err @ CreatorError::Invalid { .. }) => {
            let message = err.to_string();
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            respond(state, account, jar, status, None, Some(&message)).await
        }
        Err(CreatorError::NotFound(_)) => Err(PageError::not_found()),
        Err(CreatorError::Store(err)) => Err(err.into()),
    }
}

/// The campaign being edited; a form for it without one is not found.
async fn require_campaign(
    state: &AppState,
    account: &user::Model,
) -> Result<campaign::Model, PageError> {
    own_campaign(state, account)
        .await?
        .ok_or_else(PageError::not_found)
}

pub(crate) async fn save_campaign(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<Fields>,
) -> Result<Response, PageError> {
    form.verify(&state, &jar)?;
    let input = CampaignInput {
        vanity: form.get("vanity").to_owned(),
        currency: form.get("currency").to_owned(),
        creation_name: form.get("creation_name").to_owned(),
        summary: form.get("summary").to_owned(),
        one_liner: form.get("one_liner").to_owned(),
    };
    let result = state.creator().save_campaign(&account, input).await;
    finish(&state, &account, jar, result.map(|_| ())).await
}

/// A tier from the form, or the message that refuses it.
fn tier_input(form: &Fields, currency: &str) -> Result<TierInput, String> {
    let amount_cents = money::parse(form.get("amount"), currency)?
        .ok_or_else(|| "amount: give the tier's monthly price".to_owned())?;
    let user_limit = match form.get("user_limit").trim() {
        "" => None,
        l => Some(
            l.parse::<i64>()
                .map_err(|_| "user_limit: a whole number, or empty for no limit".to_owned())?,
        ),
    };
    Ok(TierInput {
        title: form.get("title").to_owned(),
        description: form.get("description").to_owned(),
        amount_cents,
        user_limit,
        requires_shipping: form.ticked("requires_shipping"),
        published: form.ticked("published"),
    })
}

pub(crate) async fn add_tier(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<Fields>,
) -> Result<Response, PageError> {
    form.verify(&state, &jar)?;
    let c = require_campaign(&state, &account).await?;
    let input = match tier_input(&form, &c.currency) {
        Ok(input) => input,
        Err(message) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return respond(&state, &account, jar, status, None, Some(&message)).await;
        }
    };
    let result = state.creator().add_tier(&c, input).await;
    finish(&state, &account, jar, result.map(|_| ())).await
}

pub(crate) async fn edit_tier(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(tier_id): Path<i64>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<Fields>,
) -> Result<Response, PageError> {
    form.verify(&state, &jar)?;
    let c = require_campaign(&state, &account).await?;
    let input = match tier_input(&form, &c.currency) {
        Ok(input) => input,
        Err(message) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return respond(&state, &account, jar, status, None, Some(&message)).await;
        }
    };
    let result = state.creator().edit_tier(&c, tier_id, input).await;
    finish(&state, &account, jar, result.map(|_| ())).await
}

pub(crate) async fn add_benefit(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<Fields>,
) -> Result<Response, PageError> {
    form.verify(&state, &jar)?;
    let c = require_campaign(&state, &account).await?;
    let result = state
        .creator()
        .add_benefit(
            &c,
            form.get("title"),
            form.get("description"),
            form.ids("tier_ids"),
        )
        .await;
    finish(&state, &account, jar, result).await
}

pub(crate) async fn add_goal(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<Fields>,
) -> Result<Response, PageError> {
    form.verify(&state, &jar)?;
    let c = require_campaign(&state, &account).await?;
    let amount = match money::parse(form.get("amount"), &c.currency) {
        Ok(amount) => amount.unwrap_or(0),
        Err(message) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return respond(&state, &account, jar, status, None, Some(&message)).await;
        }
    };
    let result = state
        .creator()
        .add_goal(&c, form.get("title"), form.get("description"), amount)
        .await;
    finish(&state, &account, jar, result).await
}

pub(crate) async fn delete_benefit(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(id): Path<i64>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<Fields>,
) -> Result<Response, PageError> {
    form.verify(&state, &jar)?;
    let c = require_campaign(&state, &account).await?;
    let result = state.creator().delete_benefit(&c, id).await;
    finish(&state, &account, jar, result).await
}

pub(crate) async fn delete_goal(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(id): Path<i64>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<Fields>,
) -> Result<Response, PageError> {
    form.verify(&state, &jar)?;
    let c = require_campaign(&state, &account).await?;
    let result = state.creator().delete_goal(&c, id).await;
    finish(&state, &account, jar, result).await
}
