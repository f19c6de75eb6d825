//! Password policy and argon2id hashing. Hashing runs on the blocking pool: it is deliberately
//! slow.

use std::sync::OnceLock;

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

/// Shortest password accepted.
pub const MIN_LEN: usize = 10;
/// Longest password accepted (longer ones only cost hashing time).
pub const MAX_LEN: usize = 128;

/// A few of the most common passwords that pass the length rule.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "password12",
    "password123",
    "qwertyuiop",
    "1q2w3e4r5t",
    "qwerty1234",
    "iloveyou12",
    "0987654321",
    "abcdefghij",
    "letmein123",
];

/// Why a password was refused, in words for the person choosing it.
pub fn check_policy(password: &str, email: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err("Choose a password of at least 10 characters.");
    }
    if chars > MAX_LEN {
        return Err("Choose a password of at most 128 characters.");
    }
    let lower = password.to_lowercase();
    let distinct = {
        let mut seen: Vec<char> = lower.chars().collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    };
    if distinct < 4 || COMMON.contains(&lower.as_str()) {
        return Err("That password is too easy to guess; choose another.");
    }
    let local = email.split('@').next().unwrap_or_default();
    if !local.is_empty() && lower.contains(local) && local.len() >= 4 {
        return Err("Your password must not contain your e-mail address.");
    }
    Ok(())
}

/// Hashes with argon2id and a fresh salt, off the async threads.
pub async fn hash(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Checks `password` against a stored PHC string (or against a dummy hash when there is none,
/// so a missing account costs the same time as a wrong password).
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && known
    })
    .await
    .unwrap_or(false)
}

/// An argon2id hash of a random string nobody knows, made once with the same parameters as real
/// hashes, so verifying against it costs what a real verification does.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let secret = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(secret.as_str().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refuses_weak_passwords() {
        assert!(check_policy("short", "a@b.org").is_err());
        assert!(check_policy("aaaaaaaaaaaa", "a@b.org").is_err());
        assert!(check_policy("password123", "a@b.org").is_err());
        assert!(check_policy("ana-smith-secret", "ana-smith@b.org").is_err());
        assert!(check_policy(&"x1y2".repeat(40), "a@b.org").is_err());
        assert!(check_policy("correct horse battery", "a@b.org").is_ok());
    }

    #[tokio::test]
    async fn hashes_verify() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(h.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(h)).await);
        assert!(!verify("anything at all".into(), None).await);
    }
}
