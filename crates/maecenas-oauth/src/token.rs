//! The token endpoints: Patreon `POST /api/oauth2/token` (and the legacy `/oauth2/token`) and
//! DonationAlerts `POST /oauth/token`. Each answers in its dialect's shape, always with
//! `Cache-Control: no-store`, and refuses bodies over 16 KiB with a 413 in the OAuth format.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{Request, State},
    response::{IntoResponse, Response},
    routing::post,
};
use maecenas_core::ratelimit::KeyedLimiter;
use serde::Serialize;

use crate::{
    endpoint,
    error::{OAuthError, no_store},
    service::{Flavor, IssuedTokens, OAuthService},
};

/// Largest token-request body accepted.
pub const TOKEN_BODY_LIMIT: usize = 16 * 1024;

/// Patreon's token response (`patreon.md` §3.2; fixtures `oauth_get_tokens.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatreonTokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds; a JSON number (the Java client reads an `int`).
    pub expires_in: i64,
    /// Space-separated.
    pub scope: String,
    pub token_type: &'static str,
    pub version: &'static str,
}

impl From<&IssuedTokens> for PatreonTokenResponse {
    fn from(t: &IssuedTokens) -> Self {
        Self {
            access_token: t.access_token.expose().to_owned(),
            refresh_token: t.refresh_token.expose().to_owned(),
            expires_in: t.expires_in,
            scope: t.scopes.to_string(),
            token_type: "Bearer",
            version: "0.0.1",
        }
    }
}

/// DonationAlerts' token response (`donationalerts-centrifugo.md` §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DonationAlertsTokenResponse {
    pub token_type: &'static str,
    pub expires_in: i64,
    pub access_token: String,
    pub refresh_token: String,
}

impl From<&IssuedTokens> for DonationAlertsTokenResponse {
    fn from(t: &IssuedTokens) -> Self {
        Self {
            token_type: "Bearer",
            expires_in: t.expires_in,
            access_token: t.access_token.expose().to_owned(),
            refresh_token: t.refresh_token.expose().to_owned(),
        }
    }
}

/// The brute-force limits on the token endpoints (security-reliability OA-30, RL-06).
#[derive(Debug, Clone)]
pub struct TokenLimits {
    /// Per `client_id`: guessing a client's secret, codes or refresh tokens.
    pub per_client: Arc<dyn KeyedLimiter>,
    /// Per client address: trying many clients from one place.
    pub per_address: Arc<dyn KeyedLimiter>,
}

#[derive(Debug, Clone)]
struct TokenState {
    service: OAuthService,
    limits: TokenLimits,
}

/// The token routes, over their own state so any application state can merge them.
pub fn router<S: Clone + Send + Sync + 'static>(
    service: OAuthService,
    limits: TokenLimits,
) -> Router<S> {
    Router::new()
        .route("/api/oauth2/token", post(patreon_token))
        .route("/oauth2/token", post(patreon_token))
        .route("/oauth/token", post(donationalerts_token))
        .with_state(TokenState { service, limits })
}

async fn patreon_token(State(state): State<TokenState>, request: Request) -> Response {
    respond(grant(&state, request, Flavor::Patreon).await, |t| {
        Json(PatreonTokenResponse::from(t)).into_response()
    })
}

async fn donationalerts_token(State(state): State<TokenState>, request: Request) -> Response {
    respond(grant(&state, request, Flavor::DonationAlerts).await, |t| {
        Json(DonationAlertsTokenResponse::from(t)).into_response()
    })
}

fn respond(
    result: Result<IssuedTokens, OAuthError>,
    render: impl FnOnce(&IssuedTokens) -> Response,
) -> Response {
    match result {
        Ok(tokens) => {
            let mut response = render(&tokens);
            no_store(response.headers_mut());
            response
        }
        Err(err) => err.into_response(),
    }
}

/// Reads the request, authenticates the client and runs the grant.
async fn grant(
    state: &TokenState,
    request: Request,
    flavor: Flavor,
) -> Result<IssuedTokens, OAuthError> {
    let service = &state.service;
    let (params, credentials) = endpoint::read_request(&state.limits, request).await?;
    if let (Some("refresh_token"), Some(refresh_token)) =
        (params.get("grant_type"), params.get("refresh_token"))
    {
        // The hot path: the client is checked against the row its token's lookup joins.
        return service
            .refresh(&credentials, refresh_token, params.get("scope"), flavor)
            .await;
    }
    let client = service.authenticate(&credentials).await?;
    match params.require("grant_type")? {
        "authorization_code" => {
            service
                .exchange_code(
                    &client,
                    params.require("code")?,
                    params.get("redirect_uri"),
                    params.get("code_verifier"),
                    flavor,
                )
                .await
        }
        "refresh_token" => Err(OAuthError::invalid_request(
            "Missing refresh_token parameter.",
        )),
        _ => Err(OAuthError::unsupported_grant_type()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maecenas_types::{ScopeSet, SecretToken};

    fn issued() -> IssuedTokens {
        IssuedTokens {
            access_token: SecretToken::from_presented("a"),
            refresh_token: SecretToken::from_presented("r"),
            expires_in: 2_678_400,
            scopes: ScopeSet::parse("identity campaigns").unwrap(),
        }
    }

    /// Every key of Patreon's golden token responses, with the same JSON type, plus `version`.
    #[test]
    fn patreon_token_response_matches_the_golden_shape() {
        let ours = serde_json::to_value(PatreonTokenResponse::from(&issued())).unwrap();
        for fixture in ["oauth_get_tokens.json", "oauth_refresh_tokens.json"] {
            let path = format!(
                "{}/../../../shared/fixtures/patreon/v1/{fixture}",
                env!("CARGO_MANIFEST_DIR")
            );
            let golden: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for (key, value) in golden.as_object().unwrap() {
                let mine = &ours[key];
                assert_eq!(
                    std::mem::discriminant(mine),
                    std::mem::discriminant(value),
                    "{fixture}: {key}"
                );
            }
        }
        assert_eq!(
            serde_json::to_string(&PatreonTokenResponse::from(&issued())).unwrap(),
            r#"{"access_token":"a","refresh_token":"r","expires_in":2678400,"scope":"identity campaigns","token_type":"Bearer","version":"0.0.1"}"#
        );
    }

    #[test]
    fn donationalerts_token_response_shape() {
        let ours = serde_json::to_string(&DonationAlertsTokenResponse::from(&issued())).unwrap();
        assert_eq!(
            ours,
            r#"{"token_type":"Bearer","expires_in":2678400,"access_token":"a","refresh_token":"r"}"#
        );
    }
}
