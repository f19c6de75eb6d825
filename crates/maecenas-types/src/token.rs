//! Random secrets (256 bits from the OS CSPRNG) and the hashes stored in their place.

use std::fmt;

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Hex digits of issue time in front of an ordered secret ([`SecretToken::generate_ordered`]).
const ORDER_DIGITS: usize = 12;

/// A freshly generated secret: 32 random bytes, shown as 64 hex characters. Only its
/// [`TokenHash`] is ever stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// 256 bits from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = [0_u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }

    /// A secret that starts with `at_millis` (milliseconds since the epoch) in 12 hex digits,
    /// followed by 256 random bits in 64: 76 characters. Its hash keeps that prefix
    /// ([`TokenHash::of`]), so secrets issued one after another sit side by side in the unique
    /// index they are looked up by. A random key lands each insert on a different index page,
    /// which SQLite then writes whole to its log and again to the database file; OAuth tokens,
    /// two per refresh, were most of what bench/oauth wrote. The prefix tells only when the
    /// secret was issued.
    pub fn generate_ordered(at_millis: u64) -> Self {
        let order = at_millis & ((1 << (4 * ORDER_DIGITS)) - 1);
        Self(format!("{order:012x}{}", Self::generate().0))
    }

    /// Wraps a secret received from a client.
    pub fn from_presented(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret's text, to hand to its owner once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash to store and look up by.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// SHA-256 of a high-entropy secret, hex-encoded. A fast hash is right here: the secrets are 256
/// random bits, so there is nothing to brute-force (passwords use argon2id instead).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(pub String);

impl TokenHash {
    /// Hashes `secret`; an ordered secret's hash starts with the secret's time prefix.
    pub fn of(secret: &str) -> Self {
        let digest = hex::encode(Sha256::digest(secret.as_bytes()));
        match ordered_prefix(secret) {
            Some(prefix) => Self(format!("{prefix}{digest}")),
            None => Self(digest),
        }
    }
}

/// The time prefix of a secret shaped as [`SecretToken::generate_ordered`] makes them.
fn ordered_prefix(secret: &str) -> Option<&str> {
    let shaped = secret.len() == ORDER_DIGITS + 64
        && secret
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    shaped.then(|| &secret[..ORDER_DIGITS])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = SecretToken::generate();
        let b = SecretToken::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 64);
        assert_eq!(a.hash(), TokenHash::of(a.expose()));
        assert_ne!(a.hash().0, a.expose());
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn ordered_tokens_sort_by_time_and_keep_it_in_their_hash() {
        let early = SecretToken::generate_ordered(1_750_000_000_000);
        let late = SecretToken::generate_ordered(1_750_000_000_001);
        assert_eq!(early.expose().len(), 76);
        assert_eq!(&early.expose()[..12], "01977420dc00");
        assert!(early.hash().0 < late.hash().0, "hashes sort by issue time");
        assert_eq!(early.hash().0.len(), 76);
        assert!(early.hash().0.starts_with("01977420dc00"));
        assert_eq!(
            &early.hash().0[12..],
            hex::encode(Sha256::digest(early.expose().as_bytes())),
            "the rest is the SHA-256 of the whole secret"
        );
        assert_ne!(early, SecretToken::generate_ordered(1_750_000_000_000));
        // Anything else hashes as before: plain SHA-256.
        assert_eq!(TokenHash::of("abc").0.len(), 64);
        assert_eq!(TokenHash::of(&early.expose().to_uppercase()).0.len(), 64);
    }
}
