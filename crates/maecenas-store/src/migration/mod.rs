//! The one set of migrations, written once for SQLite and PostgreSQL with sea-query's schema
//! builder. Run at start and by `maecenas migrate`.

mod m0001_accounts;
mod m0002_campaigns;
mod m0003_money;
mod m0004_oauth;
mod m0005_delivery;
mod m0006_oauth_consents;
mod m0007_webhooks;
mod m0008_billing;
mod m0010_alert_widgets;
mod schema;

use sea_orm_migration::prelude::*;

/// Every migration, in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_accounts::Migration),
            Box::new(m0002_campaigns::Migration),
            Box::new(m0003_money::Migration),
            Box::new(m0004_oauth::Migration),
            Box::new(m0005_delivery::Migration),
            Box::new(m0006_oauth_consents::Migration),
            Box::new(m0007_webhooks::Migration),
            Box::new(m0008_billing::Migration),
            Box::new(m0010_alert_widgets::Migration),
        ]
    }
}
