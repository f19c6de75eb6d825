//! Connection and subscription JWTs (Centrifugo v2 claims, `specs/donationalerts-centrifugo.md`
//! §2): HS256 only, pinned per key (RFC 8725 §3.1: the header's `alg` is never trusted, `none`
//! and every other algorithm are refused), expiry checked against the injected clock.
//!
//! The two kinds cannot stand in for each other: a connection token must carry a non-empty `sub`
//! string, a subscription token `client` and `channel`, and the tokens this module issues carry
//! only their own kind's claims. The key is dedicated to this use (the web layer derives it from
//! the instance secret with its own label), so no other token of the instance verifies here.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The 32-byte HMAC key tokens are signed with.
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(<redacted>)")
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Bad signature, wrong algorithm, unparsable, or missing claims.
    Invalid,
    /// `exp` has passed or `nbf` has not come yet.
    Expired,
    /// A valid subscription token for another client or channel.
    Mismatch,
}

/// A verified connection token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionClaims {
    /// `sub`: the user id.
    pub user: String,
    /// `exp`, when present (unix seconds).
    pub exp: Option<i64>,
}

/// A verified subscription token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionClaims {
    /// `exp`, when present (unix seconds).
    pub exp: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct ConnectionJwt {
    sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(default, skip_serializing)]
    nbf: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct SubscriptionJwt {
    client: String,
    channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(default, skip_serializing)]
    nbf: Option<i64>,
}

impl TokenKey {
    /// A key from 32 secret bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A connection token for `user_id`, expiring at `exp` if given.
    pub fn issue_connection_token(
        &self,
        user_id: &str,
        exp: Option<DateTime<Utc>>,
    ) -> Result<String, TokenError> {
        let claims = ConnectionJwt {
            sub: user_id.to_owned(),
            exp: exp.map(|t| t.timestamp()),
            nbf: None,
        };
        self.sign(&claims)
    }

    /// A subscription token binding `channel` to the connection `client`.
    pub fn issue_subscription_token(
        &self,
        client: &str,
        channel: &str,
        exp: Option<DateTime<Utc>>,
    ) -> Result<String, TokenError> {
        let claims = SubscriptionJwt {
            client: client.to_owned(),
            channel: channel.to_owned(),
            exp: exp.map(|t| t.timestamp()),
            nbf: None,
        };
        self.sign(&claims)
    }

    /// Verifies a connection token at `now`.
    pub fn verify_connection(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<ConnectionClaims, TokenError> {
        let claims: ConnectionJwt = self.decode(token)?;
        if claims.sub.is_empty() {
            return Err(TokenError::Invalid);
        }
        check_times(claims.exp, claims.nbf, now)?;
        Ok(ConnectionClaims {
            user: claims.sub,
            exp: claims.exp,
        })
    }

    /// Verifies a subscription token at `now` for `client` subscribing to `channel`. Like
    /// Centrifugo, expiry is checked before the binding, so an expired token is
    /// [`TokenError::Expired`] whatever it is for.
    pub fn verify_subscription(
        &self,
        token: &str,
        client: &str,
        channel: &str,
        now: DateTime<Utc>,
    ) -> Result<SubscriptionClaims, TokenError> {
        let claims: SubscriptionJwt = self.decode(token)?;
        check_times(claims.exp, claims.nbf, now)?;
        if claims.client != client || claims.channel != channel {
            return Err(TokenError::Mismatch);
        }
        Ok(SubscriptionClaims { exp: claims.exp })
    }

    fn sign<T: Serialize>(&self, claims: &T) -> Result<String, TokenError> {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(&self.0),
        )
        .map_err(|_| TokenError::Invalid)
    }

    fn decode<T: for<'de> Deserialize<'de>>(&self, token: &str) -> Result<T, TokenError> {
        // Times are checked by `check_times` against the injected clock, not the wall clock.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.required_spec_claims = HashSet::new();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        jsonwebtoken::decode::<T>(token, &DecodingKey::from_secret(&self.0), &validation)
            .map(|data| data.claims)
            .map_err(|_| TokenError::Invalid)
    }
}

/// RFC 7519: the token is valid from `nbf` (inclusive) until `exp` (exclusive).
fn check_times(exp: Option<i64>, nbf: Option<i64>, now: DateTime<Utc>) -> Result<(), TokenError> {
    let now = now.timestamp();
    if exp.is_some_and(|exp| now >= exp) || nbf.is_some_and(|nbf| now < nbf) {
        return Err(TokenError::Expired);
    }
    Ok(())
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
