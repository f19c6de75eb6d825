//! Accounts: sign-up with validation, log-in with throttling, profile edits.

use maecenas_store::{Store, StoreError, accounts::NewUser, entities::user};
use maecenas_types::{Email, SharedClock};

use crate::{password, ratelimit::RateLimits};

/// Longest display name accepted.
pub const MAX_NAME_LEN: usize = 100;

/// A sign-up request as a person typed it.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub email: String,
    pub password: String,
    pub name: String,
}

/// Why an account could not be created or changed. Each message is fit to show the person.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A field was refused; the message says which and why.
    #[error("{message}")]
    Invalid {
        /// The form field at fault.
        field: &'static str,
        /// What to fix.
        message: String,
    },
    /// The e-mail address already has an account.
    #[error("An account with that e-mail address already exists.")]
    EmailTaken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a log-in failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown e-mail or wrong password: deliberately the same answer.
    #[error("That e-mail and password do not match an account.")]
    BadCredentials,
    /// Too many attempts for this account or address.
    #[error("Too many attempts. Try again in {retry_after} seconds.")]
    Throttled {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The accounts service.
#[derive(Debug, Clone)]
pub struct Accounts {
    store: Store,
    clock: SharedClock,
    limits: RateLimits,
}

impl Accounts {
    /// A service over `store`, reading time from `clock`, counting log-ins against `limits`.
    pub fn new(store: Store, clock: SharedClock, limits: RateLimits) -> Self {
        Self {
            store,
            clock,
            limits,
        }
    }

    /// Validates and creates an account. Nothing is written unless every field is valid.
    pub async fn sign_up(&self, form: SignUp) -> Result<user::Model, AccountError> {
        let email = Email::parse(&form.email).map_err(|e| AccountError::Invalid {
            field: "email",
            message: e.to_string(),
        })?;
        let name = validate_name(&form.name, &email)?;
        password::check_policy(&form.password, email.as_str()).map_err(|m| {
            AccountError::Invalid {
                field: "password",
                message: m.to_owned(),
            }
        })?;
        if self.store.user_by_email(email.as_str()).await?.is_some() {
            return Err(AccountError::EmailTaken);
        }
        let hash = password::hash(form.password)
            .await
            .map_err(|e| AccountError::Invalid {
                field: "password",
                message: e,
            })?;
        let new = NewUser {
            email: email.to_string(),
            password_hash: Some(hash),
            full_name: name,
            vanity: None,
        };
        match self.store.create_user(new, self.clock.now()).await {
            Err(StoreError::Conflict(_)) => Err(AccountError::EmailTaken),
            other => Ok(other?),
        }
    }

    /// Checks an e-mail and password, counting the attempt against the account and `address`.
    pub async fn log_in(
        &self,
        email: &str,
        password: &str,
        address: &str,
    ) -> Result<user::Model, LoginError> {
        let email = email.trim().to_lowercase();
        for (limiter, key) in [
            (&self.limits.login_account, email.as_str()),
            (&self.limits.login_address, address),
        ] {
            if let Some(retry_after) = limiter.check(key).retry_after_secs() {
                return Err(LoginError::Throttled { retry_after });
            }
        }
        let user = self.store.user_by_email(&email).await?;
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        if password::verify(password.to_owned(), stored).await {
            user.ok_or(LoginError::BadCredentials)
        } else {
            Err(LoginError::BadCredentials)
        }
    }

    /// Changes the display name and the about text.
    pub async fn update_profile(
        &self,
        user: &user::Model,
        name: &str,
        about: &str,
    ) -> Result<user::Model, AccountError> {
        let email = Email::parse(&user.email).map_err(|e| AccountError::Invalid {
            field: "email",
            message: e.to_string(),
        })?;
        let name = validate_name(name, &email)?;
        if about.chars().count() > 2000 {
            return Err(AccountError::Invalid {
                field: "about",
                message: "Keep the about text under 2000 characters.".to_owned(),
            });
        }
        Ok(self
            .store
            .update_profile(user.id, name, about.trim().to_owned(), self.clock.now())
            .await?)
    }
}

/// A trimmed display name of 1–100 characters; the e-mail's local part when left empty.
fn validate_name(name: &str, email: &Email) -> Result<String, AccountError> {
    let name = name.trim();
    if name.chars().count() > MAX_NAME_LEN {
        return Err(AccountError::Invalid {
            field: "name",
            message: format!("Keep your name under {MAX_NAME_LEN} characters."),
        });
    }
    if name.chars().any(char::is_control) {
        return Err(AccountError::Invalid {
            field: "name",
            message: "Your name cannot contain control characters.".to_owned(),
        });
    }
    if name.is_empty() {
        return Ok(email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned());
    }
    Ok(name.to_owned())
}
