//! Browser sessions: a random 256-bit token in the cookie, its SHA-256 hash in the database.

use chrono::Duration;
use maecenas_store::{Store, StoreError, entities::user};
use maecenas_types::{SecretToken, SharedClock, TokenHash};

/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::days(30);

/// The sessions service.
#[derive(Debug, Clone)]
pub struct Sessions {
    store: Store,
    clock: SharedClock,
}

impl Sessions {
    /// A service over `store`.
    pub fn new(store: Store, clock: SharedClock) -> Self {
        Self { store, clock }
    }

    /// Starts a session for `user_id`; the returned token goes into the cookie.
    pub async fn start(
        &self,
        user_id: i64,
        user_agent: &str,
        address: &str,
    ) -> Result<SecretToken, StoreError> {
        let token = SecretToken::generate();
        let now = self.clock.now();
        let agent: String = user_agent.chars().take(256).collect();
        self.store
            .create_session(
                user_id,
                token.hash().0,
                agent,
                address.to_owned(),
                now,
                now + SESSION_TTL,
            )
            .await?;
        Ok(token)
    }

    /// The user of a live session.
    pub async fn user(&self, token: &str) -> Result<Option<user::Model>, StoreError> {
        let found = self
            .store
            .session_user(&TokenHash::of(token).0, self.clock.now())
            .await?;
        Ok(found.map(|(_, user)| user))
    }

    /// Ends a session.
    pub async fn end(&self, token: &str) -> Result<(), StoreError> {
        self.store.delete_session(&TokenHash::of(token).0).await
    }
}
