//! The OAuth 2.0 provider: registered clients, grants (a user's consent to a client),
//! authorization codes and access/refresh tokens. Secrets and tokens are stored as hashes only.

use sea_orm_migration::prelude::*;

use super::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let clients = table(
            "oauth_clients",
            vec![
                id(),
                text("client_id"),
                text_null("secret_hash"),
                int("owner_user_id"),
                text("name"),
                text_default("description", ""),
                text_default("author_name", ""),
                text_default("domain", ""),
                text_default("redirect_uris", "[]"),
                text_default("icon_url", ""),
                text_default("privacy_policy_url", ""),
                text_default("tos_url", ""),
                int_default("api_version", 2),
                text_default("default_scopes", ""),
                time("created_at"),
                time("updated_at"),
            ],
        );
        let grants = table(
            "oauth_grants",
            vec![
                id(),
                int("client_id"),
                int("user_id"),
                text_default("scopes", ""),
                time("created_at"),
                time_null("revoked_at"),
            ],
        );
        let codes = table(
            "oauth_codes",
            vec![
                id(),
                text("code_hash"),
                int("grant_id"),
                text("redirect_uri"),
                text_default("scopes", ""),
                text_null("code_challenge"),
                text_null("code_challenge_method"),
                time("expires_at"),
                time_null("used_at"),
                time("created_at"),
            ],
        );
        let tokens = table(
            "oauth_tokens",
            vec![
                id(),
                text("token_hash"),
                text("kind"),
                int("grant_id"),
                text_default("scopes", ""),
                time("expires_at"),
                time_null("used_at"),
                time_null("revoked_at"),
                time("created_at"),
            ],
        );
        create(
            manager,
            vec![
                (
                    clients,
                    vec![fk("oauth_clients", "owner_user_id", "users", true)],
                ),
                (
                    grants,
                    vec![
                        fk("oauth_grants", "client_id", "oauth_clients", true),
                        fk("oauth_grants", "user_id", "users", true),
                    ],
                ),
                (
                    codes,
                    vec![fk("oauth_codes", "grant_id", "oauth_grants", true)],
                ),
                (
                    tokens,
                    vec![fk("oauth_tokens", "grant_id", "oauth_grants", true)],
                ),
            ],
            vec![
                index("oauth_clients", &["client_id"], true),
                index("oauth_clients", &["owner_user_id"], false),
                index("oauth_grants", &["user_id", "client_id"], false),
                index("oauth_codes", &["code_hash"], true),
                index("oauth_tokens", &["token_hash"], true),
                index("oauth_tokens", &["grant_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(
            manager,
            &[
                "oauth_tokens",
                "oauth_codes",
                "oauth_grants",
                "oauth_clients",
            ],
        )
        .await
    }
}
