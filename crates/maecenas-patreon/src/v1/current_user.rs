//! `GET /current_user`: the token's user with v1's default includes, `campaign` and `pledges`
//! (the user's own pledges to any campaign), `links.self` = `…/api/user/{id}`.

use axum::{
    Json,
    extract::{RawQuery, State},
};
use maecenas_types::Scope;

use super::render::{self, internal};
use crate::{
    auth::Caller,
    jsonapi::{ApiError, Document, JsonApiQuery, Relationship, ResourceId},
    state::PatreonState,
};

pub(super) async fn show(
    State(state): State<PatreonState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Document>, ApiError> {
    render::require_either(&caller, Scope::Identity, Scope::V1Users)?;
    let query = JsonApiQuery::parse(raw.as_deref())?;
    let include = render::includes(&query, &["campaign", "pledges"], &["campaign", "pledges"])?;

    let me = state
        .store
        .user_by_id(caller.user_id)
        .await
        .map_err(internal)?
        .ok_or_else(ApiError::unauthorized)?;
    let own_campaign = state
        .store
        .campaign_by_creator(me.id)
        .await
        .map_err(internal)?;

    let mut resource = render::user(&state, &query, &me, own_campaign.is_some());
    if !caller.has(Scope::IdentityEmail) {
        resource.attributes.remove("email");
    }
    let mut included = Vec::new();

    if include.contains("campaign") {
        let target = own_campaign
            .as_ref()
            .map(|c| ResourceId::new("campaign", c.id));
        let related = own_campaign
            .as_ref()
            .map(|c| state.v1_related(&format!("campaigns/{}", c.id)));
        resource = resource.relate("campaign", Relationship::to_one(target, related));
        if let Some(c) = &own_campaign {
            let (campaign, _) = render::campaign(&state, &query, c, &Default::default()).await?;
            included.push(campaign);
        }
    }
    if include.contains("pledges") {
        let mine = state.store.pledges_of_user(me.id).await.map_err(internal)?;
        let ids = mine
            .iter()
            .map(|m| ResourceId::new("pledge", m.id))
            .collect();
        resource = resource.relate("pledges", Relationship::to_many(ids));
        let (pledges, _) = render::pledges(&state, &query, &mine, &Default::default()).await?;
        included.extend(pledges);
    }
    Ok(Json(
        Document::one(resource)
            .self_link(state.v1_related(&format!("user/{}", me.id)))
            .include(included),
    ))
}
