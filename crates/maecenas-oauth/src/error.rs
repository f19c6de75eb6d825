//! The token endpoints' one error type: RFC 6749 §5.2 `{"error","error_description"}` bodies
//! with `Cache-Control: no-store`, 401 + `WWW-Authenticate` when HTTP Basic authentication
//! failed, and internal causes logged rather than shown.

use std::borrow::Cow;

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use maecenas_store::StoreError;
use serde::Serialize;

/// The `error` code of an RFC 6749 error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A parameter is missing, repeated, malformed or unsupported.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// The code or refresh token is invalid, expired, revoked, spent or another client's.
    InvalidGrant,
    /// The client may not use this grant type.
    UnauthorizedClient,
    /// The grant type is not one this server supports.
    UnsupportedGrantType,
    /// The scope asked for is unknown or wider than the grant.
    InvalidScope,
    /// Too many requests; retry later (RFC 8628's registered `slow_down`, sent with 429).
    SlowDown,
    /// Something broke on our side (logged, never described).
    ServerError,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::SlowDown => "slow_down",
            Self::ServerError => "server_error",
        }
    }
}

/// A failed token request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    /// The RFC 6749 code.
    pub code: ErrorCode,
    /// The human-readable `error_description`.
    pub description: Cow<'static, str>,
    status: StatusCode,
    basic_challenge: bool,
    retry_after: Option<u64>,
}

impl OAuthError {
    fn new(code: ErrorCode, status: StatusCode, description: Cow<'static, str>) -> Self {
        Self {
            code,
            description,
            status,
            basic_challenge: false,
            retry_after: None,
        }
    }

    /// `invalid_request` (400).
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            ErrorCode::InvalidRequest,
            StatusCode::BAD_REQUEST,
            description.into(),
        )
    }

    /// `invalid_client` (401). Use [`Self::with_basic_challenge`] when the client tried Basic.
    pub fn invalid_client() -> Self {
        Self::new(
            ErrorCode::InvalidClient,
            StatusCode::UNAUTHORIZED,
            "Client authentication failed.".into(),
        )
    }

    /// `invalid_grant` (400).
    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            ErrorCode::InvalidGrant,
            StatusCode::BAD_REQUEST,
            description.into(),
        )
    }

    /// `unauthorized_client` (400).
    pub fn unauthorized_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            ErrorCode::UnauthorizedClient,
            StatusCode::BAD_REQUEST,
            description.into(),
        )
    }

    /// `unsupported_grant_type` (400).
    pub fn unsupported_grant_type() -> Self {
        Self::new(
            ErrorCode::UnsupportedGrantType,
            StatusCode::BAD_REQUEST,
            "The grant type is not supported.".into(),
        )
    }

    /// `invalid_scope` (400).
    pub fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            ErrorCode::InvalidScope,
            StatusCode::BAD_REQUEST,
            description.into(),
        )
    }

    /// A body over the token endpoint's limit: `invalid_request` with status 413.
    pub fn payload_too_large() -> Self {
        Self::new(
            ErrorCode::InvalidRequest,
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.".into(),
        )
    }

    /// `slow_down` (429) with `Retry-After`: the client or address is over its rate.
    pub fn slow_down(retry_after: u64) -> Self {
        let description = format!("Too many requests. Retry after {retry_after} seconds.");
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                ErrorCode::SlowDown,
                StatusCode::TOO_MANY_REQUESTS,
                description.into(),
            )
        }
    }

    /// `server_error` (500); the cause is logged here and not shown.
    pub fn server(cause: &dyn std::error::Error) -> Self {
        tracing::error!(error = %cause, "token endpoint failed");
        Self::new(
            ErrorCode::ServerError,
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server could not handle the request.".into(),
        )
    }

    /// Adds `WWW-Authenticate: Basic realm="maecenas"` (the client authenticated with Basic).
    pub fn with_basic_challenge(mut self) -> Self {
        self.basic_challenge = true;
        self
    }

    /// The HTTP status this error is sent with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<StoreError> for OAuthError {
    fn from(err: StoreError) -> Self {
        Self::server(&err)
    }
}

/// The RFC 6749 §5.2 body.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// The error code.
    pub error: &'static str,
    /// What went wrong, for the developer.
    pub error_description: String,
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code.as_str(),
            error_description: self.description.into_owned(),
        };
        let mut response = (self.status, Json(body)).into_response();
        no_store(response.headers_mut());
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.basic_challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"maecenas\""),
            );
        }
        response
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1), for every token response.
pub fn no_store(headers: &mut axum::http::HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}
