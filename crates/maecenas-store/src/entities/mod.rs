//! SeaORM entities, one module per table. Rows leave the store as these `Model` structs.

pub mod address;
pub mod benefit;
pub mod campaign;
pub mod charge;
pub mod custom_alert;
pub mod delivery_attempt;
pub mod donation;
pub mod event;
pub mod goal;
pub mod member;
pub mod member_tier;
pub mod oauth_client;
pub mod oauth_code;
pub mod oauth_consent;
pub mod oauth_grant;
pub mod oauth_token;
pub mod pledge_event;
pub mod post;
pub mod post_tier;
pub mod session;
pub mod tier;
pub mod tier_benefit;
pub mod user;
pub mod webhook;
pub mod webhook_delivery;
