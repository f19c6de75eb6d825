//! The donation page `/donate/<code>` (the streamer's DonationAlerts `code`: their vanity, or
//! `id<user id>`): a name or anonymous, an amount in EUR, USD, RUB, BRL or TRY, a message and a
//! sandbox test card, and a one-time idempotency key (a double submit sends one donation).
//! [`maecenas_core::Alerts::donate`] charges and stores the donation with its
//! event, so it reaches the overlay through the real-time outbox and the DonationAlerts API. A
//! refused field re-renders the form with its message; what was typed comes back escaped.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::CookieJar;
use maecenas_core::{
    AlertError,
    donate::{PAGE_CURRENCIES, PageDonation},
};
use maecenas_store::entities::user;
use serde::Deserialize;

use crate::{
    csrf,
    error::PageError,
    extract::HtmlForm,
    pages::{money, render},
    session::{MaybeUser, Viewer},
    state::AppState,
};

#[derive(Template)]
#[template(path = "donate.html")]
struct DonatePage<'a> {
    user: Option<Viewer>,
    streamer: &'a str,
    code: &'a str,
    csrf_token: &'a str,
    form: &'a DonateForm,
    currencies: [&'static str; 5],
    thanks: Option<String>,
    error: Option<&'a str>,
}

/// The form as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DonateForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    anonymous: Option<String>,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    card: String,
    #[serde(default)]
    idempotency_key: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ThanksQuery {
    thanks: Option<i64>,
}

/// The streamer whose code is `code`.
async fn streamer(state: &AppState, code: &str) -> Result<user::Model, PageError> {
    if let Some(u) = state.store().user_by_vanity(code).await? {
        return Ok(u);
    }
    let by_id = match code.strip_prefix("id").map(str::parse::<i64>) {
        Some(Ok(id)) => state
            .store()
            .user_by_id(id)
            .await?
            .filter(|u| u.vanity.is_none()),
        _ => None,
    };
    by_id.ok_or_else(PageError::not_found)
}

fn page<'a>(
    viewer: Option<&user::Model>,
    streamer: &'a user::Model,
    code: &'a str,
    token: &'a str,
    form: &'a DonateForm,
) -> DonatePage<'a> {
    DonatePage {
        user: viewer.map(Viewer::from),
        streamer: &streamer.full_name,
        code,
        csrf_token: token,
        form,
        currencies: PAGE_CURRENCIES,
        thanks: None,
        error: None,
    }
}

pub(crate) async fn form(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    Path(code): Path<String>,
    Query(query): Query<ThanksQuery>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let to = streamer(&state, &code).await?;
    let thanks = match query.thanks {
        Some(id) => state
            .store()
            .donation_by_id(id)
            .await?
            .filter(|d| d.recipient_user_id == to.id)
            .map(|d| money::show(d.amount_cents, &d.currency)),
        None => None,
    };
    let form = DonateForm {
        currency: "USD".to_owned(),
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        ..DonateForm::default()
    };
    let (jar, token) = csrf::token(&state, jar);
    let page = DonatePage {
        thanks,
        ..page(viewer.as_ref(), &to, &code, &token, &form)
    };
    Ok((jar, render(&page)?).into_response())
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    Path(code): Path<String>,
    jar: CookieJar,
    HtmlForm(mut form): HtmlForm<DonateForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let to = streamer(&state, &code).await?;
    let request = PageDonation {
        username: form.username.clone(),
        anonymous: form.anonymous.is_some(),
        amount: form.amount.clone(),
        currency: form.currency.clone(),
        message: form.message.clone(),
        card: form.card.clone(),
        idempotency_key: form.idempotency_key.clone(),
        donor_user_id: viewer.as_ref().map(|u| u.id),
    };
    match state.alerts().donate(&to, request).await {
        Ok(d) => {
            let query = serde_urlencoded::to_string([("thanks", d.id)]).unwrap_or_default();
            let path = serde_urlencoded::to_string([("", &code)]).unwrap_or_default();
            let path = path.trim_start_matches('=');
            Ok(Redirect::to(&format!("/donate/{path}?{query}")).into_response())
        }
        Err(err @ AlertError::Invalid { .. }) => {
            // A corrected form is a new donation.
            form.idempotency_key = uuid::Uuid::new_v4().to_string();
            let (jar, token) = csrf::token(&state, jar);
            let message = err.to_string();
            let page = DonatePage {
                error: Some(&message),
                ..page(viewer.as_ref(), &to, &code, &token, &form)
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, jar, render(&page)?).into_response())
        }
        Err(AlertError::Store(err)) => Err(err.into()),
    }
}
