//! The alert overlay's credential: one row per creator holding the SHA-256 of the random
//! 256-bit secret in their `/widget/alerts/<secret>` URL (the secret itself is shown once), and
//! whether the overlay plays a sound.

use sea_orm_migration::prelude::*;

use super::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let widgets = table(
            "alert_widgets",
            vec![
                id(),
                int("user_id"),
                text("secret_hash"),
                flag("sound", false),
                time("created_at"),
            ],
        );
        create(
            manager,
            vec![(widgets, vec![fk("alert_widgets", "user_id", "users", true)])],
            vec![
                index("alert_widgets", &["user_id"], true),
                index("alert_widgets", &["secret_hash"], true),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["alert_widgets"]).await
    }
}
