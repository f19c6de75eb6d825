//! Signatures a receiver checks: Patreon's `X-Patreon-Signature` (hex HMAC-MD5 of the exact body
//! keyed with the webhook's secret, `patreon.md` §7.2) and the Standard Webhooks
//! `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed with the
//! base64-decoded part of a `whsec_` secret; `security-reliability.md` WH-01..03).
//!
//! One secret serves both: it is `whsec_` + base64 of 32 random bytes; Patreon's integrations
//! key HMAC-MD5 with the whole string as they receive it.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use md5::Md5;
use rand::RngCore;
use sha2::Sha256;

/// The prefix Standard Webhooks gives symmetric secrets.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new webhook secret: `whsec_` + base64 of 32 bytes from the OS CSPRNG (256 bits).
pub fn generate_secret() -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// `X-Patreon-Signature`: lowercase hex HMAC-MD5 of `body` keyed with `secret` as given.
pub fn patreon_signature(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Md5>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The key Standard Webhooks signs with: the base64 after `whsec_`, decoded; a secret without
/// that form is used as raw bytes.
pub fn standard_key(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix(SECRET_PREFIX)
        .and_then(|b64| STANDARD.decode(b64).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

/// `webhook-signature`: `v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}">`.
pub fn standard_signature(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `patreon.md` §7.2.
    #[test]
    fn patreon_test_vector() {
        assert_eq!(
            patreon_signature(
                "hereisaverycomplexsecret",
                br#"{"data":{"id":"1","type":"member"}}"#
            ),
            "b5f438cd7c9c33d66c91e92ec92fdd88"
        );
    }

    /// The Standard Webhooks reference library's `test_sign` vector.
    #[test]
    fn standard_webhooks_test_vector() {
        let key = standard_key("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
        assert_eq!(
            standard_signature(
                &key,
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1_649_367_553,
                br#"{"email":"test@example.com","username":"test_user"}"#
            ),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn secrets_are_256_bit_and_standard_form() {
        let a = generate_secret();
        assert!(a.starts_with(SECRET_PREFIX));
        assert_eq!(standard_key(&a).len(), 32);
        assert_ne!(a, generate_secret());
    }
}
