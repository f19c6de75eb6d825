//! RFC 7009 token revocation, `POST /oauth2/revoke`: an authenticated client names a `token`
//! and maybe a `token_type_hint`, which changes nothing here: both kinds live in one table and
//! are always searched, so a wrong or unknown hint still works. Revoking a refresh token revokes its whole grant; revoking an
//! access token revokes that token. Unknown, already revoked or another client's tokens get the
//! same empty 200 and nothing changes (OA-43..46), so the endpoint is no oracle.

use axum::{
    extract::{Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use maecenas_store::{
    entities::oauth_client,
    oauth_tokens::{REFRESH, TokenContext},
};
use maecenas_types::TokenHash;

use crate::{
    endpoint::{EndpointState, authenticated},
    error::{OAuthError, no_store},
    service::OAuthService,
};

/// What a revocation request did; the response is the same empty 200 for all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// A refresh token: its grant and every token under it are revoked.
    Grant,
    /// An access token: that token is revoked.
    AccessToken,
    /// Unknown, or issued to another client: nothing changed.
    Nothing,
}

impl OAuthService {
    /// Revokes `token` on behalf of `client` (RFC 7009 §2.1).
    pub async fn revoke_token(
        &self,
        client: &oauth_client::Model,
        token: &str,
    ) -> Result<Revoked, OAuthError> {
        let store = self.store();
        let Some(TokenContext {
            token: row, grant, ..
        }) = store.oauth_token_context(&TokenHash::of(token).0).await?
        else {
            return Ok(Revoked::Nothing);
        };
        if grant.client_id != client.id {
            tracing::warn!(
                client = client.id,
                grant_id = grant.id,
                "a client tried to revoke another client's token; ignored"
            );
            return Ok(Revoked::Nothing);
        }
        let now = self.now();
        if row.kind == REFRESH {
            store.revoke_oauth_grant(grant.id, now).await?;
            Ok(Revoked::Grant)
        } else {
            store.revoke_oauth_token(row.id, now).await?;
            Ok(Revoked::AccessToken)
        }
    }
}

pub(crate) async fn handle(State(state): State<EndpointState>, request: Request) -> Response {
    match revoke(&state, request).await {
        Ok(_) => {
            let mut response = StatusCode::OK.into_response();
            no_store(response.headers_mut());
            response
        }
        Err(err) => err.into_response(),
    }
}

async fn revoke(state: &EndpointState, request: Request) -> Result<Revoked, OAuthError> {
    let request = authenticated(state, request).await?;
    let token = request.params.require("token")?;
    // `token_type_hint` is optional and, per RFC 7009 §2.1, only a hint: any value is accepted
    // and both kinds are searched.
    state.service.revoke_token(&request.client, token).await
}
