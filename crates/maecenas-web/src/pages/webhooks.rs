//! The portal's webhooks (`/portal/webhooks`): the webhooks on the user's campaigns and those
//! their OAuth clients made — create, pause, resume, delete, "send test event" — and per webhook
//! the delivery log (`/portal/webhooks/{id}`): every attempt's request headers and body, the
//! response status, an excerpt and the latency, with "resend" on each delivery. Every form
//! carries the CSRF token; every action answers 303 back to the page.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::CookieJar;
use maecenas_patreon::webhooks::{PatreonRenderer, payload::TRIGGERS};
use maecenas_store::{
    entities::{delivery_attempt, user, webhook, webhook_delivery},
    webhooks::{NewWebhook, WebhookPatch, triggers_of},
};
use maecenas_types::Scope;
use maecenas_webhooks::{Guard, sign::generate_secret};
use serde::Deserialize;

use crate::{
    csrf,
    error::PageError,
    extract::HtmlForm,
    pages::render,
    session::{RequireUser, Viewer},
    state::AppState,
};

/// Deliveries the log page shows, newest first.
const LOG_LIMIT: u64 = 50;
/// Webhooks one client may keep (as the API allows).
const MAX_PER_CLIENT: usize = maecenas_patreon::webhooks::api::MAX_PER_CLIENT;

/// One webhook as the pages show it.
struct HookView {
    id: i64,
    uri: String,
    triggers: Vec<String>,
    state: &'static str,
    paused: bool,
    failures: i64,
    last_attempted: String,
    client: String,
    secret: String,
}

/// One attempt in the log.
struct AttemptView {
    at: String,
    headers: Vec<(String, String)>,
    status: String,
    excerpt: String,
    error: String,
    latency_ms: i64,
}

/// One delivery in the log.
struct DeliveryView {
    id: i64,
    trigger: String,
    status: String,
    created: String,
    body: String,
    attempts: Vec<AttemptView>,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage<'a> {
    user: Option<Viewer>,
    csrf_token: &'a str,
    hooks: Vec<HookView>,
    /// The user's clients that may make webhooks: (client_id, name).
    clients: Vec<(String, String)>,
    has_campaign: bool,
    triggers: &'static [&'static str],
    notice: Option<&'static str>,
    errors: Vec<String>,
    uri: &'a str,
}

#[derive(Template)]
#[template(path = "webhook_log.html")]
struct LogPage<'a> {
    user: Option<Viewer>,
    csrf_token: &'a str,
    hook: HookView,
    deliveries: Vec<DeliveryView>,
    notice: Option<&'static str>,
}

/// `?done=…` after an action.
#[derive(Debug, Deserialize)]
pub(crate) struct Done {
    #[serde(default)]
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "created" => Some("Webhook created. Its secret signs every delivery."),
        "paused" => Some("Webhook paused: events queue until you resume it."),
        "resumed" => Some("Webhook resumed: every queued event is being sent, in order."),
        "deleted" => Some("Webhook deleted."),
        "test" => Some("Test event queued; it appears in the log once sent."),
        "resent" => Some("Delivery queued again with the same webhook-id."),
        _ => None,
    }
}

/// A form that carries only the CSRF token (and, for tests, a trigger).
#[derive(Debug, Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    trigger: String,
}

fn time(t: Option<&chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(String::new, |t| {
        t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    })
}

async fn hook_views(
    state: &AppState,
    hooks: Vec<webhook::Model>,
) -> Result<Vec<HookView>, PageError> {
    let mut views = Vec::with_capacity(hooks.len());
    for w in hooks {
        let client = state
            .store()
            .oauth_client_by_id(w.client_id)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        views.push(HookView {
            id: w.id,
            triggers: triggers_of(&w),
            state: match (w.disabled_at.is_some(), w.paused) {
                (true, _) => "disabled (410 Gone)",
                (false, true) => "paused",
                (false, false) => "active",
            },
            paused: w.paused || w.disabled_at.is_some(),
            failures: w.num_consecutive_times_failed,
            last_attempted: time(w.last_attempted_at.as_ref()),
            uri: w.uri,
            secret: w.secret,
            client,
        });
    }
    Ok(views)
}

/// The webhook `id` if `account` manages it; 404 otherwise (no hint that it exists).
async fn managed(
    state: &AppState,
    account: &user::Model,
    id: i64,
) -> Result<webhook::Model, PageError> {
    state
        .store()
        .webhooks_for_portal(account.id)
        .await?
        .into_iter()
        .find(|w| w.id == id)
        .ok_or_else(PageError::not_found)
}

fn no_cache(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    response
}

async fn list_page(
    state: &AppState,
    account: &user::Model,
    jar: CookieJar,
    status: StatusCode,
    done: Option<&str>,
    errors: Vec<String>,
    uri: &str,
) -> Result<Response, PageError> {
    let (jar, token) = csrf::token(state, jar);
    let hooks = state.store().webhooks_for_portal(account.id).await?;
    let clients = state
        .store()
        .oauth_clients_owned_by(account.id)
        .await?
        .into_iter()
        .map(|c| (c.client_id, c.name))
        .collect();
    let page = WebhooksPage {
        user: Some(Viewer::from(account)),
        csrf_token: &token,
        hooks: hook_views(state, hooks).await?,
        clients,
        has_campaign: state
            .store()
            .campaign_by_creator(account.id)
            .await?
            .is_some(),
        triggers: &TRIGGERS,
        notice: notice(done),
        errors,
        uri,
    };
    Ok(no_cache((status, jar, render(&page)?).into_response()))
}

/// `GET /portal/webhooks`.
pub(crate) async fn show(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Query(query): Query<Done>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    list_page(
        &state,
        &account,
        jar,
        StatusCode::OK,
        query.done.as_deref(),
        vec![],
        "",
    )
    .await
}

/// `POST /portal/webhooks`: fields `client_id`, `uri` and `triggers` (repeated).
pub(crate) async fn create(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    jar: CookieJar,
    HtmlForm(fields): HtmlForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    csrf::verify(&state, &jar, field("csrf_token"))?;
    let uri = field("uri").trim().to_owned();
    let mut errors = Vec::new();
    let client = state
        .store()
        .oauth_client_by_client_id(field("client_id"))
        .await?
        .filter(|c| c.owner_user_id == account.id);
    if client.is_none() {
        errors.push("Choose one of your OAuth clients.".to_owned());
    }
    let campaign = state.store().campaign_by_creator(account.id).await?;
    if campaign.is_none() {
        errors.push("You have no campaign to add a webhook to.".to_owned());
    }
    let checked = if uri.len() > 2048 {
        Err("The URI is too long.".to_owned())
    } else {
        Guard::new(state.webhooks().clone())
            .check_uri(&uri)
            .map(|u| u.to_string())
            .map_err(|e| e.to_string())
    };
    if let Err(e) = &checked {
        errors.push(format!("URI: {e}"));
    }
    let mut triggers: Vec<String> = Vec::new();
    for (_, t) in fields.iter().filter(|(k, _)| k == "triggers") {
        if !TRIGGERS.contains(&t.as_str()) {
            errors.push(format!("Unknown trigger {t:?}."));
        } else if !triggers.contains(t) {
            triggers.push(t.clone());
        }
    }
    if triggers.is_empty() {
        errors.push("Choose at least one trigger.".to_owned());
    }
    if let Some(c) = &client {
        let mine = state.store().webhooks_for_portal(account.id).await?;
        if mine.iter().filter(|w| w.client_id == c.id).count() >= MAX_PER_CLIENT {
            errors.push(format!(
                "A client may keep at most {MAX_PER_CLIENT} webhooks."
            ));
        }
    }
    let (Some(client), Some(campaign), Ok(uri), true) =
        (client, campaign, checked, errors.is_empty())
    else {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return list_page(&state, &account, jar, status, None, errors, &uri).await;
    };
    // The creator's own campaign: its webhooks see what the creator sees.
    let scopes = [
        Scope::Campaigns,
        Scope::CampaignsMembers,
        Scope::CampaignsMembersEmail,
        Scope::CampaignsMembersAddress,
        Scope::WriteCampaignsWebhook,
    ]
    .map(Scope::as_str)
    .join(" ");
    let new = NewWebhook {
        client_id: client.id,
        campaign_id: campaign.id,
        uri,
        secret: generate_secret(),
        triggers,
        scopes,
    };
    state
        .store()
        .create_webhook(new, state.clock().now())
        .await?;
    Ok(Redirect::to("/portal/webhooks?done=created").into_response())
}

/// `POST /portal/webhooks/{id}/pause` and `…/resume`.
async fn set_paused(
    state: &AppState,
    account: &user::Model,
    id: i64,
    jar: &CookieJar,
    form: &ActionForm,
    paused: bool,
) -> Result<Response, PageError> {
    csrf::verify(state, jar, &form.csrf_token)?;
    let w = managed(state, account, id).await?;
    let patch = WebhookPatch {
        paused: Some(paused),
        ..WebhookPatch::default()
    };
    state
        .store()
        .update_webhook(w, patch, state.clock().now())
        .await?;
    let done = if paused { "paused" } else { "resumed" };
    Ok(Redirect::to(&format!("/portal/webhooks/{id}?done={done}")).into_response())
}

pub(crate) async fn pause(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(id): Path<i64>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<ActionForm>,
) -> Result<Response, PageError> {
    set_paused(&state, &account, id, &jar, &form, true).await
}

pub(crate) async fn resume(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(id): Path<i64>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<ActionForm>,
) -> Result<Response, PageError> {
    set_paused(&state, &account, id, &jar, &form, false).await
}

/// `POST /portal/webhooks/{id}/delete`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(id): Path<i64>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<ActionForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let w = managed(&state, &account, id).await?;
    state.store().delete_webhook(w.id).await?;
    Ok(Redirect::to("/portal/webhooks?done=deleted").into_response())
}

/// `POST /portal/webhooks/{id}/test`: queues a test event under `trigger` (one the webhook
/// listens to; its first by default).
pub(crate) async fn test(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(id): Path<i64>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<ActionForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let w = managed(&state, &account, id).await?;
    let listens = triggers_of(&w);
    let trigger = if form.trigger.is_empty() {
        listens.first().cloned().unwrap_or_default()
    } else {
        form.trigger.clone()
    };
    if !listens.contains(&trigger) {
        return Err(PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unknown trigger",
            "This webhook does not listen to that trigger.",
        ));
    }
    let renderer = PatreonRenderer::new(crate::patreon_state(&state));
    let body = renderer
        .test_body(w.campaign_id, &trigger, &w.scopes)
        .await?;
    state
        .store()
        .queue_test_delivery(&w, &trigger, body, state.clock().now())
        .await?;
    Ok(Redirect::to(&format!("/portal/webhooks/{id}?done=test")).into_response())
}

/// `POST /portal/webhooks/{id}/deliveries/{delivery}/resend`.
pub(crate) async fn resend(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path((id, delivery)): Path<(i64, i64)>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<ActionForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let w = managed(&state, &account, id).await?;
    let d = state
        .store()
        .delivery(delivery)
        .await?
        .filter(|d| d.webhook_id == w.id)
        .ok_or_else(PageError::not_found)?;
    state.store().resend_delivery(d.id).await?;
    Ok(Redirect::to(&format!("/portal/webhooks/{id}?done=resent")).into_response())
}

fn delivery_view(d: webhook_delivery::Model, attempts: &[delivery_attempt::Model]) -> DeliveryView {
    let attempts = attempts
        .iter()
        .filter(|a| a.delivery_id == d.id)
        .map(|a| AttemptView {
            at: time(Some(&a.attempted_at)),
            headers: serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(
                &a.request_headers,
            )
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned()))
            .collect(),
            status: a
                .response_status
                .map_or_else(|| "no answer".to_owned(), |s| s.to_string()),
            excerpt: a.response_excerpt.clone(),
            error: a.error.clone().unwrap_or_default(),
            latency_ms: a.latency_ms,
        })
        .collect();
    let body = serde_json::from_str::<serde_json::Value>(&d.body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| d.body.clone());
    DeliveryView {
        id: d.id,
        trigger: d.trigger,
        status: d.status,
        created: time(Some(&d.created_at)),
        body,
        attempts,
    }
}

/// `GET /portal/webhooks/{id}`: the webhook and its delivery log.
pub(crate) async fn log(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(id): Path<i64>,
    Query(query): Query<Done>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let w = managed(&state, &account, id).await?;
    let deliveries = state
        .store()
        .recent_deliveries(Some(&[w.id]), LOG_LIMIT)
        .await?;
    let ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
    let attempts = state.store().attempts_of(&ids).await?;
    let hook = hook_views(&state, vec![w])
        .await?
        .pop()
        .ok_or_else(PageError::internal)?;
    let (jar, token) = csrf::token(&state, jar);
    let page = LogPage {
        user: Some(Viewer::from(&account)),
        csrf_token: &token,
        hook,
        deliveries: deliveries
            .into_iter()
            .map(|d| delivery_view(d, &attempts))
            .collect(),
        notice: notice(query.done.as_deref()),
    };
    Ok(no_cache((jar, render(&page)?).into_response()))
}
