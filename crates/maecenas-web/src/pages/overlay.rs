//! The alert overlay for an OBS browser source, `/widget/alerts/<secret>`: no login — the
//! random 256-bit secret in the URL is the credential (only its hash is stored). The page embeds
//! a short-lived connection token for its owner; its script (`/static/overlay.js`, ours, no
//! CDN) connects to `/connection/websocket`, asks `…/subscription-token` (authorized by the same
//! secret) for `$alerts:donation_<id>`, shows each donation in turn and reports it shown to
//! `…/shown/<id>`, which sets `is_shown`/`shown_at` as the DonationAlerts API reports them.

use askama::Template;
use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Duration;
use maecenas_realtime::donation_channel;
use maecenas_store::entities::{alert_widget, user};
use maecenas_types::UserId;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::{error::PageError, pages::render, state::AppState};

/// How long the overlay's connection tokens live; the server closes an expired connection
/// (3005) and the script reconnects with a fresh one, recovering what it missed.
const CONNECTION_TTL: Duration = Duration::hours(1);
/// How long each alert stays on screen by default, and the bounds of `?duration=`.
const DEFAULT_DURATION_MS: u32 = 6_000;
const DURATION_RANGE_MS: std::ops::RangeInclusive<u32> = 500..=60_000;

/// The overlay's own policy: its script, its socket and its inline styles, nothing else.
const OVERLAY_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
                           style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                           frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The script, served by us.
const SCRIPT: &str = include_str!("../../static/overlay.js");

#[derive(Template)]
#[template(path = "overlay.html")]
struct OverlayPage<'a> {
    base: &'a str,
    channel: &'a str,
    token: &'a str,
    sound: bool,
    duration_ms: u32,
}

/// `?sound=1|0` (default: the creator's setting) and `?duration=<ms>` per alert.
#[derive(Debug, Deserialize)]
pub(crate) struct OverlayQuery {
    #[serde(default)]
    sound: Option<String>,
    #[serde(default)]
    duration: Option<String>,
}

/// The answer to an unknown or malformed secret, on every overlay route.
fn unknown() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "unknown overlay"})),
    )
        .into_response()
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn resolve(
    state: &AppState,
    secret: &str,
) -> Result<Option<(alert_widget::Model, user::Model)>, PageError> {
    state
        .alerts()
        .widget_by_secret(secret)
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "overlay lookup failed");
            PageError::internal()
        })
}

fn connection_token(state: &AppState, owner: &user::Model) -> Result<String, PageError> {
    let exp = state.clock().now() + CONNECTION_TTL;
    state
        .realtime()
        .issue_connection_token(&owner.id.to_string(), Some(exp))
        .map_err(|err| {
            tracing::error!(error = ?err, "overlay token failed");
            PageError::internal()
        })
}

/// `GET /widget/alerts/{secret}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    Query(query): Query<OverlayQuery>,
) -> Result<Response, PageError> {
    let Some((widget, owner)) = resolve(&state, &secret).await? else {
        return Err(PageError::not_found());
    };
    let sound = match query.sound.as_deref() {
        Some("1" | "true" | "on") => true,
        Some("0" | "false" | "off") => false,
        _ => widget.sound,
    };
    let duration_ms = query
        .duration
        .and_then(|d| d.parse::<u32>().ok())
        .map_or(DEFAULT_DURATION_MS, |d| {
            d.clamp(*DURATION_RANGE_MS.start(), *DURATION_RANGE_MS.end())
        });
    let token = connection_token(&state, &owner)?;
    let base = format!("/widget/alerts/{secret}");
    let channel = donation_channel(UserId(owner.id));
    let page = OverlayPage {
        base: &base,
        channel: &channel,
        token: &token,
        sound,
        duration_ms,
    };
    let mut response = no_store(render(&page)?.into_response());
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(OVERLAY_CSP),
    );
    Ok(response)
}

/// A fresh connection token.
#[derive(Debug, Serialize)]
struct ConnectionToken {
    token: String,
}

/// `POST /widget/alerts/{secret}/connection-token`: for reconnecting after the page's own
/// token expired.
pub(crate) async fn connection(
    State(state): State<AppState>,
    Path(secret): Path<String>,
) -> Result<Response, PageError> {
    let Some((_, owner)) = resolve(&state, &secret).await? else {
        return Ok(unknown());
    };
    let token = connection_token(&state, &owner)?;
    Ok(no_store(Json(ConnectionToken { token }).into_response()))
}

/// `{"client": "<uuid>"}`.
#[derive(Debug, Deserialize)]
pub(crate) struct SubscriptionRequest {
    #[serde(default)]
    client: String,
}

/// The channel and its subscription token.
#[derive(Debug, Serialize)]
struct SubscriptionToken {
    channel: String,
    token: String,
}

/// `POST /widget/alerts/{secret}/subscription-token`: a token for the owner's donation channel
/// and this connection only.
pub(crate) async fn subscription(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    body: Option<Json<SubscriptionRequest>>,
) -> Result<Response, PageError> {
    let Some((_, owner)) = resolve(&state, &secret).await? else {
        return Ok(unknown());
    };
    let client = body.map(|Json(b)| b.client).unwrap_or_default();
    if Uuid::parse_str(&client).is_err() {
        let error = json!({"error": "client must be the connection's UUID"});
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(error)).into_response());
    }
    let channel = donation_channel(UserId(owner.id));
    let token = state
        .realtime()
        .issue_subscription_token(&client, &channel, None)
        .map_err(|err| {
            tracing::error!(error = ?err, "overlay subscription token failed");
            PageError::internal()
        })?;
    Ok(no_store(
        Json(SubscriptionToken { channel, token }).into_response(),
    ))
}

/// `POST /widget/alerts/{secret}/shown/{donation_id}`: 204 once the owner's donation is marked
/// shown (again is fine), 404 for anyone else's.
pub(crate) async fn shown(
    State(state): State<AppState>,
    Path((secret, donation_id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    let Some((_, owner)) = resolve(&state, &secret).await? else {
        return Ok(unknown());
    };
    let marked = state
        .alerts()
        .mark_shown(owner.id, donation_id)
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "marking an alert shown failed");
            PageError::internal()
        })?;
    Ok(match marked {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "unknown donation"})),
        )
            .into_response(),
    })
}

/// `GET /static/overlay.js`.
pub(crate) async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        SCRIPT,
    )
        .into_response()
}
