//! `maecenas migrate` and `maecenas admin …`: work on the database directly, safe while a server
//! runs on the same database.

use std::sync::Arc;

use maecenas_core::{AccountError, Accounts, RateLimitConfig, RateLimits, SignUp};
use maecenas_store::entities::user;
use maecenas_types::{SharedClock, SystemClock};
use serde::Serialize;

use crate::{
    admin_oauth, admin_webhooks,
    cli::{AdminCommand, UserCommand},
    config::Config,
    serve::open_store,
};

#[derive(Serialize)]
struct UserOut {
    id: i64,
    email: String,
    name: String,
    created_at: String,
}

impl From<&user::Model> for UserOut {
    fn from(u: &user::Model) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            name: u.full_name.clone(),
            created_at: u.created_at.to_rfc3339(),
        }
    }
}

/// `maecenas migrate`.
pub async fn migrate(config: &Config, json: bool) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let applied = store.applied_migrations().await?;
    if json {
        println!("{}", serde_json::json!({ "applied": applied }));
    } else {
        println!(
            "Database is up to date ({} migrations applied).",
            applied.len()
        );
    }
    Ok(())
}

/// `maecenas admin …`.
pub async fn run(config: &Config, command: AdminCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    match command {
        AdminCommand::User {
            command:
                UserCommand::Create {
                    email,
                    password,
                    name,
                    json,
                },
        } => {
            let clock: SharedClock = Arc::new(SystemClock);
            let limits = RateLimits::local(&RateLimitConfig::default(), &clock);
            let accounts = Accounts::new(store, clock, limits);
            let created = match accounts
                .sign_up(SignUp {
                    email,
                    password,
                    name,
                })
                .await
            {
                Ok(user) => user,
                Err(AccountError::Invalid { field, message }) => {
                    anyhow::bail!("{field}: {message}")
                }
                Err(err) => return Err(err.into()),
            };
            print_users(&[created], json.json, true);
        }
        AdminCommand::User {
            command: UserCommand::List(json),
        } => {
            print_users(&store.list_users().await?, json.json, false);
        }
        AdminCommand::Client { command } => admin_oauth::client(store, command).await?,
        AdminCommand::Token { command } => admin_oauth::token(store, command).await?,
        AdminCommand::Webhooks { command } => admin_webhooks::run(store, command).await?,
    }
    Ok(())
}

fn print_users(users: &[user::Model], json: bool, single: bool) {
    let out: Vec<UserOut> = users.iter().map(UserOut::from).collect();
    if json {
        let text = match (single, out.first()) {
            (true, Some(one)) => serde_json::to_string(one),
            _ => serde_json::to_string(&out),
        };
        println!("{}", text.unwrap_or_default());
        return;
    }
    for u in &out {
        println!("{:>6}  {:<32}  {}", u.id, u.email, u.name);
    }
    if !single {
        println!("{} account(s)", out.len());
    }
}
