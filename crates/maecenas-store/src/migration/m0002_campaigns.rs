//! Campaigns with their tiers, benefits, goals and posts; members (v1: pledges), their entitled
//! tiers, pledge events and addresses.

use sea_orm_migration::prelude::*;

use super::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let campaigns = table(
            "campaigns",
            vec![
                id(),
                int("creator_id"),
                text("vanity"),
                text("creation_name"),
                text_default("summary", ""),
                text_default("one_liner", ""),
                text_default("pay_per_name", "month"),
                text_default("currency", "USD"),
                flag("is_monthly", true),
                flag("is_charged_immediately", true),
                flag("is_nsfw", false),
                text_default("image_url", ""),
                text_default("image_small_url", ""),
                text_default("main_video_url", ""),
                text_default("thanks_msg", ""),
                text_default("thanks_video_url", ""),
                text_null("discord_server_id"),
                text_null("google_analytics_id"),
                time_null("published_at"),
                time("created_at"),
                time("updated_at"),
            ],
        );
        let tiers = table(
            "tiers",
            vec![
                id(),
                int("campaign_id"),
                text("title"),
                text_default("description", ""),
                int("amount_cents"),
                text_default("currency", "USD"),
                int_null("user_limit"),
                flag("requires_shipping", false),
                flag("published", true),
                text_default("discord_role_ids", "[]"),
                text_default("image_url", ""),
                int_default("sort_order", 0),
                time_null("published_at"),
                time_null("unpublished_at"),
                time("created_at"),
                time("edited_at"),
            ],
        );
        let benefits = table(
            "benefits",
            vec![
                id(),
                int("campaign_id"),
                text("title"),
                text_default("description", ""),
                text_default("benefit_type", "custom"),
                text_default("rule_type", "eachCharge"),
                flag("is_published", true),
                flag("is_deleted", false),
                time("created_at"),
            ],
        );
        let tier_benefits = table(
            "tier_benefits",
            vec![id(), int("tier_id"), int("benefit_id")],
        );
        let goals = table(
            "goals",
            vec![
                id(),
                int("campaign_id"),
                text("title"),
                text_default("description", ""),
                int("amount_cents"),
                time_null("reached_at"),
                time("created_at"),
            ],
        );
        let posts = table(
            "posts",
            vec![
                id(),
                int("campaign_id"),
                int("user_id"),
                text("title"),
                text_default("content", ""),
                text_null("embed_url"),
                text_null("embed_data"),
                text_null("image"),
                flag("is_public", true),
                flag("is_paid", false),
                int_null("app_id"),
                text_null("app_status"),
                time_null("published_at"),
                time("created_at"),
                time("edited_at"),
            ],
        );
        let post_tiers = table("post_tiers", vec![id(), int("post_id"), int("tier_id")]);
        let addresses = table(
            "addresses",
            vec![
                id(),
                int("user_id"),
                text_default("addressee", ""),
                text_default("line_1", ""),
                text_default("line_2", ""),
                text_default("postal_code", ""),
                text_default("city", ""),
                text_default("state", ""),
                text_default("country", ""),
                text_default("phone_number", ""),
                time("created_at"),
                time("updated_at"),
            ],
        );
        let members = table(
            "members",
            vec![
                uuid_pk(),
                int("campaign_id"),
                int("user_id"),
                text_null("patron_status"),
                flag("is_follower", false),
                flag("is_free_trial", false),
                flag("is_gifted", false),
                text_default("currency", "USD"),
                int_default("currently_entitled_amount_cents", 0),
                int_default("will_pay_amount_cents", 0),
                int_null("pledge_cap_amount_cents"),
                int_default("pledge_cadence", 1),
                int_default("lifetime_support_cents", 0),
                int_default("campaign_lifetime_support_cents", 0),
                time_null("pledge_relationship_start"),
                time_null("last_charge_date"),
                text_null("last_charge_status"),
                time_null("next_charge_date"),
                int_null("address_id"),
                text_default("note", ""),
                time("created_at"),
                time("updated_at"),
            ],
        );
        let member_tiers = table(
            "member_tiers",
            vec![id(), uuid_ref("member_id"), int("tier_id")],
        );
        let pledge_events = table(
            "pledge_events",
            vec![
                id(),
                uuid_ref("member_id"),
                text("event_type"),
                int("amount_cents"),
                text("currency"),
                text_null("payment_status"),
                text_null("pledge_payment_status"),
                int_null("tier_id"),
                text_null("tier_title"),
                time("date"),
            ],
        );
        create(
            manager,
            vec![
                (
                    campaigns,
                    vec![fk("campaigns", "creator_id", "users", true)],
                ),
                (tiers, vec![fk("tiers", "campaign_id", "campaigns", true)]),
                (
                    benefits,
                    vec![fk("benefits", "campaign_id", "campaigns", true)],
                ),
                (
                    tier_benefits,
                    vec![
                        fk("tier_benefits", "tier_id", "tiers", true),
                        fk("tier_benefits", "benefit_id", "benefits", true),
                    ],
                ),
                (goals, vec![fk("goals", "campaign_id", "campaigns", true)]),
                (
                    posts,
                    vec![
                        fk("posts", "campaign_id", "campaigns", true),
                        fk("posts", "user_id", "users", true),
                    ],
                ),
                (
                    post_tiers,
                    vec![
                        fk("post_tiers", "post_id", "posts", true),
                        fk("post_tiers", "tier_id", "tiers", true),
                    ],
                ),
                (addresses, vec![fk("addresses", "user_id", "users", true)]),
                (
                    members,
                    vec![
                        fk("members", "campaign_id", "campaigns", true),
                        fk("members", "user_id", "users", true),
                        fk("members", "address_id", "addresses", false),
                    ],
                ),
                (
                    member_tiers,
                    vec![
                        fk("member_tiers", "member_id", "members", true),
                        fk("member_tiers", "tier_id", "tiers", true),
                    ],
                ),
                (
                    pledge_events,
                    vec![fk("pledge_events", "member_id", "members", true)],
                ),
            ],
            vec![
                index("campaigns", &["creator_id"], true),
                index("campaigns", &["vanity"], true),
                index("tiers", &["campaign_id"], false),
                index("benefits", &["campaign_id"], false),
                index("tier_benefits", &["tier_id", "benefit_id"], true),
                index("goals", &["campaign_id"], false),
                index("posts", &["campaign_id", "published_at"], false),
                index("post_tiers", &["post_id", "tier_id"], true),
                index("addresses", &["user_id"], false),
                index("members", &["campaign_id", "user_id"], true),
                index("members", &["campaign_id", "id"], false),
                index("members", &["user_id"], false),
                index("member_tiers", &["member_id", "tier_id"], true),
                index("pledge_events", &["member_id", "date"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(
            manager,
            &[
                "pledge_events",
                "member_tiers",
                "members",
                "addresses",
                "post_tiers",
                "posts",
                "goals",
                "tier_benefits",
                "benefits",
                "tiers",
                "campaigns",
            ],
        )
        .await
    }
}
