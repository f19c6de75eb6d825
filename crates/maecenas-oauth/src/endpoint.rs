//! What the client-authenticated endpoints beside the token endpoint share — revocation
//! (RFC 7009) and introspection (RFC 7662): their routes, reading parameters the way the token
//! endpoint does (query, form or JSON; duplicates refused; 16 KiB), the same per-address and
//! per-client brute-force limits (OA-30), and client authentication (`client_secret_post` or
//! Basic).

use std::net::SocketAddr;

use axum::{
    Router,
    body::to_bytes,
    extract::{ConnectInfo, Request},
    http::header,
    routing::{get, post},
};
use maecenas_core::ratelimit::KeyedLimiter;
use maecenas_store::entities::oauth_client;

use crate::{
    error::OAuthError,
    introspect, metadata,
    metadata::Issuer,
    params::{ClientCredentials, TokenParams},
    revoke,
    service::OAuthService,
    token::{TOKEN_BODY_LIMIT, TokenLimits},
};

/// The state of the revocation, introspection and metadata routes.
#[derive(Debug, Clone)]
pub(crate) struct EndpointState {
    pub service: OAuthService,
    pub limits: TokenLimits,
    pub issuer: Issuer,
}

/// `POST /oauth2/revoke` (and `/api/oauth2/revoke`), `POST /oauth2/introspect` (and
/// `/api/oauth2/introspect`) and the RFC 8414 metadata document, over their own state.
pub fn router<S: Clone + Send + Sync + 'static>(
    service: OAuthService,
    limits: TokenLimits,
    issuer: Issuer,
) -> Router<S> {
    let mut routes = Router::new()
        .route("/oauth2/revoke", post(revoke::handle))
        .route("/api/oauth2/revoke", post(revoke::handle))
        .route("/oauth2/introspect", post(introspect::handle))
        .route("/api/oauth2/introspect", post(introspect::handle))
        .route(metadata::WELL_KNOWN, get(metadata::handle));
    if let Some(path) = issuer.well_known_path() {
        routes = routes.route(&path, get(metadata::handle));
    }
    routes.with_state(EndpointState {
        service,
        limits,
        issuer,
    })
}

/// A request's parameters and the client it authenticated as.
#[derive(Debug)]
pub(crate) struct ClientRequest {
    pub params: TokenParams,
    pub client: oauth_client::Model,
}

/// Reads `request`, applies the limits and authenticates the client.
pub(crate) async fn authenticated(
    state: &EndpointState,
    request: Request,
) -> Result<ClientRequest, OAuthError> {
    authenticate_request(&state.service, &state.limits, request).await
}

/// Reads `request`, applies the limits and authenticates the client: what every
/// client-authenticated endpoint (token, revocation, introspection) does first.
pub(crate) async fn authenticate_request(
    service: &OAuthService,
    limits: &TokenLimits,
    request: Request,
) -> Result<ClientRequest, OAuthError> {
    let (params, credentials) = read_request(limits, request).await?;
    let client = service.authenticate(&credentials).await?;
    Ok(ClientRequest { params, client })
}

/// The per-address limit, the 16 KiB body, the parameters from query, form or JSON, the
/// client's credentials and the per-client limit — everything before authentication (which the
/// refresh grant folds into its token lookup).
pub(crate) async fn read_request(
    limits: &TokenLimits,
    request: Request,
) -> Result<(TokenParams, ClientCredentials), OAuthError> {
    let (parts, body) = request.into_parts();
    let address = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
    limit(limits.per_address.as_ref(), &address)?;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > TOKEN_BODY_LIMIT) {
        return Err(OAuthError::payload_too_large());
    }
    let body = to_bytes(body, TOKEN_BODY_LIMIT).await.map_err(|err| {
        if err
            .into_inner()
            .downcast_ref::<http_body_util::LengthLimitError>()
            .is_some()
        {
            OAuthError::payload_too_large()
        } else {
            OAuthError::invalid_request("The request body could not be read.")
        }
    })?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let params = TokenParams::parse(parts.uri.query(), content_type, &body)?;
    let credentials = ClientCredentials::from_request(&parts.headers, &params)?;
    limit(limits.per_client.as_ref(), &credentials.client_id)?;
    Ok((params, credentials))
}

/// Takes one request from `key`'s allowance, or answers `slow_down`.
fn limit(limiter: &dyn KeyedLimiter, key: &str) -> Result<(), OAuthError> {
    match limiter.check(key).retry_after_secs() {
        Some(secs) => Err(OAuthError::slow_down(secs)),
        None => Ok(()),
    }
}
