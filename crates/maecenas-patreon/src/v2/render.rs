//! Rendering members and campaigns with whatever the request includes, shared by `/identity`,
//! the member lists and the campaign routes. Each relation is loaded in one query for the whole
//! page.

use std::collections::HashMap;

use maecenas_store::{
    StoreError,
    entities::{campaign, member, tier},
};

use super::query::wants;
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
    // A member's name and e-mail are its user's: read users only when something shows them.
    let users = if include.has("user") || wants(query, "member", &["email", "full_name"]) {
        let user_ids: Vec<i64> = members.iter().map(|m| m.user_id).collect();
        store.users_by_ids(&user_ids).await.map_err(internal)?
    } else {
        HashMap::new()
    };
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
        let u = users.get(&m.user_id);
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
            let related = Some(state.v2_url(&format!("user/{}", m.user_id)));
            resource = resource.relate(
                "user",
                Relationship::to_one(Some(ResourceId::new("user", m.user_id)), related),
            );
            if let Some(u) = u {
                let mut user_fields = sparse(
                    &UserAttributes::new(u, false, state.public_url.as_str()),
                    query.fields_for("user"),
                );
                if !visibility.email {
                    user_fields.remove("email");
                }
                included.push(Resource::new("user", u.id, user_fields));
            }
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
    // Many members share a tier: render each once.
    let unique: std::collections::BTreeMap<i64, &tier::Model> =
        tiers.values().flatten().map(|t| (t.id, t)).collect();
    let all_tiers: Vec<&tier::Model> = unique.into_values().collect();
    included.extend(tier_resources(state, query, &all_tiers).await?);
    Ok((data, included))
}

/// A campaign resource with its live patron count (counted only when asked for).
pub(crate) async fn campaign(
    state: &PatreonState,
    query: &JsonApiQuery,
    c: &campaign::Model,
) -> Result<Resource, ApiError> {
    let count = if wants(query, "campaign", &["patron_count"]) {
        let counts = state.store.patron_counts(&[c.id]).await.map_err(internal)?;
        counts.get(&c.id).copied().unwrap_or(0)
    } else {
        0
    };
    let attributes = CampaignAttributes::new(c, count, state.public_url.as_str());
    Ok(Resource::new(
        "campaign",
        c.id,
        sparse(&attributes, query.fields_for("campaign")),
    ))
}

/// Tier resources with their live patron counts (counted only when asked for).
pub(super) async fn tier_resources(
    state: &PatreonState,
    query: &JsonApiQuery,
    tiers: &[&tier::Model],
) -> Result<Vec<Resource>, ApiError> {
    let counts = if wants(query, "tier", &["patron_count", "remaining"]) {
        let ids: Vec<i64> = tiers.iter().map(|t| t.id).collect();
        state
            .store
            .tier_patron_counts(&ids)
            .await
            .map_err(internal)?
    } else {
        HashMap::new()
    };
    Ok(tiers
        .iter()
        .map(|t| {
            let attributes = TierAttributes::new(t, counts.get(&t.id).copied().unwrap_or(0));
            Resource::new("tier", t.id, sparse(&attributes, query.fields_for("tier")))
        })
        .collect())
}
