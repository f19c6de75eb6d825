//! `GET /identity` (and the seed's `/me`): the token's user, with `campaign` and `memberships`
//! (nested: `memberships.campaign`, `memberships.currently_entitled_tiers`) on request.
//!
//! Scopes decide what is seen (`patreon.md` §4.1): `email` only with `identity[email]`; without
//! `identity.memberships` only the membership to the client owner's campaign; the user's own
//! campaign only with `campaigns` (without it the relationship is `null`).

use std::collections::HashMap;

use axum::{
    Json,
    extract::{RawQuery, State},
};
use maecenas_store::{
    StoreError,
    entities::{campaign, member, tier, user},
};
use maecenas_types::Scope;

use super::resources::{CampaignAttributes, MemberAttributes, TierAttributes, UserAttributes};
use crate::{
    auth::Caller,
    jsonapi::{
        AllowedIncludes, ApiError, Document, IncludeTree, JsonApiQuery, Relationship, Resource,
        ResourceId, sparse,
    },
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

fn internal(err: StoreError) -> ApiError {
    tracing::error!(error = %err, "identity failed");
    ApiError::internal()
}

pub(super) async fn show(
    State(state): State<PatreonState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Document>, ApiError> {
    caller.require(Scope::Identity)?;
    let query = JsonApiQuery::parse(raw.as_deref())?;
    let include = query.include.clone().unwrap_or_default();
    include.check(&INCLUDES)?;

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
    let mut resource = Resource::new("user", me.id, attributes)
        .self_link(state.v2_url(&format!("user/{}", me.id)));
    let mut included = Vec::new();

    if include.has("campaign") {
        let visible = own_campaign.filter(|_| caller.has(Scope::Campaigns));
        let target = visible.as_ref().map(|c| ResourceId::new("campaign", c.id));
        let related = visible
            .as_ref()
            .map(|c| state.v2_url(&format!("campaigns/{}", c.id)));
        resource = resource.relate("campaign", Relationship::to_one(target, related));
        if let Some(c) = &visible {
            included.push(campaign_resource(&state, &query, c).await?);
        }
    }

    if let Some(nested) = include.child("memberships") {
        let members = visible_memberships(&state, &caller, me.id).await?;
        let ids = members
            .iter()
            .map(|m| ResourceId::new("member", m.id))
            .collect();
        resource = resource.relate("memberships", Relationship::to_many(ids));
        included
            .extend(membership_resources(&state, &caller, &query, nested, &me, &members).await?);
    }

    Ok(Json(Document::one(resource).include(included)))
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

async fn campaign_resource(
    state: &PatreonState,
    query: &JsonApiQuery,
    c: &campaign::Model,
) -> Result<Resource, ApiError> {
    let counts = state.store.patron_counts(&[c.id]).await.map_err(internal)?;
    let attributes = CampaignAttributes::new(
        c,
        counts.get(&c.id).copied().unwrap_or(0),
        state.public_url.as_str(),
    );
    Ok(Resource::new(
        "campaign",
        c.id,
        sparse(&attributes, query.fields_for("campaign")),
    ))
}

/// Member resources for `members`, with the relationships and included resources `nested` asks
/// for.
async fn membership_resources(
    state: &PatreonState,
    caller: &Caller,
    query: &JsonApiQuery,
    nested: &IncludeTree,
    me: &user::Model,
    members: &[member::Model],
) -> Result<Vec<Resource>, ApiError> {
    let member_ids: Vec<_> = members.iter().map(|m| m.id).collect();
    let tiers: HashMap<_, Vec<tier::Model>> = if nested.has("currently_entitled_tiers") {
        state
            .store
            .entitled_tiers(&member_ids)
            .await
            .map_err(internal)?
    } else {
        HashMap::new()
    };
    let campaigns: Vec<campaign::Model> = if nested.has("campaign") {
        let ids: Vec<i64> = members.iter().map(|m| m.campaign_id).collect();
        state.store.campaigns_by_ids(&ids).await.map_err(internal)?
    } else {
        Vec::new()
    };
    let mut resources = Vec::new();
    for m in members {
        let mut attributes = sparse(&MemberAttributes::new(m, me), query.fields_for("member"));
        if !caller.has(Scope::IdentityEmail) {
            attributes.remove("email");
        }
        let mut resource = Resource::new("member", m.id, attributes);
        if nested.has("campaign") {
            let related = Some(state.v2_url(&format!("campaigns/{}", m.campaign_id)));
            resource = resource.relate(
                "campaign",
                Relationship::to_one(Some(ResourceId::new("campaign", m.campaign_id)), related),
            );
        }
        if nested.has("user") {
            let related = Some(state.v2_url(&format!("user/{}", me.id)));
            resource = resource.relate(
                "user",
                Relationship::to_one(Some(ResourceId::new("user", me.id)), related),
            );
        }
        if nested.has("currently_entitled_tiers") {
            let ids = tiers
                .get(&m.id)
                .into_iter()
                .flatten()
                .map(|t| ResourceId::new("tier", t.id))
                .collect();
            resource = resource.relate("currently_entitled_tiers", Relationship::to_many(ids));
        }
        resources.push(resource);
    }
    for c in &campaigns {
        resources.push(campaign_resource(state, query, c).await?);
    }
    let all_tiers: Vec<&tier::Model> = tiers.values().flatten().collect();
    let tier_ids: Vec<i64> = all_tiers.iter().map(|t| t.id).collect();
    let counts = state
        .store
        .tier_patron_counts(&tier_ids)
        .await
        .map_err(internal)?;
    for t in all_tiers {
        let attributes = TierAttributes::new(t, counts.get(&t.id).copied().unwrap_or(0));
        resources.push(Resource::new(
            "tier",
            t.id,
            sparse(&attributes, query.fields_for("tier")),
        ));
    }
    Ok(resources)
}
