//! The billing engine's state (issue #7): one `member_billing` row per paying or free member —
//! the monthly pledge amount and tier, the sandbox card token, the billing anchor, when the next
//! charge or retry is due, how many attempts have declined since when, an optimistic-lock
//! `version`, and the scheduler's lease — and the sandbox's persisted clock offset.

use sea_orm_migration::prelude::*;

use super::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let billing = table(
            "member_billing",
            vec![
                uuid_ref("member_id").primary_key().take(),
                int("campaign_id"),
                int_default("pledge_amount_cents", 0),
                int_null("tier_id"),
                text_null("payment_method"),
                time_null("anchor_at"),
                time_null("due_at"),
                time_null("declined_since"),
                int_default("decline_count", 0),
                int_default("version", 0),
                time_null("lease_until"),
                text_null("lease_owner"),
                time("updated_at"),
            ],
        );
        let clock = table(
            "sandbox_clock",
            vec![id(), int_default("offset_seconds", 0), time("updated_at")],
        );
        create(
            manager,
            vec![
                (
                    billing,
                    vec![
                        fk("member_billing", "member_id", "members", true),
                        fk("member_billing", "campaign_id", "campaigns", true),
                    ],
                ),
                (clock, vec![]),
            ],
            vec![
                index("member_billing", &["due_at"], false),
                index("member_billing", &["campaign_id", "due_at"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["sandbox_clock", "member_billing"]).await
    }
}
