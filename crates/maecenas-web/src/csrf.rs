//! CSRF protection for every form: a signed double-submit token. A random value lives in an
//! HttpOnly, SameSite=Strict cookie; forms carry HMAC-SHA256(key, value). A cross-site page can
//! neither read the cookie nor compute the token.

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use hmac::{Hmac, Mac};
use maecenas_types::SecretToken;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::{error::PageError, state::AppState};

const COOKIE: &str = "maecenas_csrf";

/// The key CSRF tokens are signed with, derived from the instance's secret.
#[derive(Clone)]
pub(crate) struct CsrfKey([u8; 32]);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(<redacted>)")
    }
}

impl CsrfKey {
    pub(crate) fn derive(secret: &[u8; 32]) -> Self {
        Self(derive_key(secret, b"maecenas csrf key v1"))
    }

    fn sign(&self, value: &str) -> String {
        hex::encode(hmac(&self.0, value.as_bytes()))
    }
}

/// A purpose-bound key: HMAC-SHA256(instance secret, label).
pub(crate) fn derive_key(secret: &[u8; 32], label: &[u8]) -> [u8; 32] {
    hmac(secret, label)
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The token to put in a form, setting the cookie first if the browser has none.
pub(crate) fn token(state: &AppState, jar: CookieJar) -> (CookieJar, String) {
    if let Some(existing) = jar.get(COOKIE).map(|c| c.value().to_owned()) {
        let token = state.csrf().sign(&existing);
        return (jar, token);
    }
    let value = SecretToken::generate().expose().to_owned();
    let token = state.csrf().sign(&value);
    let cookie = Cookie::build((COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings().secure_cookies())
        .build();
    (jar.add(cookie), token)
}

/// Checks a submitted form's token against the cookie.
pub(crate) fn verify(state: &AppState, jar: &CookieJar, submitted: &str) -> Result<(), PageError> {
    let expected = jar.get(COOKIE).map(|c| state.csrf().sign(c.value()));
    match expected {
        Some(expected) if bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) => Ok(()),
        _ => Err(PageError::csrf()),
    }
}
