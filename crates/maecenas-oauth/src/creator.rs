//! The developer portal's side of the authorization server: registering a client with its
//! details (every problem reported at once), and the client owner's own "Creator's Access
//! Token" — a grant minted without an authorization code that carries every Patreon v2 scope
//! (`patreon.md` §3.3). Issuing again revokes the previous creator grants; refreshing rotates
//! the current one's refresh token like the token endpoint does.

use chrono::{DateTime, Utc};
use maecenas_store::{
    entities::oauth_client, oauth::NewOAuthClient, oauth_manage::ClientLinks, oauth_tokens::Spent,
};
use maecenas_types::{ScopeSet, SecretToken};
use rand::{
    distributions::{Alphanumeric, DistString},
    rngs::OsRng,
};
use url::Url;

use crate::{
    error::OAuthError,
    redirect,
    service::{CreatedClient, Flavor, IssuedTokens, OAuthService, mint, parse_stored},
};

/// Longest client name, in characters.
pub const MAX_NAME: usize = 100;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 1000;
/// Most redirect URIs one client may register.
pub const MAX_REDIRECT_URIS: usize = 20;
/// Longest link (icon, privacy policy, terms), in bytes.
pub const MAX_LINK: usize = 2000;

/// A client as the portal's form describes it; fields are raw text.
#[derive(Debug, Clone, Default)]
pub struct ClientRegistration {
    pub owner_user_id: i64,
    pub name: String,
    pub description: String,
    /// One URI a line; blank lines are ignored.
    pub redirect_uris: String,
    pub icon_url: String,
    pub privacy_policy_url: String,
    pub tos_url: String,
}

/// Why a registration was refused.
#[derive(Debug)]
pub enum RegisterError {
    /// What the developer must fix, one sentence each.
    Invalid(Vec<String>),
    /// The server failed (logged).
    Failed(OAuthError),
}

impl From<OAuthError> for RegisterError {
    fn from(err: OAuthError) -> Self {
        Self::Failed(err)
    }
}

/// The owner's current creator token, as the portal lists it (the secrets are never kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatorToken {
    pub grant_id: i64,
    pub issued_at: DateTime<Utc>,
    pub scopes: ScopeSet,
}

/// An optional http(s) link, trimmed; empty when not given.
fn check_link(label: &str, raw: &str, problems: &mut Vec<String>) -> String {
    let link = raw.trim();
    if link.is_empty() {
        return String::new();
    }
    let ok = link.len() <= MAX_LINK
        && Url::parse(link).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
    if !ok {
        problems.push(format!(
            "{label}: give an absolute http or https URL, or leave it empty."
        ));
    }
    link.to_owned()
}

impl ClientRegistration {
    /// The checked values, or every problem found.
    fn validate(&self) -> Result<(String, Vec<String>, ClientLinks), Vec<String>> {
        let mut problems = Vec::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            problems.push("Name: give the client a name.".to_owned());
        } else if name.chars().count() > MAX_NAME {
            problems.push(format!("Name: use at most {MAX_NAME} characters."));
        }
        if self.description.trim().chars().count() > MAX_DESCRIPTION {
            problems.push(format!(
                "Description: use at most {MAX_DESCRIPTION} characters."
            ));
        }
        let mut uris: Vec<String> = Vec::new();
        for line in self.redirect_uris.lines().map(str::trim) {
            if line.is_empty() || uris.iter().any(|u| u == line) {
                continue;
            }
            if let Err(problem) = redirect::check_registrable(line) {
                problems.push(format!("Redirect URI {problem}"));
            }
            uris.push(line.to_owned());
        }
        if uris.is_empty() {
            problems.push("Redirect URIs: register at least one, one per line.".to_owned());
        } else if uris.len() > MAX_REDIRECT_URIS {
            problems.push(format!(
                "Redirect URIs: register at most {MAX_REDIRECT_URIS}."
            ));
        }
        let links = ClientLinks {
            icon_url: check_link("Icon URL", &self.icon_url, &mut problems),
            privacy_policy_url: check_link(
                "Privacy policy URL",
                &self.privacy_policy_url,
                &mut problems,
            ),
            tos_url: check_link("Terms of service URL", &self.tos_url, &mut problems),
        };
        if problems.is_empty() {
            Ok((name, uris, links))
        } else {
            Err(problems)
        }
    }
}

impl OAuthService {
    /// Registers a confidential API v2 client from the portal; the secret is returned once and
    /// stored hashed.
    pub async fn register_client(
        &self,
        registration: &ClientRegistration,
    ) -> Result<CreatedClient, RegisterError> {
        let (name, redirect_uris, links) =
            registration.validate().map_err(RegisterError::Invalid)?;
        let client_id = Alphanumeric.sample_string(&mut OsRng, 48);
        let client_secret = SecretToken::generate();
        let row = self
            .store()
            .create_oauth_client_with_links(
                NewOAuthClient {
                    client_id: client_id.clone(),
                    secret_hash: Some(client_secret.hash().0),
                    owner_user_id: registration.owner_user_id,
                    name,
                    description: registration.description.trim().to_owned(),
                    author_name: String::new(),
                    domain: String::new(),
                    redirect_uris,
                    default_scopes: String::new(),
                },
                links,
                self.now(),
            )
            .await
            .map_err(OAuthError::from)?;
        Ok(CreatedClient {
            id: row.id,
            client_id,
            client_secret,
        })
    }

    /// The owner's current creator token on `client`, if one is live.
    pub async fn creator_token(
        &self,
        client: &oauth_client::Model,
    ) -> Result<Option<CreatorToken>, OAuthError> {
        let grants = self
            .store()
            .live_codeless_grants(client.id, client.owner_user_id)
            .await?;
        Ok(grants.into_iter().next().map(|g| CreatorToken {
            grant_id: g.id,
            issued_at: g.created_at,
            scopes: parse_stored(&g.scopes),
        }))
    }

    /// Issues the owner a new creator token with every v2 scope, revoking the previous ones.
    pub async fn reissue_creator_token(
        &self,
        client: &oauth_client::Model,
    ) -> Result<IssuedTokens, OAuthError> {
        let now = self.now();
        for grant in self
            .store()
            .live_codeless_grants(client.id, client.owner_user_id)
            .await?
        {
            self.store().revoke_oauth_grant(grant.id, now).await?;
        }
        self.issue_creator_token(
            client,
            client.owner_user_id,
            &ScopeSet::patreon_all_v2(),
            Flavor::Patreon,
        )
        .await
    }

    /// Rotates the current creator token: a new access + refresh pair under the same grant,
    /// the old refresh token spent (presenting it later revokes the grant, as at the token
    /// endpoint). `None` when there is no live creator token to refresh.
    pub async fn refresh_creator_token(
        &self,
        client: &oauth_client::Model,
    ) -> Result<Option<IssuedTokens>, OAuthError> {
        let now = self.now();
        let Some(current) = self.creator_token(client).await? else {
            return Ok(None);
        };
        let Some(refresh) = self
            .store()
            .live_refresh_token(current.grant_id, now)
            .await?
        else {
            return Ok(None);
        };
        let scopes = parse_stored(&refresh.scopes);
        let (issued, rows) = mint(current.grant_id, &scopes, &scopes, Flavor::Patreon, now);
        match self
            .store()
            .rotate_refresh_token(refresh.id, rows, now)
            .await?
        {
            Spent::Won => Ok(Some(issued)),
            Spent::AlreadyUsed => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(uris: &str) -> ClientRegistration {
        ClientRegistration {
            owner_user_id: 1,
            name: " App ".into(),
            redirect_uris: uris.into(),
            ..Default::default()
        }
    }

    #[test]
    fn redirect_uris_one_per_line_deduplicated() {
        let (name, uris, links) =
            form("https://a.example/cb\r\n\n https://a.example/cb \nhttp://127.0.0.1:8/cb")
                .validate()
                .unwrap();
        assert_eq!(name, "App");
        assert_eq!(uris, ["https://a.example/cb", "http://127.0.0.1:8/cb"]);
        assert_eq!(links, ClientLinks::default());
    }

    #[test]
    fn every_problem_is_reported() {
        let mut bad = form("http://evil.example/cb\njavascript:alert(1)");
        bad.name = "  ".into();
        bad.icon_url = "javascript:alert(1)".into();
        bad.tos_url = "/relative".into();
        let problems = bad.validate().unwrap_err();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems[0].starts_with("Name"));
        assert!(problems[1].contains("plain http is only for loopback"));
        let none = form("\n \n").validate().unwrap_err();
        assert_eq!(
            none,
            vec!["Redirect URIs: register at least one, one per line."]
        );
    }
}
