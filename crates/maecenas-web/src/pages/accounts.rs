//! Sign up, log in, log out.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::CookieJar;
use maecenas_core::{AccountError, LoginError, SignUp};
use serde::Deserialize;

use crate::{
    csrf,
    error::PageError,
    extract::HtmlForm,
    pages::render,
    session::{self, MaybeUser, Viewer},
    state::AppState,
};

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage<'a> {
    user: Option<Viewer>,
    csrf_token: &'a str,
    email: &'a str,
    name: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    user: Option<Viewer>,
    csrf_token: &'a str,
    email: &'a str,
    next: &'a str,
    error: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignupForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

pub(crate) async fn signup_form(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    jar: CookieJar,
) -> Result<Response, PageError> {
    if user.is_some() {
        return Ok(Redirect::to("/profile").into_response());
    }
    let (jar, token) = csrf::token(&state, jar);
    let page = SignupPage {
        user: None,
        csrf_token: &token,
        email: "",
        name: "",
        error: None,
    };
    Ok((jar, render(&page)?).into_response())
}

pub(crate) async fn signup(
    State(state): State<AppState>,
    jar: CookieJar,
    parts: Parts,
    HtmlForm(form): HtmlForm<SignupForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let (email, name) = (form.email.clone(), form.name.clone());
    let request = SignUp {
        email: form.email,
        password: form.password,
        name: form.name,
    };
    let (status, message) = match state.accounts().sign_up(request).await {
        Ok(user) => {
            let jar = start_session(&state, &parts, jar, user.id).await?;
            return Ok((jar, Redirect::to("/profile")).into_response());
        }
        Err(AccountError::Invalid { message, .. }) => (StatusCode::UNPROCESSABLE_ENTITY, message),
        Err(err @ AccountError::EmailTaken) => (StatusCode::CONFLICT, err.to_string()),
        Err(AccountError::Store(err)) => return Err(err.into()),
    };
    let (jar, token) = csrf::token(&state, jar);
    let page = SignupPage {
        user: None,
        csrf_token: &token,
        email: &email,
        name: &name,
        error: Some(&message),
    };
    Ok((status, jar, render(&page)?).into_response())
}

pub(crate) async fn login_form(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(query): Query<NextQuery>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let next = session::safe_next(query.next.as_deref());
    if user.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let (jar, token) = csrf::token(&state, jar);
    let page = LoginPage {
        user: None,
        csrf_token: &token,
        email: "",
        next: &next,
        error: None,
    };
    Ok((jar, render(&page)?).into_response())
}

pub(crate) async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    parts: Parts,
    HtmlForm(form): HtmlForm<LoginForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let next = session::safe_next(form.next.as_deref());
    let address = session::client_address(&parts);
    let (status, message, retry_after) = match state
        .accounts()
        .log_in(&form.email, &form.password, &address)
        .await
    {
        Ok(user) => {
            let jar = start_session(&state, &parts, jar, user.id).await?;
            return Ok((jar, Redirect::to(&next)).into_response());
        }
        Err(err @ LoginError::BadCredentials) => (StatusCode::UNAUTHORIZED, err.to_string(), None),
        Err(err @ LoginError::Throttled { retry_after }) => (
            StatusCode::TOO_MANY_REQUESTS,
            err.to_string(),
            Some(retry_after),
        ),
        Err(LoginError::Store(err)) => return Err(err.into()),
    };
    let (jar, token) = csrf::token(&state, jar);
    let page = LoginPage {
        user: None,
        csrf_token: &token,
        email: form.email.trim(),
        next: &next,
        error: Some(&message),
    };
    let retry_after = retry_after.map(|secs| [(axum::http::header::RETRY_AFTER, secs.to_string())]);
    Ok((status, retry_after, jar, render(&page)?).into_response())
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<CsrfOnly>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    if let Some(token) = jar.get(session::COOKIE).map(|c| c.value().to_owned()) {
        state.sessions().end(&token).await?;
    }
    Ok((jar.remove(session::removal_cookie()), Redirect::to("/")).into_response())
}

async fn start_session(
    state: &AppState,
    parts: &Parts,
    jar: CookieJar,
    user_id: i64,
) -> Result<CookieJar, PageError> {
    let agent = parts
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let token = state
        .sessions()
        .start(user_id, agent, &session::client_address(parts))
        .await?;
    Ok(jar.add(session::session_cookie(state, token.expose().to_owned())))
}
