//! Money movements: charges through a payment gateway, donations and custom alerts.

use sea_orm_migration::prelude::*;

use super::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let charges = table(
            "charges",
            vec![
                id(),
                text("kind"),
                int_null("payer_user_id"),
                int("recipient_user_id"),
                int_null("campaign_id"),
                ColumnDef::new(name("member_id")).uuid().null().take(),
                int("amount_cents"),
                text("currency"),
                text("status"),
                text_default("gateway", "sandbox"),
                text_null("gateway_reference"),
                text_null("failure_reason"),
                text_null("idempotency_key"),
                time("created_at"),
            ],
        );
        let donations = table(
            "donations",
            vec![
                id(),
                int("recipient_user_id"),
                int_null("donor_user_id"),
                text("username"),
                text_default("message_type", "text"),
                text_default("message", ""),
                int("amount_cents"),
                text("currency"),
                int("amount_in_user_currency_cents"),
                text_default("payin_system", "sandbox"),
                text_default("reason", "Donation"),
                int_null("charge_id"),
                flag("is_shown", false),
                time_null("shown_at"),
                time("created_at"),
            ],
        );
        let custom_alerts = table(
            "custom_alerts",
            vec![
                id(),
                int("user_id"),
                text_null("external_id"),
                text_default("header", ""),
                text_default("message", ""),
                text_null("image_url"),
                text_null("sound_url"),
                flag("is_shown", false),
                time_null("shown_at"),
                time("created_at"),
            ],
        );
        create(
            manager,
            vec![
                (
                    charges,
                    vec![
                        fk("charges", "payer_user_id", "users", false),
                        fk("charges", "recipient_user_id", "users", true),
                    ],
                ),
                (
                    donations,
                    vec![
                        fk("donations", "recipient_user_id", "users", true),
                        fk("donations", "donor_user_id", "users", false),
                        fk("donations", "charge_id", "charges", false),
                    ],
                ),
                (
                    custom_alerts,
                    vec![fk("custom_alerts", "user_id", "users", true)],
                ),
            ],
            vec![
                index("charges", &["idempotency_key"], true),
                index("charges", &["member_id", "created_at"], false),
                index("charges", &["recipient_user_id", "created_at"], false),
                index("donations", &["recipient_user_id", "id"], false),
                index("custom_alerts", &["user_id", "id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["custom_alerts", "donations", "charges"]).await
    }
}
