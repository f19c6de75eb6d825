//! Who is looking: the session cookie, the extractors that resolve it, and the cookie's
//! attributes (HttpOnly, SameSite=Lax, Secure when the public URL is https).

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequestParts, OriginalUri},
    http::request::Parts,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use maecenas_core::sessions::SESSION_TTL;
use maecenas_store::entities::user;

use crate::{error::PageError, state::AppState};

pub(crate) const COOKIE: &str = "maecenas_session";

/// What templates need to know about the person looking.
#[derive(Debug, Clone)]
pub(crate) struct Viewer {
    pub name: String,
}

impl From<&user::Model> for Viewer {
    fn from(u: &user::Model) -> Self {
        Self {
            name: u.full_name.clone(),
        }
    }
}

/// The logged-in user, if any.
#[derive(Debug)]
pub(crate) struct MaybeUser(pub Option<user::Model>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar.get(COOKIE).map(|c| c.value().to_owned()) else {
            return Ok(Self(None));
        };
        Ok(Self(state.sessions().user(&token).await?))
    }
}

/// The logged-in user; anyone else is sent to the login page and brought back afterwards.
#[derive(Debug)]
pub(crate) struct RequireUser(pub user::Model);

/// Rejection of [`RequireUser`].
#[derive(Debug)]
pub(crate) enum LoginRequired {
    Redirect(String),
    Error(PageError),
}

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        match self {
            Self::Redirect(to) => Redirect::to(&to).into_response(),
            Self::Error(err) => err.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for RequireUser {
    type Rejection = LoginRequired;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, LoginRequired> {
        match MaybeUser::from_request_parts(parts, state)
            .await
            .map_err(LoginRequired::Error)?
        {
            MaybeUser(Some(user)) => Ok(Self(user)),
            MaybeUser(None) => Err(LoginRequired::Redirect(login_url(parts))),
        }
    }
}

/// The login page, with `next` set to this request's full path and query so the visitor comes
/// back to exactly here (an authorize URL keeps every parameter).
pub(crate) fn login_url(parts: &Parts) -> String {
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |u| &u.0);
    let here = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let next = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
    format!("/login?{next}")
}

/// The client's address as the socket saw it ("unknown" in-process).
pub(crate) fn client_address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// The cookie that carries a new session's token.
pub(crate) fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build((COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings().secure_cookies())
        .max_age(cookie::time::Duration::seconds(SESSION_TTL.num_seconds()))
        .build()
}

/// A cookie that removes the session cookie.
pub(crate) fn removal_cookie() -> Cookie<'static> {
    Cookie::build((COOKIE, "")).path("/").build()
}

/// Where to go after logging in: a local path (with its query) only, never another site. Control
/// characters are refused too, since browsers drop tabs and newlines (`/\t/evil.example`).
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/profile".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_keeps_local_paths_with_their_query_and_refuses_other_sites() {
        let authorize = "/oauth2/authorize?response_type=code&client_id=x&state=a%26b";
        assert_eq!(safe_next(Some(authorize)), authorize);
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "evil",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/profile", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/profile");
    }
}
