//! The caller of an API request: a bearer access token (scheme matched case-insensitively),
//! checked against the authorization server, then counted against the application's limit of
//! 60 requests a minute (Laravel's order: `auth:api`, then `throttle`, then the scope check).

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
    response::{IntoResponse, Response},
};
use maecenas_types::{Scope, ScopeSet};

use crate::{
    error::{ApiError, append_headers},
    state::DonationAlertsState,
};

/// Who is asking, and with what scopes.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user the token acts for.
    pub user_id: i64,
    /// The application's numeric id.
    pub client_id: i64,
    /// The token's scopes.
    pub scopes: ScopeSet,
    /// `X-RateLimit-Limit`/`-Remaining` (and the IETF fields) for the answer, as Laravel's
    /// throttle sends them on every response.
    pub limit_headers: Vec<(&'static str, String)>,
}

impl Caller {
    /// Refuses the request with 403 unless the token carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::MissingScope)
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

/// An answer carrying the caller's rate-limit headers.
#[derive(Debug)]
pub struct Limited<T>(pub Vec<(&'static str, String)>, pub T);

impl<T: IntoResponse> IntoResponse for Limited<T> {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        append_headers(&mut response, &self.0);
        response
    }
}

impl FromRequestParts<DonationAlertsState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &DonationAlertsState,
    ) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(ApiError::Unauthenticated)?;
        let grant = match state.oauth.check_access_token(token).await {
            Ok(Some(grant)) => grant,
            Ok(None) => return Err(ApiError::Unauthenticated),
            Err(err) => return Err(ApiError::internal(&err)),
        };
        let decision = state.limit.check(&grant.client_id.to_string());
        if !decision.is_allowed() {
            return Err(ApiError::Throttled(decision.headers(state.limit.rate())));
        }
        Ok(Self {
            user_id: grant.user_id,
            client_id: grant.client_id,
            scopes: grant.scopes,
            limit_headers: decision.headers(state.limit.rate()),
        })
    }
}
