//! Alert overlays: each creator's `/widget/alerts/<secret>` credential (only the secret's hash
//! is kept), its sound setting, and marking a donation's alert shown.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};

use crate::{
    Store, StoreError,
    entities::{alert_widget, donation},
};

impl Store {
    /// `user_id`'s overlay, if they made one.
    pub async fn alert_widget_of(
        &self,
        user_id: i64,
    ) -> Result<Option<alert_widget::Model>, StoreError> {
        Ok(alert_widget::Entity::find()
            .filter(alert_widget::Column::UserId.eq(user_id))
            .one(self.db())
            .await?)
    }

    /// The overlay whose secret hashes to `secret_hash`.
    pub async fn alert_widget_by_secret_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<alert_widget::Model>, StoreError> {
        Ok(alert_widget::Entity::find()
            .filter(alert_widget::Column::SecretHash.eq(secret_hash))
            .one(self.db())
            .await?)
    }

    /// Gives `user_id`'s overlay a new secret (creating the overlay, silent, on first use); the
    /// old secret stops working at once. One upsert, so it never reads before it writes.
    pub async fn replace_alert_widget_secret(
        &self,
        user_id: i64,
        secret_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<alert_widget::Model, StoreError> {
        let row = alert_widget::ActiveModel {
            user_id: Set(user_id),
            secret_hash: Set(secret_hash.to_owned()),
            sound: Set(false),
            created_at: Set(at),
            ..Default::default()
        };
        alert_widget::Entity::insert(row)
            .on_conflict(
                OnConflict::column(alert_widget::Column::UserId)
                    .update_columns([
                        alert_widget::Column::SecretHash,
                        alert_widget::Column::CreatedAt,
                    ])
                    .to_owned(),
            )
            .exec(self.db())
            .await?;
        self.alert_widget_of(user_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Turns `user_id`'s overlay sound on or off; false when they have no overlay.
    pub async fn set_alert_widget_sound(
        &self,
        user_id: i64,
        sound: bool,
    ) -> Result<bool, StoreError> {
        let done = alert_widget::Entity::update_many()
            .col_expr(alert_widget::Column::Sound, Expr::value(sound))
            .filter(alert_widget::Column::UserId.eq(user_id))
            .exec(self.db())
            .await?;
        Ok(done.rows_affected > 0)
    }

    /// Marks donation `id` to `recipient_user_id` shown at `at`, unless it was already (the
    /// first showing's time stays). `None` when there is no such donation to that recipient.
    pub async fn mark_donation_shown(
        &self,
        recipient_user_id: i64,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<donation::Model>, StoreError> {
        let of_recipient = || {
            donation::Entity::find_by_id(id)
                .filter(donation::Column::RecipientUserId.eq(recipient_user_id))
        };
        donation::Entity::update_many()
            .col_expr(donation::Column::IsShown, Expr::value(true))
            .col_expr(donation::Column::ShownAt, Expr::value(at))
            .filter(donation::Column::Id.eq(id))
            .filter(donation::Column::RecipientUserId.eq(recipient_user_id))
            .filter(donation::Column::IsShown.eq(false))
            .exec(self.db())
            .await?;
        Ok(of_recipient().one(self.db()).await?)
    }
}
