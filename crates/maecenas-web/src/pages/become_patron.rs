//! Patreon's unified flow `GET /oauth2/become-patron?response_type=code&client_id=…&
//! redirect_uri=…&min_cents=N&state=…`: log in, pledge at least `min_cents` to the campaign of
//! the client's owner, then the ordinary authorization (`/oauth2/authorize` with the same
//! parameters: its consent page and its code). An unknown client or redirect URI gets our error
//! page, as on `/oauth2/authorize`. A visitor who does not pledge enough yet goes to checkout
//! with the amount filled in and comes back here afterwards.

use axum::{
    extract::State,
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use maecenas_oauth::{AuthorizeQuery, PageRefusal, service::Flavor};
use serde::Deserialize;

use crate::{
    error::PageError,
    session::{self, MaybeUser},
    state::AppState,
};

#[derive(Debug, Deserialize)]
struct MinCents {
    min_cents: Option<String>,
}

fn refused(message: impl Into<String>) -> PageError {
    PageError::new(
        StatusCode::BAD_REQUEST,
        "Cannot become a patron",
        message.into(),
    )
}

pub(crate) async fn start(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    parts: Parts,
) -> Result<Response, PageError> {
    let raw = parts.uri.query().unwrap_or_default();
    let query = AuthorizeQuery::parse(Some(raw)).map_err(refused)?;
    let destination = state
        .oauth()
        .authorize_destination(Flavor::Patreon, &query)
        .await
        .map_err(|r| match r {
            PageRefusal::BadRequest(message) => refused(message),
            PageRefusal::Server => PageError::internal(),
        })?;
    let min: MinCents = serde_urlencoded::from_str(raw)
        .map_err(|_| refused("The min_cents parameter is repeated or malformed."))?;
    let min_cents = match min.min_cents.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=maecenas_core::billing::MAX_PLEDGE_CENTS).contains(n))
            .ok_or_else(|| refused("min_cents must be a whole number of cents, 0 or more."))?,
    };
    let Some(user) = user else {
        return Ok(Redirect::to(&session::login_url(&parts)).into_response());
    };
    let campaign = state
        .store()
        .campaign_by_creator(destination.client.owner_user_id)
        .await?
        .ok_or_else(|| refused("This application's creator has no campaign to pledge to."))?;
    let member = state.store().member_of(campaign.id, user.id).await?;
    let status = member.as_ref().and_then(|m| m.patron_status.as_deref());
    let pledged = member
        .as_ref()
        .map_or(0, |m| m.currently_entitled_amount_cents);
    let here = format!("/oauth2/become-patron?{raw}");
    match status {
        Some(maecenas_core::billing::ACTIVE) if pledged >= min_cents => {
            // The ordinary authorization, without the parameter only this flow knows.
            let rest: Vec<(String, String)> =
                serde_urlencoded::from_str::<Vec<(String, String)>>(raw)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|(k, _)| k != "min_cents")
                    .collect();
            let query = serde_urlencoded::to_string(rest).unwrap_or_default();
            Ok(Redirect::to(&format!("/oauth2/authorize?{query}")).into_response())
        }
        Some(maecenas_core::billing::ACTIVE | maecenas_core::billing::DECLINED) => {
            Err(PageError::new(
                StatusCode::CONFLICT,
                "Raise your pledge first",
                format!(
                    "This application asks for a pledge of at least {} to {}. Change or fix your \
                     pledge on My memberships (/memberships), then try again.",
                    super::money::show(min_cents, &campaign.currency),
                    campaign.creation_name
                ),
            ))
        }
        _ => {
            let join =
                serde_urlencoded::to_string([("min_cents", min_cents.to_string()), ("next", here)])
                    .unwrap_or_default();
            let vanity = serde_urlencoded::to_string([("", &campaign.vanity)]).unwrap_or_default();
            let vanity = vanity.trim_start_matches('=');
            Ok(Redirect::to(&format!("/c/{vanity}/join?{join}")).into_response())
        }
    }
}
