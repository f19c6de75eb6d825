//! The OAuth 2.0 authorization server for both dialects: client registration and
//! authentication, the authorization request and its single-use consent, the user's connected
//! apps, authorization codes with PKCE, access and refresh tokens with rotation, the
//! Patreon and DonationAlerts token endpoints and their RFC 6749 error type, revocation
//! (RFC 7009), introspection (RFC 7662), metadata (RFC 8414) and the developer portal's client
//! registration and creator tokens.

pub mod authorize;
mod batch;
pub mod consent;
pub mod creator;
pub mod endpoint;
pub mod error;
pub mod introspect;
pub mod metadata;
pub mod params;
pub mod pkce;
pub mod redirect;
pub mod revoke;
pub mod service;
pub mod token;

pub use authorize::{
    AuthorizationResponse, AuthorizeErrorCode, AuthorizeQuery, AuthorizeRequest, Destination,
    PageRefusal, ResponseType,
};
pub use consent::{ConnectedApp, ConsentError};
pub use creator::{ClientRegistration, CreatorToken};
pub use endpoint::router as endpoints_router;
pub use error::{ErrorCode, OAuthError};
pub use introspect::Introspection;
pub use metadata::{AuthorizationServerMetadata, Issuer};
pub use revoke::Revoked;
pub use service::{
    AccessGrant, CodeRequest, CreatedClient, Flavor, IssuedTokens, NewClient, OAuthService,
};
pub use token::{DonationAlertsTokenResponse, PatreonTokenResponse, TokenLimits, router};
