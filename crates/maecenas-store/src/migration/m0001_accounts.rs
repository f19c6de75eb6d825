//! Users and their browser sessions.

use sea_orm_migration::prelude::*;

use super::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let users = table(
            "users",
            vec![
                id(),
                text("email"),
                text_null("password_hash"),
                text("full_name"),
                text_default("first_name", ""),
                text_default("last_name", ""),
                text_null("vanity"),
                text_default("about", ""),
                text_default("image_url", ""),
                text_default("thumb_url", ""),
                text_default("language", "en"),
                flag("is_email_verified", false),
                flag("hide_pledges", false),
                time("created_at"),
                time("updated_at"),
            ],
        );
        let sessions = table(
            "sessions",
            vec![
                id(),
                text("token_hash"),
                int("user_id"),
                text_default("user_agent", ""),
                text_default("ip", ""),
                time("created_at"),
                time("last_seen_at"),
                time("expires_at"),
            ],
        );
        create(
            manager,
            vec![
                (users, vec![]),
                (sessions, vec![fk("sessions", "user_id", "users", true)]),
            ],
            vec![
                index("users", &["email"], true),
                index("users", &["vanity"], true),
                index("sessions", &["token_hash"], true),
                index("sessions", &["user_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["sessions", "users"]).await
    }
}
