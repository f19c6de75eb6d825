//! The authorization endpoint's request (RFC 6749 §4.1.1, §4.2.1; RFC 7636 §4.3), checked in
//! the order that keeps it from being an open redirector: an unknown client or a redirect URI
//! it did not register is refused on a page of ours (OA-01/04); every later problem goes back
//! to the client's redirect URI as `error=…&state=…&iss=…` (RFC 6749 §4.1.2.1, RFC 9207).

use std::collections::BTreeMap;

use maecenas_store::entities::oauth_client;
use maecenas_types::{ScopeSet, scope::Dialect};
use url::Url;

use crate::{
    error::OAuthError,
    pkce, redirect,
    service::{Flavor, OAuthService},
};

/// The `error` codes of an authorization response (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizeErrorCode {
    /// A parameter is missing, repeated, malformed or unsupported.
    InvalidRequest,
    /// The client may not use this response type.
    UnauthorizedClient,
    /// The user said no.
    AccessDenied,
    /// The response type is not one this endpoint supports.
    UnsupportedResponseType,
    /// A scope is unknown or not one this dialect's clients may ask for.
    InvalidScope,
    /// Something broke on our side.
    ServerError,
}

impl AuthorizeErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
        }
    }
}

/// What the client asked to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    /// An authorization code in the query (both dialects).
    Code,
    /// An access token in the fragment (DonationAlerts' implicit grant).
    Token,
}

impl ResponseType {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Token => "token",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "code" => Some(Self::Code),
            "token" => Some(Self::Token),
            _ => None,
        }
    }
}

/// The query of an authorize request: every value of every parameter, empty ones dropped.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeQuery(BTreeMap<String, Vec<String>>);

impl AuthorizeQuery {
    /// Parses a raw query string (`+` and `%20` both mean a space).
    pub fn parse(query: Option<&str>) -> Result<Self, String> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
            .map_err(|_| "The authorization request's parameters are malformed.".to_owned())?;
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in pairs.into_iter().filter(|(_, v)| !v.is_empty()) {
            map.entry(name).or_default().push(value);
        }
        Ok(Self(map))
    }

    /// The single value of `name`; `Err` when it is repeated (OA-07).
    fn one(&self, name: &str) -> Result<Option<&str>, String> {
        match self.0.get(name).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([value]) => Ok(Some(value)),
            Some(_) => Err(format!("The {name} parameter is repeated.")),
        }
    }
}

/// A request refused on our own page: the client or its redirect URI cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRefusal {
    /// Words for the person looking at the page.
    BadRequest(String),
    /// The store failed (logged).
    Server,
}

impl From<OAuthError> for PageRefusal {
    fn from(_: OAuthError) -> Self {
        Self::Server
    }
}

/// Where an authorization response goes: a registered redirect URI of a known client.
#[derive(Debug, Clone)]
pub struct Destination {
    pub client: oauth_client::Model,
    pub redirect_uri: String,
    /// The `state` to echo, byte for byte (absent when missing or repeated).
    pub state: Option<String>,
    /// Whether the response goes in the fragment (implicit grant) rather than the query.
    pub in_fragment: bool,
}

/// A request that passed every check: what the consent page asks about.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub destination: Destination,
    pub response_type: ResponseType,
    /// The scopes the user is asked to grant (the client owner's widened to every v2 scope).
    pub scopes: ScopeSet,
    /// The PKCE S256 challenge.
    pub code_challenge: Option<String>,
}

/// An authorization response (success or error), ready to become a `Location`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    redirect_uri: String,
    in_fragment: bool,
    params: Vec<(&'static str, String)>,
}

impl AuthorizationResponse {
    /// A response to `destination` with `params`, then `state` and `iss` (RFC 9207).
    pub fn new(
        destination: &Destination,
        mut params: Vec<(&'static str, String)>,
        issuer: &str,
    ) -> Self {
        if let Some(state) = &destination.state {
            params.push(("state", state.clone()));
        }
        params.push(("iss", issuer.to_owned()));
        Self {
            redirect_uri: destination.redirect_uri.clone(),
            in_fragment: destination.in_fragment,
            params,
        }
    }

    /// An error response.
    pub fn error(
        destination: &Destination,
        code: AuthorizeErrorCode,
        description: &str,
        issuer: &str,
    ) -> Self {
        let params = vec![
            ("error", code.as_str().to_owned()),
            ("error_description", description.to_owned()),
        ];
        Self::new(destination, params, issuer)
    }

    /// The URL to redirect the browser to. The redirect URI is kept as registered; parameters
    /// are appended to its query (or put in the fragment), form-urlencoded.
    pub fn location(&self) -> String {
        let encoded = serde_urlencoded::to_string(&self.params).unwrap_or_default();
        let separator = if self.in_fragment {
            '#'
        } else if self.redirect_uri.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{separator}{encoded}", self.redirect_uri)
    }

    /// The value of `name` among the parameters.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The `iss` of every authorization response (RFC 9207): exactly the issuer the metadata
/// document publishes.
pub fn issuer(public_url: &Url) -> String {
    crate::metadata::Issuer::new(public_url).as_str().to_owned()
}

impl OAuthService {
    /// Finds the client and the redirect URI, the checks whose failure must not redirect.
    pub async fn authorize_destination(
        &self,
        flavor: Flavor,
        query: &AuthorizeQuery,
    ) -> Result<Destination, PageRefusal> {
        let bad = PageRefusal::BadRequest;
        let client_id = query
            .one("client_id")
            .map_err(bad)?
            .ok_or_else(|| bad("The request names no client (client_id is missing).".into()))?;
        let client = self
            .find_client(client_id)
            .await?
            .ok_or_else(|| bad("No application with this client_id is registered here.".into()))?;
        let redirect_uri = match query.one("redirect_uri").map_err(bad)? {
            Some(given) => redirect::find_registered(&client, given).ok_or_else(|| {
                bad("The redirect_uri is not one this application registered.".into())
            })?,
            None => match redirect::registered(&client).as_slice() {
                [only] => only.clone(),
                _ => {
                    return Err(bad(
                        "The redirect_uri is missing and the application registered several."
                            .into(),
                    ));
                }
            },
        };
        Ok(Destination {
            client,
            redirect_uri,
            state: query.one("state").ok().flatten().map(str::to_owned),
            in_fragment: flavor == Flavor::DonationAlerts
                && matches!(query.one("response_type"), Ok(Some("token"))),
        })
    }
}

/// A request refused after its destination was found: the error goes back to the client.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub destination: Destination,
    pub code: AuthorizeErrorCode,
    pub description: String,
}

/// Checks everything after the destination, for the logged-in `user_id`. Errors are sent back
/// to the client.
pub fn check_request(
    flavor: Flavor,
    destination: Destination,
    query: &AuthorizeQuery,
    user_id: i64,
) -> Result<AuthorizeRequest, Box<Rejection>> {
    use AuthorizeErrorCode as E;
    macro_rules! fail {
        ($code:expr, $msg:expr) => {
            return Err(Box::new(Rejection {
                destination,
                code: $code,
                description: $msg.into(),
            }))
        };
    }
    for name in [
        "response_type",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    ] {
        if let Err(msg) = query.one(name) {
            fail!(E::InvalidRequest, msg);
        }
    }
    let response_type = match query.one("response_type").ok().flatten() {
        None => fail!(E::InvalidRequest, "Missing response_type parameter."),
        Some(text) => match (ResponseType::parse(text), flavor) {
            (Some(ResponseType::Code), _) => ResponseType::Code,
            (Some(ResponseType::Token), Flavor::DonationAlerts) => ResponseType::Token,
            _ => fail!(
                E::UnsupportedResponseType,
                format!("The response_type {text:?} is not supported here.")
            ),
        },
    };
    let challenge = query.one("code_challenge").ok().flatten();
    let method = query.one("code_challenge_method").ok().flatten();
    let code_challenge = match (challenge, method) {
        (None, None) => None,
        (None, Some(_)) => fail!(
            E::InvalidRequest,
            "code_challenge_method without code_challenge."
        ),
        (Some(_), None | Some("plain")) => fail!(
            E::InvalidRequest,
            "Only the S256 code_challenge_method is supported."
        ),
        (Some(_), Some(m)) if m != "S256" => fail!(
            E::InvalidRequest,
            "Only the S256 code_challenge_method is supported."
        ),
        (Some(c), Some(_)) if !pkce::is_well_formed(c) => {
            fail!(E::InvalidRequest, "The code_challenge is malformed.")
        }
        (Some(c), Some(_)) => Some(c.to_owned()),
    };
    let public = destination.client.secret_hash.is_none();
    if public && response_type == ResponseType::Code && code_challenge.is_none() {
        fail!(
            E::InvalidRequest,
            "This application is public: it must send a PKCE code_challenge."
        );
    }
    let scopes = match scopes_for(
        flavor,
        &destination.client,
        query.one("scope").ok().flatten(),
    ) {
        Ok(s) => s,
        Err(msg) => fail!(E::InvalidScope, msg),
    };
    let owner = destination.client.owner_user_id == user_id;
    let scopes = if owner && flavor == Flavor::Patreon {
        scopes
            .iter()
            .chain(ScopeSet::patreon_all_v2().iter())
            .collect()
    } else {
        scopes
    };
    Ok(AuthorizeRequest {
        destination,
        response_type,
        scopes,
        code_challenge,
    })
}

/// The scopes asked for, or the client's defaults, or the dialect's; only the dialect's own.
fn scopes_for(
    flavor: Flavor,
    client: &oauth_client::Model,
    asked: Option<&str>,
) -> Result<ScopeSet, String> {
    let fits = |set: &ScopeSet| {
        set.iter().all(|s| match flavor {
            Flavor::Patreon => matches!(s.dialect(), Dialect::PatreonV1 | Dialect::PatreonV2),
            Flavor::DonationAlerts => s.dialect() == Dialect::DonationAlerts,
        })
    };
    let parsed = ScopeSet::parse(asked.unwrap_or_default()).map_err(|e| e.to_string())?;
    if !fits(&parsed) {
        return Err("A scope asked for belongs to another API.".into());
    }
    if !parsed.is_empty() {
        return Ok(parsed);
    }
    match ScopeSet::parse(&client.default_scopes) {
        Ok(defaults) if !defaults.is_empty() && fits(&defaults) => Ok(defaults),
        _ => Ok(match flavor {
            Flavor::Patreon => ScopeSet::patreon_v1_default(),
            Flavor::DonationAlerts => ScopeSet::donationalerts_default(),
        }),
    }
}
