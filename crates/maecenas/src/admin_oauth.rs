//! `maecenas admin client …` and `admin token …`: register OAuth clients and issue tokens from
//! the command line, through the same `OAuthService` the token endpoints use.

use std::sync::Arc;

use anyhow::Context;
use maecenas_oauth::{Flavor, NewClient, OAuthService, PatreonTokenResponse};
use maecenas_store::{Store, entities::user};
use maecenas_types::{Email, ScopeSet, SystemClock};
use serde::Serialize;

use crate::cli::{ClientCommand, TokenCommand};

/// What `admin client create --json` prints; the secret appears here and nowhere else.
#[derive(Debug, Serialize)]
struct CreatedClientOut {
    id: i64,
    client_id: String,
    client_secret: String,
}

/// `maecenas admin client …`.
pub async fn client(store: Store, command: ClientCommand) -> anyhow::Result<()> {
    let ClientCommand::Create {
        owner,
        name,
        redirect_uris,
        json,
    } = command;
    let owner = find_user(&store, &owner, "owner").await?;
    if name.trim().is_empty() {
        anyhow::bail!("name: give the client a name");
    }
    let created = service(store)
        .create_client(NewClient {
            owner_user_id: owner.id,
            name: name.trim().to_owned(),
            redirect_uris,
            default_scopes: ScopeSet::default(),
        })
        .await
        .map_err(|e| anyhow::anyhow!("redirect-uri: {}", e.description))?;
    let out = CreatedClientOut {
        id: created.id,
        client_id: created.client_id,
        client_secret: created.client_secret.expose().to_owned(),
    };
    if json.json {
        println!("{}", serde_json::to_string(&out)?);
    } else {
        println!("Client {} registered for {}.", out.id, owner.email);
        println!("client_id:     {}", out.client_id);
        println!("client_secret: {}", out.client_secret);
        println!("The secret is shown only now; it is stored as a hash.");
    }
    Ok(())
}

/// `maecenas admin token …`.
pub async fn token(store: Store, command: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Issue {
        user,
        client,
        scope,
        json,
    } = command;
    let user = find_user(&store, &user, "user").await?;
    let scopes = ScopeSet::parse(&scope).map_err(|e| anyhow::anyhow!("scope: {e}"))?;
    if scopes.is_empty() {
        anyhow::bail!("scope: name at least one scope");
    }
    let service = service(store);
    let client = service
        .find_client(&client)
        .await?
        .with_context(|| format!("client: no OAuth client {client:?}"))?;
    let issued = service
        .issue_creator_token(&client, user.id, &scopes, Flavor::Patreon)
        .await?;
    let out = PatreonTokenResponse::from(&issued);
    if json.json {
        println!("{}", serde_json::to_string(&out)?);
    } else {
        println!("access_token:  {}", out.access_token);
        println!("refresh_token: {}", out.refresh_token);
        println!("expires_in:    {} s", out.expires_in);
        println!("scope:         {}", out.scope);
    }
    Ok(())
}

fn service(store: Store) -> OAuthService {
    OAuthService::new(store, Arc::new(SystemClock))
}

async fn find_user(store: &Store, raw: &str, flag: &str) -> anyhow::Result<user::Model> {
    let email = Email::parse(raw).map_err(|e| anyhow::anyhow!("{flag}: {e}"))?;
    store
        .user_by_email(email.as_str())
        .await?
        .with_context(|| format!("{flag}: no account with e-mail {}", email.as_str()))
}
