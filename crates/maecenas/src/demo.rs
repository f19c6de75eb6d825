//! `maecenas demo`: a sandbox on an embedded SQLite database, seeded once, printing where to
//! go and what to log in with.

use crate::{config::Config, serve};

/// `maecenas demo`.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let store = serve::open_store(&config).await?;
    let prepared = serve::prepare(config, store).await?;
    let url = prepared.state.settings().public_url.clone();
    println!("Maecenas demo is running at {url}");
    serve::serve(prepared).await
}
