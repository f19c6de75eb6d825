//! Stream alert settings (`/settings/alerts`): make or regenerate the OBS overlay's secret URL
//! (shown once, stored hashed; the old URL stops working), turn its sound on or off, and send a
//! test alert — a donation recorded with its event, so it reaches the overlay exactly as a real
//! one does. Every form is CSRF-protected.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::CookieJar;
use maecenas_core::AlertError;
use maecenas_store::entities::user;
use serde::Deserialize;

use crate::{
    csrf,
    error::PageError,
    extract::HtmlForm,
    pages::render,
    session::{RequireUser, Viewer},
    state::AppState,
};

#[derive(Template)]
#[template(path = "alert_settings.html")]
struct AlertSettingsPage<'a> {
    user: Option<Viewer>,
    csrf_token: &'a str,
    /// When the current URL was made, if there is one.
    made_on: Option<String>,
    sound: bool,
    /// The new URL, right after it was made: the only time it is shown.
    new_url: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SettingsQuery {
    #[serde(default)]
    done: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SoundForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    sound: Option<String>,
}

fn internal(err: AlertError) -> PageError {
    tracing::error!(error = %err, "alert settings failed");
    PageError::internal()
}

async fn page(
    state: &AppState,
    user: &user::Model,
    jar: CookieJar,
    new_url: Option<String>,
    notice: Option<&'static str>,
) -> Result<Response, PageError> {
    let widget = state.alerts().widget_of(user.id).await.map_err(internal)?;
    let (jar, token) = csrf::token(state, jar);
    let page = AlertSettingsPage {
        user: Some(Viewer::from(user)),
        csrf_token: &token,
        made_on: widget
            .as_ref()
            .map(|w| w.created_at.format("%B %-d, %Y at %H:%M UTC").to_string()),
        sound: widget.is_some_and(|w| w.sound),
        new_url,
        notice,
    };
    let mut response = (jar, render(&page)?).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /settings/alerts`.
pub(crate) async fn show(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Query(query): Query<SettingsQuery>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let notice = match query.done.as_deref() {
        Some("test") => Some("Test alert sent: your overlay shows it now."),
        Some("sound") => Some("Sound setting saved."),
        _ => None,
    };
    page(&state, &user, jar, None, notice).await
}

/// `POST /settings/alerts/url`: a new secret URL, shown on the answer page only.
pub(crate) async fn regenerate(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<CsrfForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let (secret, _) = state
        .alerts()
        .regenerate_widget_secret(user.id)
        .await
        .map_err(internal)?;
    let public = state.settings().public_url.as_str().trim_end_matches('/');
    let url = format!("{public}/widget/alerts/{}", secret.expose());
    let notice = Some("New overlay URL made. Any older URL has stopped working.");
    page(&state, &user, jar, Some(url), notice).await
}

/// `POST /settings/alerts/sound`.
pub(crate) async fn sound(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<SoundForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let on = form.sound.is_some_and(|s| s == "on" || s == "1");
    state
        .alerts()
        .set_sound(user.id, on)
        .await
        .map_err(internal)?;
    Ok(Redirect::to("/settings/alerts?done=sound").into_response())
}

/// `POST /settings/alerts/test`: a test donation through the event outbox, like a real one.
pub(crate) async fn test_alert(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<CsrfForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    state.alerts().test_alert(&user).await.map_err(internal)?;
    Ok(Redirect::to("/settings/alerts?done=test").into_response())
}
