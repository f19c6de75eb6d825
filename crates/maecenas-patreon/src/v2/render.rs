//! Rendering members and campaigns with whatever the request includes, shared by `/identity`,
//! the member lists and the campaign routes. Each relation is loaded in one query for the whole
//! page.

use std::collections::HashMap;

use maecenas_store::{
    StoreError,
    entities::{campaign, member, tier},
};

use super::resources::{
    AddressAttributes, CampaignAttributes, MemberAttributes, PledgeEventAttributes, TierAttributes,
    UserAttributes,
};
use crate::{
    jsonapi::{ApiError, IncludeTree, JsonApiQuery, Relationship, Resource, ResourceId, sparse},
    state::PatreonState,
};

pub(super) fn internal(err: StoreError) -> ApiError {
    tracing::error!(error = %err, "Patreon API read failed");
    ApiError::internal()
}

/// What the caller may see of members.
#[derive(Debug, Clone, Copy)]
pub(super) struct MemberVisibility {
    pub email: bool,
    pub address: bool,
}

/// Member resources for `members` and the resources their included relationships bring.
pub(super) async fn members(
    state: &PatreonState,
    query: &JsonApiQuery,
    include: &IncludeTree,
    members: &[member::Model],
    visibility: MemberVisibility,
) -> Result<(Vec<Resource>, Vec<Resource>), ApiError> {
    let store = &state.store;
    let member_ids: Vec<_> = members.iter().map(|m| m.id).collect();
    let user_ids: Vec<i64> = members.iter().map(|m| m.user_id).collect();
    let users = store.users_by_ids(&user_ids).await.map_err(internal)?;
    let tiers = if include.has("currently_entitled_tiers") {
        store.entitled_tiers(&member_ids).await.map_err(internal)?
    } else {
        HashMap::new()
    };
    let show_address = include.has("address") && visibility.address;
    let addresses = if show_address {
        let ids: Vec<i64> = members.iter().filter_map(|m| m.address_id).collect();
        store.addresses_by_ids(&ids).await.map_err(internal)?
    } else {
        HashMap::new()
    };
    let histories = if include.has("pledge_history") {
        store
            .pledge_histories(&member_ids)
            .await
            .map_err(internal)?
    } else {
        HashMap::new()
    };

    let mut data = Vec::with_capacity(members.len());
    let mut included = Vec::new();
    for m in members {
        let Some(u) = users.get(&m.user_id) else {
            continue;
        };
        let mut attributes = sparse(&MemberAttributes::new(m, u), query.fields_for("member"));
        if !visibility.email {
            attributes.remove("email");
        }
        let mut resource = Resource::new("member", m.id, attributes);
        if include.has("campaign") {
            let related = Some(state.v2_url(&format!("campaigns/{}", m.campaign_id)));
            resource = resource.relate(
                "campaign",
                Relationship::to_one(Some(ResourceId::new("campaign", m.campaign_id)), related),
            );
        }
        if include.has("user") {
            let related = Some(state.v2_url(&format!("user/{}", u.id)));
            resource = resource.relate(
                "user",
                Relationship::to_one(Some(ResourceId::new("user", u.id)), related),
            );
            let user_fields = sparse(
                &UserAttributes::new(u, false, state.public_url.as_str()),
                query.fields_for("user"),
            );
            let mut user_fields = user_fields;
            if !visibility.email {
                user_fields.remove("email");
            }
            included.push(Resource::new("user", u.id, user_fields));
        }
        if include.has("currently_entitled_tiers") {
            let ids = tiers
                .get(&m.id)
                .into_iter()
                .flatten()
                .map(|t| ResourceId::new("tier", t.id))
                .collect();
            resource = resource.relate("currently_entitled_tiers", Relationship::to_many(ids));
        }
        if show_address {
            let address = m.address_id.and_then(|id| addresses.get(&id));
            let related = address.map(|a| state.v2_url(&format!("address/{}", a.id)));
            resource = resource.relate(
                "address",
                Relationship::to_one(address.map(|a| ResourceId::new("address", a.id)), related),
            );
            if let Some(a) = address {
                included.push(Resource::new(
                    "address",
                    a.id,
                    sparse(&AddressAttributes::new(a), query.fields_for("address")),
                ));
            }
        }
        if include.has("pledge_history") {
            let events = histories.get(&m.id).map(Vec::as_slice).unwrap_or_default();
            let ids = events
                .iter()
                .map(|e| ResourceId::new("pledge-event", PledgeEventAttributes::id(e)))
                .collect();
            resource = resource.relate("pledge_history", Relationship::to_many(ids));
            for e in events {
                let attributes = sparse(
                    &PledgeEventAttributes::new(e),
                    query.fields_for("pledge-event"),
                );
                included.push(Resource::new(
                    "pledge-event",
                    PledgeEventAttributes::id(e),
                    attributes,
                ));
            }
        }
        data.push(resource);
    }
    if include.has("campaign") {
        let ids: Vec<i64> = members.iter().map(|m| m.campaign_id).collect();
        for c in store.campaigns_by_ids(&ids).await.map_err(internal)? {
            included.push(campaign(state, query, &c).await?);
        }
    }
    let all_tiers: Vec<&tier::Model> = tiers.values().flatten().collect();
    included.extend(tier_resources(state, query, &all_tiers).await?);
    Ok((data, included))
}

/// A campaign resource with its live patron count.
pub(super) async fn campaign(
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

/// Tier resources with their live patron counts.
pub(super) async fn tier_resources(
    state: &PatreonState,
    query: &JsonApiQuery,
    tiers: &[&tier::Model],
) -> Result<Vec<Resource>, ApiError> {
    let ids: Vec<i64> = tiers.iter().map(|t| t.id).collect();
    let counts = state
        .store
        .tier_patron_counts(&ids)
        .await
        .map_err(internal)?;
    Ok(tiers
        .iter()
        .map(|t| {
            let attributes = TierAttributes::new(t, counts.get(&t.id).copied().unwrap_or(0));
            Resource::new("tier", t.id, sparse(&attributes, query.fields_for("tier")))
        })
        .collect())
}
