//! `GET /identity` (and the seed's `/me`): the token's user, with `campaign` and `memberships`
//! (nested: `memberships.campaign`, `memberships.currently_entitled_tiers`) on request.
//!
//! Scopes decide what is seen (`patreon.md` §4.1): `email` only with `identity[email]`; without
//! `identity.memberships` only the membership to the client owner's campaign; the user's own
//! campaign only with `campaigns` (without it the relationship is `null`).

use axum::{
    Json,
    extract::{RawQuery, State},
};
use maecenas_store::entities::member;
use maecenas_types::Scope;

use super::{
    query,
    render::{self, MemberVisibility, internal},
    resources::UserAttributes,
};
use crate::{
    auth::Caller,
    jsonapi::{AllowedIncludes, ApiError, Document, Relationship, Resource, ResourceId, sparse},
    state::PatreonState,
};

const INCLUDES: AllowedIncludes = AllowedIncludes(&[
    ("campaign", AllowedIncludes::NONE),
    (
        "memberships",
        AllowedIncludes(&[
            ("campaign", AllowedIncludes::NONE),
            ("currently_entitled_tiers", AllowedIncludes::NONE),
            ("user", AllowedIncludes::NONE),
        ]),
    ),
]);

pub(super) async fn show(
    State(state): State<PatreonState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Document>, ApiError> {
    caller.require(Scope::Identity)?;
    let (query, include) = query::parse(raw.as_deref(), &INCLUDES)?;

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
    let public = state.public_url.as_str();

    let mut attributes = sparse(
        &UserAttributes::new(&me, own_campaign.is_some(), public),
        query.fields_for("user"),
    );
    if !caller.has(Scope::IdentityEmail) {
        attributes.remove("email");
    }
    let mut resource = Resource::new("user", me.id, attributes);
    let mut included = Vec::new();

    if include.has("campaign") {
        let visible = own_campaign.filter(|_| caller.has(Scope::Campaigns));
        let target = visible.as_ref().map(|c| ResourceId::new("campaign", c.id));
        let related = visible
            .as_ref()
            .map(|c| state.v2_url(&format!("campaigns/{}", c.id)));
        resource = resource.relate("campaign", Relationship::to_one(target, related));
        if let Some(c) = &visible {
            included.push(render::campaign(&state, &query, c).await?);
        }
    }

    if let Some(nested) = include.child("memberships") {
        let members = visible_memberships(&state, &caller, me.id).await?;
        let ids = members
            .iter()
            .map(|m| ResourceId::new("member", m.id))
            .collect();
        resource = resource.relate("memberships", Relationship::to_many(ids));
        let visibility = MemberVisibility {
            email: caller.has(Scope::IdentityEmail),
            address: false,
        };
        let (memberships, related) =
            render::members(&state, &query, nested, &members, visibility).await?;
        included.extend(memberships);
        included.extend(related);
    }

    Ok(Json(
        Document::one(resource)
            .self_link(state.v2_url(&format!("user/{}", me.id)))
            .include(included),
    ))
}

/// The user's memberships the caller may see.
async fn visible_memberships(
    state: &PatreonState,
    caller: &Caller,
    user_id: i64,
) -> Result<Vec<member::Model>, ApiError> {
    let all = state
        .store
        .memberships_of_user(user_id)
        .await
        .map_err(internal)?;
    if caller.has(Scope::IdentityMemberships) {
        return Ok(all);
    }
    // Only the membership to the campaign of the client's owner.
    let owner = state
        .store
        .oauth_client_by_id(caller.client_id)
        .await
        .map_err(internal)?
        .map(|c| c.owner_user_id);
    let campaign = match owner {
        Some(owner) => state
            .store
            .campaign_by_creator(owner)
            .await
            .map_err(internal)?,
        None => None,
    };
    Ok(all
        .into_iter()
        .filter(|m| campaign.as_ref().is_some_and(|c| c.id == m.campaign_id))
        .collect())
}
