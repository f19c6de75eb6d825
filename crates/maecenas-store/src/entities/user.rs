//! `users`: an account — creator, patron and donor at once.

use sea_orm::entity::prelude::*;

/// One account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Numeric id (shown to Patreon clients as a string, to DonationAlerts as an integer).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Normalised e-mail, unique.
    pub email: String,
    /// argon2id PHC string; `None` for accounts that cannot log in (seeded fakes).
    /// Never serialized (snapshots in event rows leave it out).
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub full_name: String,
    pub first_name: String,
    pub last_name: String,
    /// Public handle (Patreon vanity, DonationAlerts `code`), unique when set.
    pub vanity: Option<String>,
    pub about: String,
    pub image_url: String,
    pub thumb_url: String,
    pub language: String,
    pub is_email_verified: bool,
    pub hide_pledges: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
