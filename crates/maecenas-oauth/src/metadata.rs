//! RFC 8414 authorization server metadata at `/.well-known/oauth-authorization-server`, and the
//! issuer identifier every `iss` this server sends must equal (OA-50/51): the configured public
//! URL without a trailing slash, endpoints as absolute URLs under it.

use axum::{
    Json,
    extract::State,
    response::{IntoResponse, Response},
};
use maecenas_types::Scope;
use serde::Serialize;
use url::Url;

use crate::endpoint::EndpointState;

/// Where the metadata document is served (RFC 8414 §3).
pub const WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";

/// This server's issuer identifier: the public URL without a trailing slash, so
/// `https://example.com/` and `https://example.com` name the same issuer `https://example.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(String);

impl Issuer {
    /// The issuer for a server reached at `public_url`.
    pub fn new(public_url: &Url) -> Self {
        Self(public_url.as_str().trim_end_matches('/').to_owned())
    }

    /// The identifier itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The absolute URL of `path` (which starts with `/`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    /// For an issuer with a path (`https://example.com/tenant`), the path-suffixed well-known
    /// location RFC 8414 §3.1 asks for: `/.well-known/oauth-authorization-server/tenant`.
    pub(crate) fn well_known_path(&self) -> Option<String> {
        let url = Url::parse(&self.0).ok()?;
        let path = url.path().trim_end_matches('/');
        (!path.is_empty()).then(|| format!("{WELL_KNOWN}{path}"))
    }
}

/// The metadata document (RFC 8414 §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorizationServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    pub response_types_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    pub scopes_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    /// Authorization responses carry `iss` (RFC 9207).
    pub authorization_response_iss_parameter_supported: bool,
}

/// Client authentication every endpoint of this server accepts.
const CLIENT_AUTH: [&str; 2] = ["client_secret_post", "client_secret_basic"];

impl AuthorizationServerMetadata {
    /// The document for `issuer`.
    pub fn new(issuer: &Issuer) -> Self {
        let mut scopes: Vec<&'static str> = Vec::new();
        // v1 `campaigns` and v2 `campaigns` share a name; list each name once.
        for name in Scope::ALL.map(Scope::as_str) {
            if !scopes.contains(&name) {
                scopes.push(name);
            }
        }
        Self {
            issuer: issuer.as_str().to_owned(),
            authorization_endpoint: issuer.url("/oauth2/authorize"),
            token_endpoint: issuer.url("/api/oauth2/token"),
            revocation_endpoint: issuer.url("/oauth2/revoke"),
            introspection_endpoint: issuer.url("/oauth2/introspect"),
            response_types_supported: vec!["code", "token"],
            grant_types_supported: vec!["authorization_code", "refresh_token", "implicit"],
            code_challenge_methods_supported: vec!["S256"],
            token_endpoint_auth_methods_supported: CLIENT_AUTH.to_vec(),
            revocation_endpoint_auth_methods_supported: CLIENT_AUTH.to_vec(),
            introspection_endpoint_auth_methods_supported: CLIENT_AUTH.to_vec(),
            scopes_supported: scopes,
            response_modes_supported: vec!["query", "fragment"],
            authorization_response_iss_parameter_supported: true,
        }
    }
}

pub(crate) async fn handle(State(state): State<EndpointState>) -> Response {
    Json(AuthorizationServerMetadata::new(&state.issuer)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_has_no_trailing_slash_either_way() {
        for raw in ["https://example.com/", "https://example.com"] {
            let issuer = Issuer::new(&Url::parse(raw).unwrap());
            assert_eq!(issuer.as_str(), "https://example.com");
            assert_eq!(issuer.well_known_path(), None);
            assert_eq!(
                issuer.url("/oauth2/revoke"),
                "https://example.com/oauth2/revoke"
            );
        }
        let tenant = Issuer::new(&Url::parse("https://example.com/maecenas/").unwrap());
        assert_eq!(tenant.as_str(), "https://example.com/maecenas");
        assert_eq!(
            tenant.well_known_path().as_deref(),
            Some("/.well-known/oauth-authorization-server/maecenas")
        );
    }

    #[test]
    fn every_scope_name_is_listed_once() {
        let doc = AuthorizationServerMetadata::new(&Issuer::new(
            &Url::parse("https://example.com").unwrap(),
        ));
        assert_eq!(doc.scopes_supported.len(), Scope::ALL.len() - 1);
        for scope in Scope::ALL {
            assert!(doc.scopes_supported.contains(&scope.as_str()), "{scope}");
        }
    }
}
