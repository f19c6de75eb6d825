//! The logged-in user's profile: see and edit name and about text.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use axum_extra::extract::cookie::CookieJar;
use maecenas_core::AccountError;
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
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    user: Option<Viewer>,
    account: &'a user::Model,
    member_since: String,
    csrf_token: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProfileForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    about: String,
}

fn page<'a>(
    account: &'a user::Model,
    csrf_token: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
) -> ProfilePage<'a> {
    ProfilePage {
        user: Some(Viewer::from(account)),
        member_since: account.created_at.format("%B %-d, %Y").to_string(),
        account,
        csrf_token,
        notice,
        error,
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, token) = csrf::token(&state, jar);
    Ok((jar, render(&page(&account, &token, None, None))?).into_response())
}

pub(crate) async fn update(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<ProfileForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let (jar, token) = csrf::token(&state, jar);
    match state
        .accounts()
        .update_profile(&account, &form.name, &form.about)
        .await
    {
        Ok(updated) => Ok((
            jar,
            render(&page(&updated, &token, Some("Profile saved."), None))?,
        )
            .into_response()),
        Err(AccountError::Invalid { message, .. }) => {
            let body = render(&page(&account, &token, None, Some(&message)))?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, jar, body).into_response())
        }
        Err(AccountError::EmailTaken) => Err(PageError::internal()),
        Err(AccountError::Store(err)) => Err(err.into()),
    }
}
