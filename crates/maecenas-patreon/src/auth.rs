//! The caller of an API request: a bearer access token (the scheme matched case-insensitively,
//! as some clients send `bearer`), checked against the authorization server, counted against
//! Patreon's per-client and per-token limits, with the scopes it carries.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
};
use chrono::{DateTime, Utc};
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
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
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

/// The bearer token of a request, if it carries one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl Caller {
    /// Checks the bearer token in `headers` with the authorization server and counts the request
    /// against the limits.
    pub(crate) async fn authenticate(
        state: &PatreonState,
        headers: &HeaderMap,
    ) -> Result<Self, ApiError> {
        let token = bearer(headers).ok_or_else(ApiError::unauthorized)?;
        let grant = match state.oauth.check_access_token(token).await {
            Ok(Some(grant)) => grant,
            Ok(None) => return Err(ApiError::unauthorized()),
            Err(err) => {
                tracing::error!(error = %err, "checking an access token failed");
                return Err(ApiError::internal());
            }
        };
        let caller = Self {
            user_id: grant.user_id,
            client_id: grant.client_id,
            scopes: grant.scopes,
            expires_at: grant.expires_at,
        };
        caller.count(state)?;
        Ok(caller)
    }

    /// Counts one request against Patreon's per-client and per-token limits (429 when over).
    pub(crate) fn count(&self, state: &PatreonState) -> Result<(), ApiError> {
        self.limit_keys().count(state)
    }

    /// The keys this caller is counted under.
    pub(crate) fn limit_keys(&self) -> LimitKeys {
        LimitKeys {
            client: self.client_id.to_string(),
            token: format!("{}:{}", self.client_id, self.user_id),
        }
    }
}

/// A caller's keys in Patreon's two limiters: the client, and the client and user.
#[derive(Debug, Clone)]
pub(crate) struct LimitKeys {
    client: String,
    token: String,
}

impl LimitKeys {
    /// Counts one request under these keys (429 when over).
    pub(crate) fn count(&self, state: &PatreonState) -> Result<(), ApiError> {
        for (limiter, key) in [
            (&state.limits.per_client, &self.client),
            (&state.limits.per_token, &self.token),
        ] {
            if let Some(secs) = limiter.check(key).retry_after_secs() {
                return Err(ApiError::throttled(secs));
            }
        }
        Ok(())
    }
}

impl FromRequestParts<PatreonState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &PatreonState) -> Result<Self, ApiError> {
        // The response cache authenticates (and counts) before the handler runs.
        if let Some(caller) = parts.extensions.get::<Self>() {
            return Ok(caller.clone());
        }
        Self::authenticate(state, &parts.headers).await
    }
}
