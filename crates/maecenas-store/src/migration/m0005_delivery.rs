//! What integrations hear about: the event outbox (written in the same transaction as each
//! change), webhooks, their queued deliveries and every delivery attempt.

use sea_orm_migration::prelude::*;

use super::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let events = table(
            "events",
            vec![
                id(),
                text("kind"),
                int_null("user_id"),
                int_null("campaign_id"),
                text("subject_type"),
                text("subject_id"),
                text_default("payload", "{}"),
                time("created_at"),
            ],
        );
        let webhooks = table(
            "webhooks",
            vec![
                id(),
                int("client_id"),
                int("campaign_id"),
                text("uri"),
                text("secret"),
                text_default("triggers", "[]"),
                flag("paused", false),
                int_default("num_consecutive_times_failed", 0),
                time_null("last_attempted_at"),
                time_null("disabled_at"),
                time("created_at"),
                time("updated_at"),
            ],
        );
        let deliveries = table(
            "webhook_deliveries",
            vec![
                id(),
                int("webhook_id"),
                int("event_id"),
                text("trigger"),
                text_default("status", "pending"),
                int_default("attempts", 0),
                time("next_attempt_at"),
                time_null("lease_until"),
                text_null("lease_owner"),
                time_null("last_attempted_at"),
                time_null("delivered_at"),
                time("created_at"),
            ],
        );
        let attempts = table(
            "delivery_attempts",
            vec![
                id(),
                int("delivery_id"),
                time("attempted_at"),
                text_default("request_headers", "{}"),
                text_default("request_body", ""),
                int_null("response_status"),
                text_default("response_excerpt", ""),
                text_null("error"),
                int_default("latency_ms", 0),
            ],
        );
        create(
            manager,
            vec![
                (events, vec![]),
                (
                    webhooks,
                    vec![
                        fk("webhooks", "client_id", "oauth_clients", true),
                        fk("webhooks", "campaign_id", "campaigns", true),
                    ],
                ),
                (
                    deliveries,
                    vec![
                        fk("webhook_deliveries", "webhook_id", "webhooks", true),
                        fk("webhook_deliveries", "event_id", "events", true),
                    ],
                ),
                (
                    attempts,
                    vec![fk(
                        "delivery_attempts",
                        "delivery_id",
                        "webhook_deliveries",
                        true,
                    )],
                ),
            ],
            vec![
                index("events", &["campaign_id", "id"], false),
                index("events", &["user_id", "id"], false),
                index("webhooks", &["client_id"], false),
                index("webhooks", &["campaign_id"], false),
                index(
                    "webhook_deliveries",
                    &["webhook_id", "event_id", "trigger"],
                    true,
                ),
                index("webhook_deliveries", &["status", "next_attempt_at"], false),
                index("delivery_attempts", &["delivery_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(
            manager,
            &[
                "delivery_attempts",
                "webhook_deliveries",
                "webhooks",
                "events",
            ],
        )
        .await
    }
}
