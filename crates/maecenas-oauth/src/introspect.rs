//! RFC 7662 token introspection, `POST /oauth2/introspect`. Only an authenticated client may
//! ask (401 `invalid_client` otherwise, OA-47), and only about its own tokens: an unknown,
//! expired, revoked, spent or another client's token is exactly `{"active":false}` (OA-48).

use axum::{
    Json,
    extract::{Request, State},
    response::{IntoResponse, Response},
};
use maecenas_store::{
    entities::oauth_client,
    oauth_tokens::{ACCESS, REFRESH, TokenContext},
};
use maecenas_types::TokenHash;
use serde::Serialize;

use crate::{
    endpoint::{EndpointState, authenticated},
    error::{OAuthError, no_store},
    metadata::Issuer,
    service::{OAuthService, parse_stored},
};

/// An introspection response (RFC 7662 §2.2). Inactive tokens carry `active` alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Introspection {
    pub active: bool,
    /// Space-separated scopes of the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The public `client_id` of the client the token was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The user's vanity name, when they chose one (never the e-mail address).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The user's id, as a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// `Bearer` for access tokens; absent for refresh tokens, which are no access-token type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// Expiry, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// This server's issuer identifier (the metadata's `issuer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
}

impl Introspection {
    /// `{"active":false}`.
    pub fn inactive() -> Self {
        Self::default()
    }
}

impl OAuthService {
    /// What `client` may learn about `token` (RFC 7662 §2.1): its own live access or refresh
    /// tokens are described; anything else is inactive.
    pub async fn introspect(
        &self,
        client: &oauth_client::Model,
        token: &str,
        issuer: &Issuer,
    ) -> Result<Introspection, OAuthError> {
        let store = self.store();
        let now = self.now();
        let Some(TokenContext {
            token: row, grant, ..
        }) = store.oauth_token_context(&TokenHash::of(token).0).await?
        else {
            return Ok(Introspection::inactive());
        };
        let token_type = match row.kind.as_str() {
            ACCESS => Some("Bearer"),
            REFRESH if row.used_at.is_none() => None,
            _ => return Ok(Introspection::inactive()),
        };
        if row.revoked_at.is_some() || row.expires_at <= now {
            return Ok(Introspection::inactive());
        }
        if grant.client_id != client.id || grant.revoked_at.is_some() {
            return Ok(Introspection::inactive());
        }
        let Some(user) = store.user_by_id(grant.user_id).await? else {
            return Ok(Introspection::inactive());
        };
        Ok(Introspection {
            active: true,
            scope: Some(parse_stored(&row.scopes).to_string()),
            client_id: Some(client.client_id.clone()),
            username: user.vanity.filter(|v| !v.is_empty()),
            sub: Some(user.id.to_string()),
            token_type,
            exp: Some(row.expires_at.timestamp()),
            iat: Some(row.created_at.timestamp()),
            iss: Some(issuer.as_str().to_owned()),
        })
    }
}

pub(crate) async fn handle(State(state): State<EndpointState>, request: Request) -> Response {
    match introspect(&state, request).await {
        Ok(answer) => {
            let mut response = Json(answer).into_response();
            no_store(response.headers_mut());
            response
        }
        Err(err) => err.into_response(),
    }
}

async fn introspect(state: &EndpointState, request: Request) -> Result<Introspection, OAuthError> {
    let request = authenticated(state, request).await?;
    let token = request.params.require("token")?;
    state
        .service
        .introspect(&request.client, token, &state.issuer)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inactive_is_active_false_alone() {
        assert_eq!(
            serde_json::to_string(&Introspection::inactive()).unwrap(),
            r#"{"active":false}"#
        );
    }
}
