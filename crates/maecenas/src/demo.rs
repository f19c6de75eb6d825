//! `maecenas demo`: a sandbox on an embedded SQLite database, seeded once, printing where to
//! go and what to log in with. The credentials live next to the database in `demo.json`, so a
//! restart prints the same ones without seeding again.

use std::{path::Path, sync::Arc};

use anyhow::{Context, bail};
use maecenas_core::demo::{self, DemoCredentials};
use maecenas_store::Store;
use maecenas_types::{SharedClock, SystemClock};
use url::Url;

use crate::{
    config::{Config, write_private},
    serve,
};

/// The credentials file in the data directory.
const CREDENTIALS_FILE: &str = "demo.json";

/// `maecenas demo`.
pub async fn run(mut config: Config) -> anyhow::Result<()> {
    // The sandbox delivers webhooks to local receivers.
    config.webhooks.allow_loopback = true;
    let store = serve::open_store(&config).await?;
    let credentials = load_or_seed(&store, &config.data_dir).await?;
    let prepared = serve::prepare(config, store).await?;
    let url = prepared.state.settings().public_url.clone();
    println!(
        "{}",
        describe(&url, &credentials, &prepared.config.data_dir)
    );
    serve::serve(prepared).await
}

/// The credentials of the demo in `data_dir`, seeding the database first when it is empty.
async fn load_or_seed(store: &Store, data_dir: &Path) -> anyhow::Result<DemoCredentials> {
    let path = data_dir.join(CREDENTIALS_FILE);
    let has_users = store.count_users().await? > 0;
    if path.exists() && has_users {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let credentials: DemoCredentials = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a demo credentials file", path.display()))?;
        if store
            .user_by_email(&credentials.creator.email)
            .await?
            .is_none()
        {
            bail!(
                "{} does not match the database; delete {} to start a fresh demo",
                path.display(),
                data_dir.display()
            );
        }
        return Ok(credentials);
    }
    if has_users {
        bail!(
            "the demo database already holds data but {} is missing, so its logins are \
             unknown; delete {} to start a fresh demo",
            path.display(),
            data_dir.display()
        );
    }
    eprintln!("Seeding the demo database…");
    let clock: SharedClock = Arc::new(SystemClock);
    let credentials = demo::seed(store, &clock).await?;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    write_private(&path, &serde_json::to_string_pretty(&credentials)?)?;
    Ok(credentials)
}

/// What to print once the server is listening.
fn describe(url: &Url, c: &DemoCredentials, data_dir: &Path) -> String {
    let login = url
        .join("login")
        .map_or_else(|_| url.to_string(), String::from);
    format!(
        "Maecenas demo is running at {url}\n\
         \x20 Creator: log in at {login} as {} / {}\n\
         \x20 Patron:  log in at {login} as {} / {}\n\
         \x20 OAuth client: id={}, client_id={}, client_secret={}, redirect_uri={}\n\
         \x20 Campaign: id={}, vanity={}\n\
         \x20 These are kept in {}; delete {} to start over.\n\
         Press Ctrl-C to stop.",
        c.creator.email,
        c.creator.password,
        c.patron.email,
        c.patron.password,
        c.client.id,
        c.client.client_id,
        c.client.client_secret,
        c.client.redirect_uri,
        c.campaign.id,
        c.campaign.vanity,
        data_dir.join(CREDENTIALS_FILE).display(),
        data_dir.display(),
    )
}
