//! The OAuth 2.0 authorization server for both dialects: client registration and
//! authentication, authorization codes with PKCE, access and refresh tokens with rotation, the
//! Patreon and DonationAlerts token endpoints and their RFC 6749 error type.

pub mod error;
pub mod params;
pub mod pkce;
pub mod redirect;
pub mod service;
pub mod token;

pub use error::{ErrorCode, OAuthError};
pub use service::{
    AccessGrant, CodeRequest, CreatedClient, Flavor, IssuedTokens, NewClient, OAuthService,
};
pub use token::{DonationAlertsTokenResponse, PatreonTokenResponse, TokenLimits, router};
