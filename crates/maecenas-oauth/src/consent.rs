//! Consent and what it leaves behind. Showing the consent page stores the checked request under
//! a random challenge bound to the user (10 minutes, single use: OA-09/11); answering spends it
//! and yields the authorization response: a code, an implicit-grant token, or `access_denied`.
//! The user's grants are listed as connected apps and can be revoked with all their tokens.

use chrono::{DateTime, Duration, Utc};
use maecenas_store::{
    entities::oauth_client,
    oauth_consents::NewOAuthConsent,
    oauth_tokens::{ACCESS, NewOAuthToken, Spent},
};
use maecenas_types::{ScopeSet, SecretToken, TokenHash};

use crate::{
    authorize::{
        AuthorizationResponse, AuthorizeErrorCode, AuthorizeRequest, Destination, ResponseType,
    },
    error::OAuthError,
    service::{CodeRequest, DONATIONALERTS_ACCESS_TTL_SECS, OAuthService},
};

/// How long a consent page may be answered.
pub const CONSENT_TTL_SECS: i64 = 600;

/// Why a consent answer was refused (shown on a page of ours, never redirected).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    /// Unknown, already answered, expired, or another user's.
    #[error("This request has already been answered or has expired.")]
    Unusable,
    /// The store failed (logged).
    #[error("server error")]
    Server,
}

impl From<OAuthError> for ConsentError {
    fn from(_: OAuthError) -> Self {
        Self::Server
    }
}

impl From<maecenas_store::StoreError> for ConsentError {
    fn from(err: maecenas_store::StoreError) -> Self {
        OAuthError::from(err).into()
    }
}

/// One application the user has granted access to, all its live grants together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectedApp {
    /// The client's numeric id.
    pub client_id: i64,
    pub name: String,
    pub icon_url: String,
    pub domain: String,
    /// Every scope of every live grant.
    pub scopes: ScopeSet,
    /// The most recent grant.
    pub granted_at: DateTime<Utc>,
}

impl OAuthService {
    /// Stores `request` for `user_id` and returns the challenge the consent form carries.
    pub async fn begin_consent(
        &self,
        user_id: i64,
        request: &AuthorizeRequest,
    ) -> Result<SecretToken, OAuthError> {
        let now = self.now();
        self.store().delete_expired_oauth_consents(now).await?;
        let challenge = SecretToken::generate();
        let destination = &request.destination;
        self.store()
            .create_oauth_consent(
                NewOAuthConsent {
                    challenge_hash: challenge.hash().0,
                    user_id,
                    client_id: destination.client.id,
                    redirect_uri: destination.redirect_uri.clone(),
                    response_type: request.response_type.as_str().to_owned(),
                    scopes: request.scopes.to_string(),
                    state: destination.state.clone(),
                    code_challenge: request.code_challenge.clone(),
                    expires_at: now + Duration::seconds(CONSENT_TTL_SECS),
                },
                now,
            )
            .await?;
        Ok(challenge)
    }

    /// Answers the consent page `challenge` for `user_id`, once. Allowing issues a code (or,
    /// for the implicit grant, an access token); denying answers `access_denied`.
    pub async fn answer_consent(
        &self,
        user_id: i64,
        challenge: &str,
        allow: bool,
        issuer: &str,
    ) -> Result<AuthorizationResponse, ConsentError> {
        let now = self.now();
        let consent = self
            .store()
            .oauth_consent_by_hash(&TokenHash::of(challenge).0)
            .await?
            .filter(|c| c.user_id == user_id && c.used_at.is_none() && c.expires_at > now)
            .ok_or(ConsentError::Unusable)?;
        if self.store().spend_oauth_consent(consent.id, now).await? != Spent::Won {
            return Err(ConsentError::Unusable);
        }
        let client = self
            .store()
            .oauth_client_by_id(consent.client_id)
            .await?
            .ok_or(ConsentError::Unusable)?;
        let response_type =
            ResponseType::parse(&consent.response_type).ok_or(ConsentError::Unusable)?;
        let destination = Destination {
            client,
            redirect_uri: consent.redirect_uri,
            state: consent.state,
            in_fragment: response_type == ResponseType::Token,
        };
        if !allow {
            return Ok(AuthorizationResponse::error(
                &destination,
                AuthorizeErrorCode::AccessDenied,
                "The user denied the request.",
                issuer,
            ));
        }
        let scopes = ScopeSet::parse(&consent.scopes).map_err(|_| ConsentError::Unusable)?;
        let params = match response_type {
            ResponseType::Code => {
                let code = self
                    .issue_code(CodeRequest {
                        client: &destination.client,
                        user_id,
                        redirect_uri: &destination.redirect_uri,
                        scopes: &scopes,
                        code_challenge: consent.code_challenge.as_deref(),
                    })
                    .await?;
                vec![("code", code.expose().to_owned())]
            }
            ResponseType::Token => {
                let (token, expires_in) = self
                    .issue_implicit_token(&destination.client, user_id, &scopes)
                    .await?;
                vec![
                    ("access_token", token.expose().to_owned()),
                    ("token_type", "Bearer".to_owned()),
                    ("expires_in", expires_in.to_string()),
                    ("scope", scopes.to_string()),
                ]
            }
        };
        Ok(AuthorizationResponse::new(&destination, params, issuer))
    }

    /// An access token, without a refresh token, under a new grant (RFC 6749 §4.2.2; the
    /// DonationAlerts implicit grant). Returns the token and its lifetime in seconds.
    pub async fn issue_implicit_token(
        &self,
        client: &oauth_client::Model,
        user_id: i64,
        scopes: &ScopeSet,
    ) -> Result<(SecretToken, i64), OAuthError> {
        let now = self.now();
        let scopes = scopes.to_string();
        let grant = self
            .store()
            .create_oauth_grant(client.id, user_id, &scopes, now)
            .await?;
        let token = SecretToken::generate();
        let expires_in = DONATIONALERTS_ACCESS_TTL_SECS;
        let row = NewOAuthToken {
            token_hash: token.hash().0,
            kind: ACCESS,
            grant_id: grant.id,
            scopes,
            expires_at: now + Duration::seconds(expires_in),
        };
        self.store().create_oauth_tokens(vec![row], now).await?;
        Ok((token, expires_in))
    }

    /// The applications `user_id` has live grants for, most recently granted first.
    pub async fn connected_apps(&self, user_id: i64) -> Result<Vec<ConnectedApp>, OAuthError> {
        let mut apps: Vec<ConnectedApp> = Vec::new();
        for (grant, client) in self.store().live_oauth_grants_of(user_id).await? {
            let scopes = ScopeSet::parse(&grant.scopes).unwrap_or_default();
            match apps.iter_mut().find(|a| a.client_id == client.id) {
                Some(app) => {
                    app.scopes = app.scopes.iter().chain(scopes.iter()).collect();
                }
                None => apps.push(ConnectedApp {
                    client_id: client.id,
                    name: client.name,
                    icon_url: client.icon_url,
                    domain: client.domain,
                    scopes,
                    granted_at: grant.created_at,
                }),
            }
        }
        Ok(apps)
    }

    /// Revokes every grant `user_id` gave the client with numeric id `client_id`, and every
    /// token issued under them. Whether there was anything to revoke.
    pub async fn revoke_connected_app(
        &self,
        user_id: i64,
        client_id: i64,
    ) -> Result<bool, OAuthError> {
        let revoked = self
            .store()
            .revoke_oauth_grants_of(user_id, client_id, self.now())
            .await?;
        Ok(revoked > 0)
    }
}
