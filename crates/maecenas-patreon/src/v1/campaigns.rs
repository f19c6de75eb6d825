//! `GET /current_user/campaigns`: an array holding the caller's campaign, with v1's default
//! includes `rewards,creator,goals,pledges` (rewards start with the pseudo-rewards `"-1"` and
//! `"0"`; pledges are the first 20 with `links.first` to the pledges list).

use axum::{
    Json,
    extract::{RawQuery, State},
};
use maecenas_types::Scope;

use super::render::{self, internal};
use crate::{
    auth::Caller,
    jsonapi::{ApiError, Document, JsonApiQuery},
    state::PatreonState,
};

const DEFAULTS: &[&str] = &["rewards", "creator", "goals", "pledges"];

pub(super) async fn mine(
    State(state): State<PatreonState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Document>, ApiError> {
    render::require_either(&caller, Scope::Campaigns, Scope::V1MyCampaign)?;
    let query = JsonApiQuery::parse(raw.as_deref())?;
    let include = render::includes(&query, DEFAULTS, DEFAULTS)?;
    let own = state
        .store
        .campaign_by_creator(caller.user_id)
        .await
        .map_err(internal)?;
    let mut data = Vec::new();
    let mut included = Vec::new();
    if let Some(c) = &own {
        let (campaign, related) = render::campaign(&state, &query, c, &include).await?;
        data.push(campaign);
        included.extend(related);
    }
    let mut doc = Document::many(data).include(included);
    doc.links = None;
    Ok(Json(doc))
}
