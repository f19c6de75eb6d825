//! The authorization endpoints, Patreon `GET /oauth2/authorize` and DonationAlerts
//! `GET /oauth/authorize`, and the consent page they show. An unknown client or redirect URI
//! gets an error page of ours (OA-04); a visitor who is not logged in goes to the login page and
//! comes back (OA-06); other errors return to the client; the consent form carries a CSRF token
//! and a single-use challenge, and its answer is a 303 to the client (OA-09/11/12).

use askama::Template;
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::CookieJar;
use maecenas_oauth::{
    AuthorizationResponse, AuthorizeQuery, AuthorizeRequest, ConsentError, PageRefusal,
    ResponseType, authorize, service::Flavor,
};
use maecenas_store::entities::oauth_client;
use serde::Deserialize;
use url::Url;

use crate::{
    csrf,
    error::PageError,
    extract::HtmlForm,
    pages::render,
    session::{self, MaybeUser, RequireUser, Viewer},
    state::AppState,
};

/// One requested scope, in words.
struct ScopeLine {
    name: &'static str,
    description: &'static str,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    user: Option<Viewer>,
    app: &'a oauth_client::Model,
    /// The app's icon, when it is an https URL.
    icon: Option<&'a str>,
    /// Where the browser goes afterwards (scheme and host of the redirect URI).
    redirect_to: String,
    scopes: Vec<ScopeLine>,
    owner: bool,
    implicit: bool,
    action: &'static str,
    csrf_token: &'a str,
    challenge: &'a str,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ConsentForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    consent: String,
    #[serde(default)]
    decision: String,
}

/// Patreon `GET /oauth2/authorize`.
pub(crate) async fn patreon(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    jar: CookieJar,
    parts: Parts,
) -> Result<Response, PageError> {
    show(Flavor::Patreon, &state, user, jar, &parts).await
}

/// DonationAlerts `GET /oauth/authorize`.
pub(crate) async fn donationalerts(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    jar: CookieJar,
    parts: Parts,
) -> Result<Response, PageError> {
    show(Flavor::DonationAlerts, &state, user, jar, &parts).await
}

async fn show(
    flavor: Flavor,
    state: &AppState,
    user: Option<maecenas_store::entities::user::Model>,
    jar: CookieJar,
    parts: &Parts,
) -> Result<Response, PageError> {
    let query = AuthorizeQuery::parse(parts.uri.query()).map_err(refused)?;
    let destination = state
        .oauth()
        .authorize_destination(flavor, &query)
        .await
        .map_err(|r| match r {
            PageRefusal::BadRequest(message) => refused(message),
            PageRefusal::Server => PageError::internal(),
        })?;
    let Some(user) = user else {
        return Ok(Redirect::to(&session::login_url(parts)).into_response());
    };
    let issuer = authorize::issuer(&state.settings().public_url);
    let request = match authorize::check_request(flavor, destination, &query, user.id) {
        Ok(request) => request,
        Err(rejection) => {
            let response = AuthorizationResponse::error(
                &rejection.destination,
                rejection.code,
                &rejection.description,
                &issuer,
            );
            return see_other(&response);
        }
    };
    let challenge = state
        .oauth()
        .begin_consent(user.id, &request)
        .await
        .map_err(|_| PageError::internal())?;
    let (jar, token) = csrf::token(state, jar);
    let client = &request.destination.client;
    let page = ConsentPage {
        user: Some(Viewer::from(&user)),
        icon: Some(client.icon_url.as_str()).filter(|u| u.starts_with("https://")),
        redirect_to: redirect_target(&request.destination.redirect_uri),
        scopes: request
            .scopes
            .iter()
            .map(|s| ScopeLine {
                name: s.as_str(),
                description: s.description(),
            })
            .collect(),
        owner: client.owner_user_id == user.id && flavor == Flavor::Patreon,
        implicit: request.response_type == ResponseType::Token,
        action: match flavor {
            Flavor::Patreon => "/oauth2/authorize",
            Flavor::DonationAlerts => "/oauth/authorize",
        },
        app: client,
        csrf_token: &token,
        challenge: challenge.expose(),
    };
    let headers = consent_headers(&request);
    Ok((headers, jar, render(&page)?).into_response())
}

/// `POST /oauth2/authorize` and `POST /oauth/authorize`: the answer to a consent page.
pub(crate) async fn answer(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    jar: CookieJar,
    headers: HeaderMap,
    HtmlForm(form): HtmlForm<ConsentForm>,
) -> Result<Response, PageError> {
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    if cross_site {
        return Err(PageError::csrf());
    }
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let allow = match form.decision.as_str() {
        "allow" => true,
        "deny" => false,
        _ => return Err(refused("Choose Allow or Deny.".to_owned())),
    };
    let issuer = authorize::issuer(&state.settings().public_url);
    match state
        .oauth()
        .answer_consent(user.id, &form.consent, allow, &issuer)
        .await
    {
        Ok(response) => see_other(&response),
        Err(err @ ConsentError::Unusable) => Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "Request no longer valid",
            format!("{err} Start again from the application."),
        )),
        Err(ConsentError::Server) => Err(PageError::internal()),
    }
}

/// A refused authorization request, on our own page (never a redirect).
fn refused(message: String) -> PageError {
    PageError::new(
        StatusCode::BAD_REQUEST,
        "This authorization request is not valid",
        message,
    )
}

/// 303 See Other to the authorization response (OA-12).
fn see_other(response: &AuthorizationResponse) -> Result<Response, PageError> {
    let location = HeaderValue::from_str(&response.location()).map_err(|_| {
        tracing::error!("authorization response is not a valid Location");
        PageError::internal()
    })?;
    Ok((
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location)],
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
    )
        .into_response())
}

/// "https://client.example.com" for a web redirect URI, the scheme for an app's own.
fn redirect_target(redirect_uri: &str) -> String {
    match Url::parse(redirect_uri) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url.origin().ascii_serialization(),
        Ok(url) => format!("{}:", url.scheme()),
        Err(_) => redirect_uri.to_owned(),
    }
}

/// The consent page's headers: not cached, no referrer, and a CSP that still forbids framing
/// but lets the form's 303 lead to the client's redirect URI (`form-action` covers redirects).
fn consent_headers(request: &AuthorizeRequest) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let target = redirect_target(&request.destination.redirect_uri);
    let csp = format!(
        "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; \
         frame-ancestors 'none'; form-action 'self' {target}; base-uri 'none'; object-src 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers
}
