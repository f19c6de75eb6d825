//! The caller of an API request: a bearer access token (the scheme matched case-insensitively,
//! as some clients send `bearer`), checked against the authorization server, counted against
//! Patreon's per-client and per-token limits, with the scopes it carries.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
};
use maecenas_types::{Scope, ScopeSet};

use crate::{jsonapi::ApiError, state::PatreonState};

/// Who is asking, and with what scopes.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user the token acts for.
    pub user_id: i64,
    /// The client's numeric id.
    pub client_id: i64,
    /// The token's scopes.
    pub scopes: ScopeSet,
}

impl Caller {
    /// Refuses the request unless the token carries `scope` (401, code 1, naming the scope).
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::missing_scope(scope.as_str()))
        }
    }

    /// Whether the token carries `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.allows(scope)
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<PatreonState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &PatreonState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        let grant = match state.oauth.check_access_token(token).await {
            Ok(Some(grant)) => grant,
            Ok(None) => return Err(ApiError::unauthorized()),
            Err(err) => {
                tracing::error!(error = %err, "checking an access token failed");
                return Err(ApiError::internal());
            }
        };
        let client_key = grant.client_id.to_string();
        let token_key = format!("{}:{}", grant.client_id, grant.user_id);
        for (limiter, key) in [
            (&state.limits.per_client, &client_key),
            (&state.limits.per_token, &token_key),
        ] {
            if let Some(secs) = limiter.check(key).retry_after_secs() {
                return Err(ApiError::throttled(secs));
            }
        }
        Ok(Self {
            user_id: grant.user_id,
            client_id: grant.client_id,
            scopes: grant.scopes,
        })
    }
}
