//! Token verification: good tokens, wrong algorithm, wrong key, expiry, wrong channel or client.

use chrono::Duration;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use super::*;

const CLIENT: &str = "5b1f6a4e-6c2e-4a43-9d8e-0a4f3b2c1d00";
const CHANNEL: &str = "$alerts:donation_42";

fn key() -> TokenKey {
    TokenKey::new([9; 32])
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

#[test]
fn connection_token_round_trip() {
    let token = key().issue_connection_token("42", None).unwrap();
    let claims = key().verify_connection(&token, now()).unwrap();
    assert_eq!(
        claims,
        ConnectionClaims {
            user: "42".into(),
            exp: None
        }
    );
    let exp = now() + Duration::hours(1);
    let token = key().issue_connection_token("42", Some(exp)).unwrap();
    let claims = key().verify_connection(&token, now()).unwrap();
    assert_eq!(claims.exp, Some(exp.timestamp()));
}

#[test]
fn expired_connection_token() {
    let token = key()
        .issue_connection_token("42", Some(now() - Duration::seconds(1)))
        .unwrap();
    assert_eq!(
        key().verify_connection(&token, now()),
        Err(TokenError::Expired)
    );
    // Valid until the second of `exp`, exclusive.
    let token = key().issue_connection_token("42", Some(now())).unwrap();
    assert_eq!(
        key().verify_connection(&token, now()),
        Err(TokenError::Expired)
    );
}

#[test]
fn not_yet_valid_is_expired() {
    let claims = serde_json::json!({"sub": "42", "nbf": now().timestamp() + 10});
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&[9; 32]),
    )
    .unwrap();
    assert_eq!(
        key().verify_connection(&token, now()),
        Err(TokenError::Expired)
    );
}

#[test]
fn wrong_key_is_invalid() {
    let token = TokenKey::new([1; 32])
        .issue_connection_token("42", None)
        .unwrap();
    assert_eq!(
        key().verify_connection(&token, now()),
        Err(TokenError::Invalid)
    );
}

#[test]
fn other_algorithms_are_refused() {
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = jsonwebtoken::encode(
            &Header::new(alg),
            &serde_json::json!({"sub": "42"}),
            &EncodingKey::from_secret(&[9; 32]),
        )
        .unwrap();
        assert_eq!(
            key().verify_connection(&token, now()),
            Err(TokenError::Invalid),
            "{alg:?}"
        );
    }
    // alg:none, unsigned.
    let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiI0MiJ9.";
    assert_eq!(
        key().verify_connection(none, now()),
        Err(TokenError::Invalid)
    );
    // Algorithm confusion: an RS256 header over a valid HMAC-SHA256 signature.
    let message = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiJ9";
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(&[9; 32]),
        Algorithm::HS256,
    )
    .unwrap();
    assert_eq!(
        key().verify_connection(&format!("{message}.{signature}"), now()),
        Err(TokenError::Invalid)
    );
}

#[test]
fn garbage_numeric_sub_and_empty_sub_are_invalid() {
    assert_eq!(
        key().verify_connection("not a jwt", now()),
        Err(TokenError::Invalid)
    );
    for claims in [
        serde_json::json!({"sub": 42}),
        serde_json::json!({"sub": ""}),
        serde_json::json!({}),
    ] {
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&[9; 32]),
        )
        .unwrap();
        assert_eq!(
            key().verify_connection(&token, now()),
            Err(TokenError::Invalid),
            "{claims}"
        );
    }
}

#[test]
fn subscription_token_round_trip_and_binding() {
    let token = key()
        .issue_subscription_token(CLIENT, CHANNEL, None)
        .unwrap();
    assert_eq!(
        key().verify_subscription(&token, CLIENT, CHANNEL, now()),
        Ok(SubscriptionClaims { exp: None })
    );
    assert_eq!(
        key().verify_subscription(&token, CLIENT, "$alerts:donation_43", now()),
        Err(TokenError::Mismatch)
    );
    assert_eq!(
        key().verify_subscription(&token, "another-client", CHANNEL, now()),
        Err(TokenError::Mismatch)
    );
}

#[test]
fn expired_subscription_token() {
    let token = key()
        .issue_subscription_token(CLIENT, CHANNEL, Some(now() - Duration::seconds(5)))
        .unwrap();
    assert_eq!(
        key().verify_subscription(&token, CLIENT, CHANNEL, now()),
        Err(TokenError::Expired)
    );
}

#[test]
fn the_two_kinds_do_not_stand_in_for_each_other() {
    let sub = key()
        .issue_subscription_token(CLIENT, CHANNEL, None)
        .unwrap();
    assert_eq!(
        key().verify_connection(&sub, now()),
        Err(TokenError::Invalid)
    );
    let conn = key().issue_connection_token("42", None).unwrap();
    assert_eq!(
        key().verify_subscription(&conn, CLIENT, CHANNEL, now()),
        Err(TokenError::Invalid)
    );
}
