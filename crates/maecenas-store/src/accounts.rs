//! Users and sessions.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::{
    Store, StoreError,
    entities::{session, user},
};

/// What it takes to create an account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    /// argon2id PHC string, or `None` for an account that cannot log in.
    pub password_hash: Option<String>,
    pub full_name: String,
    pub vanity: Option<String>,
}

impl Store {
    /// Creates an account. A taken e-mail or vanity is [`StoreError::Conflict`].
    pub async fn create_user(
        &self,
        new: NewUser,
        now: DateTime<Utc>,
    ) -> Result<user::Model, StoreError> {
        let (first, last) = split_name(&new.full_name);
        let row = user::ActiveModel {
            email: Set(new.email),
            password_hash: Set(new.password_hash),
            first_name: Set(first),
            last_name: Set(last),
            full_name: Set(new.full_name),
            vanity: Set(new.vanity),
            about: Set(String::new()),
            image_url: Set(String::new()),
            thumb_url: Set(String::new()),
            language: Set("en".to_owned()),
            is_email_verified: Set(false),
            hide_pledges: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        Ok(row.insert(self.db()).await?)
    }

    /// The account with this (normalised) e-mail.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<user::Model>, StoreError> {
        Ok(user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(self.db())
            .await?)
    }

    /// The account with this id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<user::Model>, StoreError> {
        Ok(user::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// Every account, oldest first.
    pub async fn list_users(&self) -> Result<Vec<user::Model>, StoreError> {
        Ok(user::Entity::find()
            .order_by_asc(user::Column::Id)
            .all(self.db())
            .await?)
    }

    /// How many accounts exist.
    pub async fn count_users(&self) -> Result<u64, StoreError> {
        Ok(user::Entity::find().count(self.db()).await?)
    }

    /// Updates the editable profile fields.
    pub async fn update_profile(
        &self,
        id: i64,
        full_name: String,
        about: String,
        now: DateTime<Utc>,
    ) -> Result<user::Model, StoreError> {
        let (first, last) = split_name(&full_name);
        let row = user::ActiveModel {
            id: Set(id),
            full_name: Set(full_name),
            first_name: Set(first),
            last_name: Set(last),
            about: Set(about),
            updated_at: Set(now),
            ..Default::default()
        };
        Ok(row.update(self.db()).await?)
    }

    /// Records a new browser session.
    pub async fn create_session(
        &self,
        user_id: i64,
        token_hash: String,
        user_agent: String,
        ip: String,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<session::Model, StoreError> {
        let row = session::ActiveModel {
            token_hash: Set(token_hash),
            user_id: Set(user_id),
            user_agent: Set(user_agent),
            ip: Set(ip),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(expires_at),
            ..Default::default()
        };
        Ok(row.insert(self.db()).await?)
    }

    /// The unexpired session with this token hash, and its user.
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(session::Model, user::Model)>, StoreError> {
        let Some(found) = session::Entity::find()
            .filter(session::Column::TokenHash.eq(token_hash))
            .filter(session::Column::ExpiresAt.gt(now))
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        Ok(self.user_by_id(found.user_id).await?.map(|u| (found, u)))
    }

    /// Ends the session with this token hash (no error if there is none).
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        session::Entity::delete_many()
            .filter(session::Column::TokenHash.eq(token_hash))
            .exec(self.db())
            .await?;
        Ok(())
    }
}

/// "Ada King Lovelace" → ("Ada", "King Lovelace").
fn split_name(full: &str) -> (String, String) {
    let full = full.trim();
    match full.split_once(' ') {
        Some((first, last)) => (first.to_owned(), last.trim().to_owned()),
        None => (full.to_owned(), String::new()),
    }
}
