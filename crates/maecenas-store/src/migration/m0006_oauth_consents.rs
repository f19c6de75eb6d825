//! Pending consents: one row per consent page shown, holding the authorization request it
//! answers (client, redirect URI, scopes, state, PKCE challenge) bound to the user who saw it.
//! The form carries only a random challenge whose hash is here; answering spends the row once.

use sea_orm_migration::prelude::*;

use super::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let consents = table(
            "oauth_consents",
            vec![
                id(),
                text("challenge_hash"),
                int("user_id"),
                int("client_id"),
                text("redirect_uri"),
                text("response_type"),
                text_default("scopes", ""),
                text_null("state"),
                text_null("code_challenge"),
                time("expires_at"),
                time_null("used_at"),
                time("created_at"),
            ],
        );
        create(
            manager,
            vec![(
                consents,
                vec![
                    fk("oauth_consents", "user_id", "users", true),
                    fk("oauth_consents", "client_id", "oauth_clients", true),
                ],
            )],
            vec![index("oauth_consents", &["challenge_hash"], true)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["oauth_consents"]).await
    }
}
