//! The developer portal's "Clients & API Keys" page (`patreon.md` §3): the user's OAuth
//! clients, a form to register one (the secret is shown once), and per client the "Creator's
//! Access Token" — issue or re-issue (revoking the previous one) and refresh, every v2 scope,
//! the tokens shown once. Pages that show secrets are `Cache-Control: no-store`.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use axum_extra::extract::cookie::CookieJar;
use maecenas_oauth::{
    ClientRegistration, IssuedTokens, OAuthError, OAuthService, creator::RegisterError,
    redirect::registered,
};
use maecenas_store::entities::{oauth_client, user};
use serde::Deserialize;

use crate::{
    csrf,
    error::PageError,
    extract::HtmlForm,
    pages::render,
    session::{RequireUser, Viewer},
    state::AppState,
};

/// One client as the page lists it.
struct ClientView {
    name: String,
    client_id: String,
    description: String,
    redirect_uris: Vec<String>,
    icon_url: String,
    privacy_policy_url: String,
    tos_url: String,
    registered_on: String,
    /// When the live creator token was issued, and its scopes.
    token: Option<(String, String)>,
}

/// A new client's credentials, shown once.
struct NewClientView {
    name: String,
    client_id: String,
    client_secret: String,
}

/// A new creator token, shown once.
struct NewTokensView {
    name: String,
    access_token: String,
    refresh_token: String,
    expires_in: i64,
    scope: String,
}

/// Secrets to show once.
enum Reveal {
    Client(NewClientView),
    Tokens(NewTokensView),
}

#[derive(Template)]
#[template(path = "developer.html")]
struct DeveloperPage<'a> {
    user: Option<Viewer>,
    csrf_token: &'a str,
    clients: Vec<ClientView>,
    new_client: Option<NewClientView>,
    new_tokens: Option<NewTokensView>,
    errors: Vec<String>,
    form: &'a ClientForm,
}

/// The registration form, also used to refill it after an error.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ClientForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    icon_url: String,
    #[serde(default)]
    privacy_policy_url: String,
    #[serde(default)]
    tos_url: String,
}

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    csrf_token: String,
}

fn oauth_failed(err: &OAuthError) -> PageError {
    tracing::error!(error = %err, "developer portal: OAuth service failed");
    PageError::internal()
}

async fn client_views(
    oauth: &OAuthService,
    clients: Vec<oauth_client::Model>,
) -> Result<Vec<ClientView>, PageError> {
    let mut views = Vec::with_capacity(clients.len());
    for client in clients {
        let token = oauth
            .creator_token(&client)
            .await
            .map_err(|e| oauth_failed(&e))?
            .map(|t| {
                (
                    t.issued_at.format("%B %-d, %Y %H:%M UTC").to_string(),
                    t.scopes.to_string(),
                )
            });
        views.push(ClientView {
            redirect_uris: registered(&client),
            registered_on: client.created_at.format("%B %-d, %Y").to_string(),
            name: client.name,
            client_id: client.client_id,
            description: client.description,
            icon_url: client.icon_url,
            privacy_policy_url: client.privacy_policy_url,
            tos_url: client.tos_url,
            token,
        });
    }
    Ok(views)
}

/// Renders the page for `account`; a page with secrets is marked no-store.
async fn respond(
    state: &AppState,
    account: &user::Model,
    jar: CookieJar,
    status: StatusCode,
    reveal: Option<Reveal>,
    errors: Vec<String>,
    form: &ClientForm,
) -> Result<Response, PageError> {
    let (jar, token) = csrf::token(state, jar);
    let clients = state.store().oauth_clients_owned_by(account.id).await?;
    let has_secret = reveal.is_some();
    let (new_client, new_tokens) = match reveal {
        Some(Reveal::Client(c)) => (Some(c), None),
        Some(Reveal::Tokens(t)) => (None, Some(t)),
        None => (None, None),
    };
    let page = DeveloperPage {
        user: Some(Viewer::from(account)),
        csrf_token: &token,
        clients: client_views(state.oauth(), clients).await?,
        new_client,
        new_tokens,
        errors,
        form,
    };
    let body = render(&page)?;
    let mut response = (status, jar, body).into_response();
    if has_secret {
        maecenas_oauth::error::no_store(response.headers_mut());
    } else {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("private, no-cache"),
        );
    }
    Ok(response)
}

pub(crate) async fn show(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let form = ClientForm::default();
    respond(&state, &account, jar, StatusCode::OK, None, vec![], &form).await
}

pub(crate) async fn create(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<ClientForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let registration = ClientRegistration {
        owner_user_id: account.id,
        name: form.name.clone(),
        description: form.description.clone(),
        redirect_uris: form.redirect_uris.clone(),
        icon_url: form.icon_url.clone(),
        privacy_policy_url: form.privacy_policy_url.clone(),
        tos_url: form.tos_url.clone(),
    };
    match state.oauth().register_client(&registration).await {
        Ok(created) => {
            let reveal = Reveal::Client(NewClientView {
                name: form.name.trim().to_owned(),
                client_id: created.client_id,
                client_secret: created.client_secret.expose().to_owned(),
            });
            let blank = ClientForm::default();
            respond(
                &state,
                &account,
                jar,
                StatusCode::OK,
                Some(reveal),
                vec![],
                &blank,
            )
            .await
        }
        Err(RegisterError::Invalid(problems)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            respond(&state, &account, jar, status, None, problems, &form).await
        }
        Err(RegisterError::Failed(err)) => Err(oauth_failed(&err)),
    }
}

/// The client `client_id` if `account` owns it; 404 otherwise (no hint that it exists).
async fn owned_client(
    state: &AppState,
    account: &user::Model,
    client_id: &str,
) -> Result<oauth_client::Model, PageError> {
    state
        .store()
        .oauth_client_by_client_id(client_id)
        .await?
        .filter(|c| c.owner_user_id == account.id)
        .ok_or_else(PageError::not_found)
}

fn tokens_reveal(client: &oauth_client::Model, issued: &IssuedTokens) -> Reveal {
    Reveal::Tokens(NewTokensView {
        name: client.name.clone(),
        access_token: issued.access_token.expose().to_owned(),
        refresh_token: issued.refresh_token.expose().to_owned(),
        expires_in: issued.expires_in,
        scope: issued.scopes.to_string(),
    })
}

pub(crate) async fn issue_token(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(client_id): Path<String>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<TokenForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let client = owned_client(&state, &account, &client_id).await?;
    let issued = state
        .oauth()
        .reissue_creator_token(&client)
        .await
        .map_err(|e| oauth_failed(&e))?;
    let reveal = tokens_reveal(&client, &issued);
    let blank = ClientForm::default();
    respond(
        &state,
        &account,
        jar,
        StatusCode::OK,
        Some(reveal),
        vec![],
        &blank,
    )
    .await
}

pub(crate) async fn refresh_token(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(client_id): Path<String>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<TokenForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let client = owned_client(&state, &account, &client_id).await?;
    let refreshed = state
        .oauth()
        .refresh_creator_token(&client)
        .await
        .map_err(|e| oauth_failed(&e))?;
    let blank = ClientForm::default();
    match refreshed {
        Some(issued) => {
            let reveal = tokens_reveal(&client, &issued);
            let status = StatusCode::OK;
            respond(&state, &account, jar, status, Some(reveal), vec![], &blank).await
        }
        None => {
            let problem = format!(
                "{} has no creator token to refresh (or it was just refreshed). Issue a new one.",
                client.name
            );
            let status = StatusCode::CONFLICT;
            respond(&state, &account, jar, status, None, vec![problem], &blank).await
        }
    }
}
