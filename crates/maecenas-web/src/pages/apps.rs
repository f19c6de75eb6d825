//! Connected apps (`/settings/apps`): the applications the user has granted access to, with
//! the permissions and when, and a Revoke button that kills the grants and every token.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use crate::{
    csrf,
    error::PageError,
    extract::HtmlForm,
    pages::render,
    session::{RequireUser, Viewer},
    state::AppState,
};

/// One connected app as the page shows it.
struct AppLine {
    client_id: i64,
    name: String,
    domain: String,
    granted: String,
    scopes: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "apps.html")]
struct AppsPage<'a> {
    user: Option<Viewer>,
    apps: Vec<AppLine>,
    csrf_token: &'a str,
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AppsQuery {
    #[serde(default)]
    revoked: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RevokeForm {
    #[serde(default)]
    csrf_token: String,
}

/// `GET /settings/apps`.
pub(crate) async fn show(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Query(query): Query<AppsQuery>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let apps = state
        .oauth()
        .connected_apps(user.id)
        .await
        .map_err(|_| PageError::internal())?
        .into_iter()
        .map(|app| AppLine {
            client_id: app.client_id,
            name: app.name,
            domain: app.domain,
            granted: app.granted_at.format("%B %-d, %Y at %H:%M UTC").to_string(),
            scopes: app
                .scopes
                .iter()
                .map(|s| (s.as_str(), s.description()))
                .collect(),
        })
        .collect();
    let (jar, token) = csrf::token(&state, jar);
    let page = AppsPage {
        user: Some(Viewer::from(&user)),
        apps,
        csrf_token: &token,
        notice: query.revoked.map(|_| "Access revoked."),
    };
    Ok((jar, render(&page)?).into_response())
}

/// `POST /settings/apps/{client_id}/revoke`.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Path(client_id): Path<i64>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<RevokeForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let revoked = state
        .oauth()
        .revoke_connected_app(user.id, client_id)
        .await
        .map_err(|_| PageError::internal())?;
    if !revoked {
        return Err(PageError::not_found());
    }
    Ok(Redirect::to("/settings/apps?revoked=1").into_response())
}
