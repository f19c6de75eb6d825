//! Random secrets (256 bits from the OS CSPRNG) and the hashes stored in their place.

use std::fmt;

use rand::RngCore;
use sha2::{Digest, Sha256};

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
    /// Hashes `secret`.
    pub fn of(secret: &str) -> Self {
        Self(hex::encode(Sha256::digest(secret.as_bytes())))
    }
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
}
