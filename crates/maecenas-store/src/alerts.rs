//! What DonationAlerts clients read and write: a page of a creator's donations with the total
//! count, and custom alerts (each created with its `custom_alert:create` event in one
//! transaction).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::{
    Store, StoreError,
    entities::{custom_alert, donation},
    events::{self, Change},
};

/// A custom alert to record.
#[derive(Debug, Clone)]
pub struct NewCustomAlert {
    /// The streamer whose overlay shows it.
    pub user_id: i64,
    /// The application's own id for it.
    pub external_id: Option<String>,
    pub header: String,
    pub message: String,
    pub image_url: Option<String>,
    pub sound_url: Option<String>,
    /// Whether it counts as shown already (then `shown_at` is the creation time).
    pub is_shown: bool,
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Donations to `recipient_user_id`, newest (highest id) first, skipping `offset` and
    /// taking at most `limit`, with how many there are in all.
    pub async fn donations_page(
        &self,
        recipient_user_id: i64,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<donation::Model>, u64), StoreError> {
        let of_recipient = donation::Entity::find()
            .filter(donation::Column::RecipientUserId.eq(recipient_user_id));
        let total = of_recipient.clone().count(self.db()).await?;
        let rows = of_recipient
            .order_by_desc(donation::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(self.db())
            .await?;
        Ok((rows, total))
    }

    /// Records a custom alert and its `custom_alert:create` event in one transaction.
    pub async fn create_custom_alert(
        &self,
        new: NewCustomAlert,
    ) -> Result<custom_alert::Model, StoreError> {
        let txn = self.begin_write().await?;
        let row = custom_alert::ActiveModel {
            user_id: Set(new.user_id),
            external_id: Set(new.external_id),
            header: Set(new.header),
            message: Set(new.message),
            image_url: Set(new.image_url),
            sound_url: Set(new.sound_url),
            is_shown: Set(new.is_shown),
            shown_at: Set(new.is_shown.then_some(new.created_at)),
            created_at: Set(new.created_at),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let change = Change {
            kind: events::CUSTOM_ALERT_CREATE,
            user_id: Some(row.user_id),
            campaign_id: None,
            subject_type: "custom_alert",
            subject_id: row.id.to_string(),
        };
        events::record(&txn, change, row.created_at).await?;
        txn.commit().await?;
        self.signals().events_written();
        Ok(row)
    }
}

impl Store {
    /// The donation with this id.
    pub async fn donation_by_id(&self, id: i64) -> Result<Option<donation::Model>, StoreError> {
        Ok(donation::Entity::find_by_id(id).one(self.db()).await?)
    }
}
