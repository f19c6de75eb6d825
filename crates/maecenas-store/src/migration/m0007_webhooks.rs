//! Webhook delivery state (issue #6): which events have been fanned out to webhooks, the
//! per-webhook lease and retry time that keep one webhook's deliveries in order, the scopes the
//! creating token held (they decide what payloads show), and each delivery's exact body.

use sea_orm_migration::prelude::*;

use super::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One `ALTER TABLE … ADD COLUMN` per column: SQLite takes one at a time.
async fn add(manager: &SchemaManager<'_>, tbl: &str, mut col: ColumnDef) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(name(tbl))
                .add_column(&mut col)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(manager, "events", time_null("fanned_out_at")).await?;
        // Events older than webhooks themselves have nobody to reach.
        manager
            .get_connection()
            .execute_unprepared("UPDATE events SET fanned_out_at = created_at")
            .await?;
        add(manager, "webhooks", text_default("scopes", "")).await?;
        add(manager, "webhooks", int_default("after_event_id", 0)).await?;
        add(manager, "webhooks", time_null("next_attempt_at")).await?;
        add(manager, "webhooks", time_null("lease_until")).await?;
        add(manager, "webhooks", text_null("lease_owner")).await?;
        add(manager, "webhook_deliveries", text_default("body", "")).await?;
        for i in [
            index("events", &["fanned_out_at", "id"], false),
            index("webhook_deliveries", &["webhook_id", "status", "id"], false),
        ] {
            manager.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (tbl, col) in [
            ("webhook_deliveries", "body"),
            ("webhooks", "lease_owner"),
            ("webhooks", "lease_until"),
            ("webhooks", "next_attempt_at"),
            ("webhooks", "after_event_id"),
            ("webhooks", "scopes"),
            ("events", "fanned_out_at"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(name(tbl))
                        .drop_column(name(col))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
