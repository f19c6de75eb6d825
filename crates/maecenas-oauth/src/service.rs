//! The authorization server's logic over the store and the injected clock: registering clients,
//! authenticating them, issuing codes, redeeming codes (single use, PKCE, replay revokes the
//! grant), rotating refresh tokens (reuse revokes the grant) and checking access tokens.

use chrono::{DateTime, Duration, Utc};
use maecenas_core::batch::Batcher;
use maecenas_store::{
    Store,
    entities::{oauth_client, oauth_grant},
    oauth::NewOAuthClient,
    oauth_tokens::{ACCESS, NewOAuthCode, NewOAuthToken, REFRESH, Rotation, Spent, TokenContext},
};
use maecenas_types::{ScopeSet, SecretToken, SharedClock, TokenHash};
use rand::{
    distributions::{Alphanumeric, DistString},
    rngs::OsRng,
};
use subtle::ConstantTimeEq;

use crate::{
    batch::{Lookup, Rotate},
    error::OAuthError,
    params::ClientCredentials,
    pkce, redirect,
};

/// How long an authorization code lives (OA-22: ≤ 60 s).
pub const CODE_TTL_SECS: i64 = 60;
/// Patreon access tokens: 31 days, the `expires_in` Patreon sends (2678400).
pub const PATREON_ACCESS_TTL_SECS: i64 = 2_678_400;
/// DonationAlerts access tokens: one year, Laravel Passport's default.
pub const DONATIONALERTS_ACCESS_TTL_SECS: i64 = 31_536_000;
/// A refresh token unused for this long expires (each refresh mints a fresh one).
pub const REFRESH_TTL_DAYS: i64 = 365;

/// Which API's token endpoint is asking: it sets the access-token lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Patreon `/api/oauth2/token`.
    Patreon,
    /// DonationAlerts `/oauth/token`.
    DonationAlerts,
}

impl Flavor {
    /// The access-token lifetime in seconds.
    pub fn access_ttl_secs(self) -> i64 {
        match self {
            Self::Patreon => PATREON_ACCESS_TTL_SECS,
            Self::DonationAlerts => DONATIONALERTS_ACCESS_TTL_SECS,
        }
    }
}

/// A freshly minted access + refresh pair. The secrets exist only here; the store has hashes.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: SecretToken,
    pub refresh_token: SecretToken,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The access token's scopes.
    pub scopes: ScopeSet,
}

/// A client to register.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub owner_user_id: i64,
    pub name: String,
    pub redirect_uris: Vec<String>,
    /// Scopes asked for when an authorize request names none.
    pub default_scopes: ScopeSet,
}

/// A registered client with its secret, which is shown once and never stored.
#[derive(Debug, Clone)]
pub struct CreatedClient {
    pub id: i64,
    pub client_id: String,
    pub client_secret: SecretToken,
}

/// An authorization code to issue (the authorize endpoint's output, after consent).
#[derive(Debug, Clone, Copy)]
pub struct CodeRequest<'a> {
    pub client: &'a oauth_client::Model,
    pub user_id: i64,
    pub redirect_uri: &'a str,
    pub scopes: &'a ScopeSet,
    /// The S256 `code_challenge`, when the request carried one.
    pub code_challenge: Option<&'a str>,
}

/// What a valid access token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrant {
    pub user_id: i64,
    /// The client's numeric id.
    pub client_id: i64,
    pub grant_id: i64,
    pub scopes: ScopeSet,
    /// When the token stops being valid.
    pub expires_at: DateTime<Utc>,
}

/// The authorization server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OAuthService {
    store: Store,
    /// The rotations' group-commit writer, on a connection of its own (on SQLite its page
    /// cache stays warm from one batch to the next, and it checkpoints less often).
    writer: Store,
    clock: SharedClock,
    lookups: Batcher<Lookup>,
    rotations: Batcher<Rotate>,
}

impl OAuthService {
    /// A service over `store`, reading time from `clock`.
    pub fn new(store: Store, clock: SharedClock) -> Self {
        Self {
            writer: store.own_connection(),
            store,
            clock,
            lookups: Batcher::default(),
            rotations: Batcher::default(),
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Registers a confidential client with a random 48-character `client_id` and secret.
    pub async fn create_client(&self, new: NewClient) -> Result<CreatedClient, OAuthError> {
        if new.redirect_uris.is_empty() {
            return Err(OAuthError::invalid_request(
                "Register at least one redirect URI.",
            ));
        }
        for uri in &new.redirect_uris {
            redirect::check_registrable(uri).map_err(OAuthError::invalid_request)?;
        }
        let client_id = Alphanumeric.sample_string(&mut OsRng, 48);
        let client_secret = SecretToken::generate();
        let row = self
            .store
            .create_oauth_client(
                NewOAuthClient {
                    client_id: client_id.clone(),
                    secret_hash: Some(client_secret.hash().0),
                    owner_user_id: new.owner_user_id,
                    name: new.name,
                    description: String::new(),
                    author_name: String::new(),
                    domain: String::new(),
                    redirect_uris: new.redirect_uris,
                    default_scopes: new.default_scopes.to_string(),
                },
                self.now(),
            )
            .await?;
        Ok(CreatedClient {
            id: row.id,
            client_id,
            client_secret,
        })
    }

    /// The client named by its string `client_id` or, failing that, its numeric id.
    pub async fn find_client(
        &self,
        client_id: &str,
    ) -> Result<Option<oauth_client::Model>, OAuthError> {
        if let Some(client) = self.store.oauth_client_by_client_id(client_id).await? {
            return Ok(Some(client));
        }
        match client_id.parse::<i64>() {
            Ok(id) => Ok(self.store.oauth_client_by_id(id).await?),
            Err(_) => Ok(None),
        }
    }

    /// Authenticates a client at the token endpoint: unknown client, wrong or missing secret
    /// are all `invalid_client` (with a Basic challenge when Basic was used).
    pub async fn authenticate(
        &self,
        credentials: &ClientCredentials,
    ) -> Result<oauth_client::Model, OAuthError> {
        match self.find_client(&credentials.client_id).await? {
            Some(client) => {
                check_secret(client.secret_hash.as_deref(), credentials).map(|()| client)
            }
            None => Err(invalid_client(credentials)),
        }
    }

    /// Issues a single-use code under a new grant.
    pub async fn issue_code(&self, request: CodeRequest<'_>) -> Result<SecretToken, OAuthError> {
        if request
            .code_challenge
            .is_some_and(|challenge| !pkce::is_well_formed(challenge))
        {
            return Err(OAuthError::invalid_request(
                "The code_challenge is malformed.",
            ));
        }
        let now = self.now();
        let scopes = request.scopes.to_string();
        let grant = self
            .store
            .create_oauth_grant(request.client.id, request.user_id, &scopes, now)
            .await?;
        let code = SecretToken::generate();
        self.store
            .create_oauth_code(
                NewOAuthCode {
                    code_hash: code.hash().0,
                    grant_id: grant.id,
                    redirect_uri: request.redirect_uri.to_owned(),
                    scopes,
                    code_challenge: request.code_challenge.map(str::to_owned),
                    expires_at: now + Duration::seconds(CODE_TTL_SECS),
                },
                now,
            )
            .await?;
        Ok(code)
    }

    /// Redeems an authorization code for tokens (RFC 6749 §4.1.3, RFC 7636 §4.6).
    pub async fn exchange_code(
        &self,
        client: &oauth_client::Model,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        flavor: Flavor,
    ) -> Result<IssuedTokens, OAuthError> {
        let invalid = || OAuthError::invalid_grant("The authorization code is invalid.");
        let now = self.now();
        let code = self
            .store
            .oauth_code_by_hash(&TokenHash::of(code).0)
            .await?
            .ok_or_else(invalid)?;
        let grant = self
            .live_grant(code.grant_id, client)
            .await?
            .ok_or_else(invalid)?;
        if code.expires_at <= now {
            return Err(OAuthError::invalid_grant(
                "The authorization code has expired.",
            ));
        }
        let redirect_ok = match redirect_uri {
            Some(given) => given == code.redirect_uri,
            // DonationAlerts clients omit it; fine when it could only have been this one.
            None => {
                redirect::registered(client).as_slice() == std::slice::from_ref(&code.redirect_uri)
            }
        };
        if !redirect_ok {
            return Err(OAuthError::invalid_grant(
                "The redirect_uri does not match the authorization request.",
            ));
        }
        match (&code.code_challenge, code_verifier) {
            (Some(_), None) => return Err(OAuthError::invalid_grant("Missing code_verifier.")),
            (None, Some(_)) => {
                return Err(OAuthError::invalid_grant(
                    "A code_verifier was sent for a code issued without a code_challenge.",
                ));
            }
            (Some(challenge), Some(verifier)) => {
                if !pkce::is_well_formed(verifier) {
                    return Err(OAuthError::invalid_request(
                        "The code_verifier is malformed.",
                    ));
                }
                if !pkce::verify(verifier, challenge) {
                    return Err(OAuthError::invalid_grant("The code_verifier is wrong."));
                }
            }
            (None, None) => {}
        }
        let scopes = parse_stored(&code.scopes);
        let (issued, rows) = mint(grant.id, &scopes, &scopes, flavor, now);
        if code.used_at.is_some()
            || self.store.redeem_oauth_code(code.id, rows, now).await? == Spent::AlreadyUsed
        {
            tracing::warn!(
                grant_id = grant.id,
                "authorization code replayed; grant revoked"
            );
            self.store.revoke_oauth_grant(grant.id, now).await?;
            return Err(OAuthError::invalid_grant(
                "The authorization code was already used.",
            ));
        }
        Ok(issued)
    }

    /// Trades a refresh token for a new pair (RFC 6749 §6), rotating it: a spent refresh
    /// token presented again revokes the whole grant (OA-33/38). The client is authenticated
    /// here, against the client row the token's lookup joins when it names that client (one
    /// query in all), and as [`Self::authenticate`] does otherwise.
    pub async fn refresh(
        &self,
        credentials: &ClientCredentials,
        refresh_token: &str,
        scope: Option<&str>,
        flavor: Flavor,
    ) -> Result<IssuedTokens, OAuthError> {
        let invalid = || OAuthError::invalid_grant("The refresh token is invalid.");
        let now = self.now();
        let context = self.token_context(refresh_token).await?;
        let (client_id, context) = match context {
            Some(c) if c.client.client_id == credentials.client_id => {
                check_secret(c.client.secret_hash.as_deref(), credentials)?;
                (c.client.id, Some(c))
            }
            other => (self.authenticate(credentials).await?.id, other),
        };
        let TokenContext { token, grant, .. } = context
            .filter(|c| c.token.kind == REFRESH && is_live(&c.grant, client_id))
            .ok_or_else(invalid)?;
        if token.revoked_at.is_some() || token.expires_at <= now {
            return Err(invalid());
        }
        let granted = parse_stored(&token.scopes);
        let narrowed = match scope {
            None => granted.clone(),
            Some(text) => {
                let asked =
                    ScopeSet::parse(text).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
                if asked.intersection(&granted) != asked {
                    return Err(OAuthError::invalid_scope(
                        "The scope asked for is wider than the grant.",
                    ));
                }
                asked
            }
        };
        let (issued, rows) = mint(grant.id, &narrowed, &granted, flavor, now);
        if token.used_at.is_some()
            || self
                .rotations
                .call(
                    &self.writer,
                    (
                        Rotation {
                            token_id: token.id,
                            tokens: rows,
                        },
                        now,
                    ),
                )
                .await
                .map_err(|e| OAuthError::server(&e))?
                == Spent::AlreadyUsed
        {
            tracing::warn!(grant_id = grant.id, "refresh token reused; grant revoked");
            self.store.revoke_oauth_grant(grant.id, now).await?;
            return Err(OAuthError::invalid_grant(
                "The refresh token was already used.",
            ));
        }
        Ok(issued)
    }

    /// A token pair for a user without the authorize step: the creator's own token, and
    /// `maecenas admin token issue`.
    pub async fn issue_creator_token(
        &self,
        client: &oauth_client::Model,
        user_id: i64,
        scopes: &ScopeSet,
        flavor: Flavor,
    ) -> Result<IssuedTokens, OAuthError> {
        let now = self.now();
        let grant = self
            .store
            .create_oauth_grant(client.id, user_id, &scopes.to_string(), now)
            .await?;
        let (issued, rows) = mint(grant.id, scopes, scopes, flavor, now);
        self.store.create_oauth_tokens(rows, now).await?;
        Ok(issued)
    }

    /// What a bearer access token grants, or `None` when it is unknown, expired or revoked.
    pub async fn check_access_token(&self, token: &str) -> Result<Option<AccessGrant>, OAuthError> {
        let now = self.now();
        let Some(TokenContext {
            token: row, grant, ..
        }) = self.token_context(token).await?.filter(|c| {
            c.token.kind == ACCESS
                && c.token.revoked_at.is_none()
                && c.token.expires_at > now
                && c.grant.revoked_at.is_none()
        })
        else {
            return Ok(None);
        };
        Ok(Some(AccessGrant {
            user_id: grant.user_id,
            client_id: grant.client_id,
            grant_id: grant.id,
            scopes: parse_stored(&row.scopes),
            expires_at: row.expires_at,
        }))
    }

    /// The stored token `presented` with its grant and client (batched with concurrent
    /// lookups).
    pub(crate) async fn token_context(
        &self,
        presented: &str,
    ) -> Result<Option<TokenContext>, OAuthError> {
        self.lookups
            .call(&self.store, TokenHash::of(presented).0)
            .await
            .map_err(|e| OAuthError::server(&e))
    }

    /// The grant `grant_id` if it belongs to `client` and is not revoked.
    async fn live_grant(
        &self,
        grant_id: i64,
        client: &oauth_client::Model,
    ) -> Result<Option<oauth_grant::Model>, OAuthError> {
        Ok(self
            .store
            .oauth_grant_by_id(grant_id)
            .await?
            .filter(|g| is_live(g, client.id)))
    }
}

/// `Ok` if `credentials` carry the secret whose hash is `stored` (constant-time compare of the
/// hashes), or carry none for a public client (`stored` is none); `invalid_client` otherwise.
fn check_secret(stored: Option<&str>, credentials: &ClientCredentials) -> Result<(), OAuthError> {
    let ok = match (stored, &credentials.secret) {
        (Some(stored), Some(presented)) => bool::from(
            TokenHash::of(presented)
                .0
                .as_bytes()
                .ct_eq(stored.as_bytes()),
        ),
        (None, None) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(invalid_client(credentials))
    }
}

/// `invalid_client`, with a Basic challenge when the credentials came that way.
fn invalid_client(credentials: &ClientCredentials) -> OAuthError {
    let err = OAuthError::invalid_client();
    if credentials.via_basic {
        err.with_basic_challenge()
    } else {
        err
    }
}

/// Whether `grant` belongs to the client numbered `client_id` and is not revoked.
fn is_live(grant: &oauth_grant::Model, client_id: i64) -> bool {
    grant.client_id == client_id && grant.revoked_at.is_none()
}

/// Scopes as this server stored them; names it no longer knows are dropped.
pub(crate) fn parse_stored(text: &str) -> ScopeSet {
    text.split(' ')
        .filter_map(|name| ScopeSet::parse(name).ok())
        .flat_map(|set| set.iter().collect::<Vec<_>>())
        .collect()
}

/// A new access + refresh pair under `grant_id`, and the rows to store for it.
pub(crate) fn mint(
    grant_id: i64,
    access_scopes: &ScopeSet,
    refresh_scopes: &ScopeSet,
    flavor: Flavor,
    now: DateTime<Utc>,
) -> (IssuedTokens, Vec<NewOAuthToken>) {
    let at = u64::try_from(now.timestamp_millis()).unwrap_or_default();
    let access = SecretToken::generate_ordered(at);
    let refresh = SecretToken::generate_ordered(at);
    let expires_in = flavor.access_ttl_secs();
    let rows = vec![
        NewOAuthToken {
            token_hash: access.hash().0,
            kind: ACCESS,
            grant_id,
            scopes: access_scopes.to_string(),
            expires_at: now + Duration::seconds(expires_in),
        },
        NewOAuthToken {
            token_hash: refresh.hash().0,
            kind: REFRESH,
            grant_id,
            scopes: refresh_scopes.to_string(),
            expires_at: now + Duration::days(REFRESH_TTL_DAYS),
        },
    ];
    let issued = IssuedTokens {
        access_token: access,
        refresh_token: refresh,
        expires_in,
        scopes: access_scopes.clone(),
    };
    (issued, rows)
}
