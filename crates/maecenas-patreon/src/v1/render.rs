//! Rendering v1 resources: users, campaigns with their rewards (pseudo-rewards first) and goals,
//! and pledges with their patron, reward, creator and address relationships. v1 sends its
//! default attributes and relationships unasked; `include` decides what lands in `included`.

use std::collections::{BTreeSet, HashMap};

use maecenas_store::{
    StoreError,
    entities::{campaign, member, tier, user},
};

use super::resources::{
    CampaignAttributes, CampaignNumbers, GoalAttributes, PLEDGE_DEFAULTS, PledgeAttributes,
    PseudoRewardAttributes, RewardAttributes, USER_DEFAULTS, UserAttributes,
};
use maecenas_types::Scope;

use crate::{
    auth::Caller,
    jsonapi::{
        ApiError, JsonApiQuery, Relationship, Resource, ResourceId, document::with_defaults,
    },
    state::PatreonState,
};

/// A page size no campaign reaches, for reading every pledge at once.
const EVERY_PLEDGE: u64 = 1 << 31;

pub(super) fn internal(err: StoreError) -> ApiError {
    tracing::error!(error = %err, "Patreon API v1 read failed");
    ApiError::internal()
}

/// Refuses the request unless the token carries the v2 scope or its v1 form (401 naming the
/// v2 scope).
pub(super) fn require_either(caller: &Caller, v2: Scope, v1: Scope) -> Result<(), ApiError> {
    if caller.has(v1) {
        Ok(())
    } else {
        caller.require(v2)
    }
}

/// The top-level relationships to include: v1's defaults (unless `include=null` or
/// `json-api-use-default-includes=false`) plus the explicit ones. Anything else is refused.
pub(super) fn includes(
    query: &JsonApiQuery,
    defaults: &[&'static str],
    allowed: &[&'static str],
) -> Result<BTreeSet<&'static str>, ApiError> {
    let Some(tree) = &query.include else {
        return Ok(BTreeSet::new());
    };
    let mut names: BTreeSet<&'static str> = if query.no_default_includes {
        BTreeSet::new()
    } else {
        defaults.iter().copied().collect()
    };
    for name in tree.names() {
        let known = allowed.iter().find(|a| **a == name).ok_or_else(|| {
            ApiError::invalid_parameter("include", format!("Cannot include `{name}`."))
        })?;
        names.insert(known);
    }
    Ok(names)
}

/// A v1 user with its default attributes and any named in `fields[user]`.
pub(super) fn user(
    state: &PatreonState,
    query: &JsonApiQuery,
    u: &user::Model,
    is_creator: bool,
) -> Resource {
    let attributes = UserAttributes::new(u, is_creator, state.public_url.as_str());
    Resource::new(
        "user",
        u.id,
        with_defaults(&attributes, USER_DEFAULTS, query.fields_for("user")),
    )
}

fn to_one(state: &PatreonState, kind: &'static str, path: &str, id: i64) -> Relationship {
    Relationship::to_one(
        Some(ResourceId::new(kind, id)),
        Some(state.v1_related(&format!("{path}/{id}"))),
    )
}

/// A v1 campaign with its creator, rewards and goals related, and those resources.
pub(super) async fn campaign(
    state: &PatreonState,
    query: &JsonApiQuery,
    c: &campaign::Model,
    include: &BTreeSet<&'static str>,
) -> Result<(Resource, Vec<Resource>), ApiError> {
    let store = &state.store;
    let patron_count = store
        .patron_counts(&[c.id])
        .await
        .map_err(internal)?
        .get(&c.id)
        .copied()
        .unwrap_or(0);
    let active = store
        .pledges_page(c.id, None, EVERY_PLEDGE)
        .await
        .map_err(internal)?;
    let pledge_sum = active
        .iter()
        .filter(|m| m.patron_status.as_deref() == Some("active_patron"))
        .map(|m| m.will_pay_amount_cents)
        .sum();
    let numbers = CampaignNumbers {
        patron_count,
        pledge_sum,
        creation_count: 0,
    };
    let attributes = with_all(&CampaignAttributes::new(c, numbers));
    let mut resource = Resource::new("campaign", c.id, attributes)
        .relate("creator", to_one(state, "user", "user", c.creator_id));
    let mut included = Vec::new();

    let tiers = store.tiers_of_campaign(c.id).await.map_err(internal)?;
    let mut rewards: Vec<ResourceId> = PseudoRewardAttributes::both()
        .iter()
        .map(|(id, _)| ResourceId::new("reward", id))
        .collect();
    rewards.extend(tiers.iter().map(|t| ResourceId::new("reward", t.id)));
    resource = resource.relate("rewards", Relationship::to_many(rewards));
    if include.contains("rewards") {
        for (id, attributes) in PseudoRewardAttributes::both() {
            included.push(Resource::new("reward", id, with_all(&attributes)));
        }
        let ids: Vec<i64> = tiers.iter().map(|t| t.id).collect();
        let counts = store.tier_patron_counts(&ids).await.map_err(internal)?;
        for t in &tiers {
            let attributes = RewardAttributes::new(t, counts.get(&t.id).copied().unwrap_or(0));
            included.push(
                Resource::new("reward", t.id, with_all(&attributes))
                    .relate("campaign", to_one(state, "campaign", "campaigns", c.id)),
            );
        }
    }

    let goals = store.goals_of_campaign(c.id).await.map_err(internal)?;
    resource = resource.relate(
        "goals",
        Relationship::to_many(
            goals
                .iter()
                .map(|g| ResourceId::new("goal", g.id))
                .collect(),
        ),
    );
    if include.contains("goals") {
        for g in &goals {
            included.push(Resource::new(
                "goal",
                g.id,
                with_all(&GoalAttributes::new(g, pledge_sum)),
            ));
        }
    }

    if include.contains("creator") {
        let creators = store
            .users_by_ids(&[c.creator_id])
            .await
            .map_err(internal)?;
        if let Some(u) = creators.get(&c.creator_id) {
            included.push(
                user(state, query, u, true)
                    .relate("campaign", to_one(state, "campaign", "campaigns", c.id)),
            );
        }
    }

    if include.contains("pledges") {
        let first: Vec<member::Model> = active.into_iter().take(20).collect();
        let ids = first
            .iter()
            .map(|m| ResourceId::new("pledge", m.id))
            .collect();
        let link = state.v1_url(&format!("campaigns/{}/pledges?page%5Bcount%5D=20", c.id));
        resource = resource.relate("pledges", Relationship::to_many_first(ids, link));
        let (pledges, _) = pledges(state, query, &first, &BTreeSet::new()).await?;
        included.extend(pledges);
    }
    Ok((resource, included))
}

/// Every attribute: for types whose v1 attributes are all defaults.
fn with_all<A: serde::Serialize>(attributes: &A) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(attributes) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// Pledge resources for `members` with their relationships, and the included resources
/// `include` asks for (`patron`, `reward`, `creator`).
pub(crate) async fn pledges(
    state: &PatreonState,
    query: &JsonApiQuery,
    members: &[member::Model],
    include: &BTreeSet<&'static str>,
) -> Result<(Vec<Resource>, Vec<Resource>), ApiError> {
    let member_ids: Vec<_> = members.iter().map(|m| m.id).collect();
    let tiers = state
        .store
        .entitled_tiers(&member_ids)
        .await
        .map_err(internal)?;
    pledges_with_tiers(state, query, members, include, tiers).await
}

/// [`pledges`] with the members' entitled tiers given (a webhook event's snapshot).
pub(crate) async fn pledges_with_tiers(
    state: &PatreonState,
    query: &JsonApiQuery,
    members: &[member::Model],
    include: &BTreeSet<&'static str>,
    tiers: HashMap<uuid::Uuid, Vec<tier::Model>>,
) -> Result<(Vec<Resource>, Vec<Resource>), ApiError> {
    let store = &state.store;
    let campaign_ids: Vec<i64> = members.iter().map(|m| m.campaign_id).collect();
    let campaigns: HashMap<i64, campaign::Model> = store
        .campaigns_by_ids(&campaign_ids)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut user_ids: Vec<i64> = members.iter().map(|m| m.user_id).collect();
    user_ids.extend(campaigns.values().map(|c| c.creator_id));
    let users = if include.contains("patron") || include.contains("creator") {
        store.users_by_ids(&user_ids).await.map_err(internal)?
    } else {
        HashMap::new()
    };
    let counts = if include.contains("reward") {
        let ids: Vec<i64> = tiers.values().flatten().map(|t| t.id).collect();
        store.tier_patron_counts(&ids).await.map_err(internal)?
    } else {
        HashMap::new()
    };

    let mut data = Vec::with_capacity(members.len());
    let mut included = Vec::new();
    for m in members {
        let attributes = with_defaults(
            &PledgeAttributes::new(m),
            PLEDGE_DEFAULTS,
            query.fields_for("pledge"),
        );
        let creator = campaigns.get(&m.campaign_id).map(|c| c.creator_id);
        let reward = tiers.get(&m.id).and_then(|ts| ts.last());
        let mut resource = Resource::new("pledge", m.id, attributes)
            .relate("patron", to_one(state, "user", "user", m.user_id))
            .relate("address", Relationship::to_one(None, None))
            .relate(
                "reward",
                match reward {
                    Some(t) => to_one(state, "reward", "rewards", t.id),
                    None => Relationship::to_one(None, None),
                },
            );
        if let Some(creator) = creator {
            resource = resource.relate("creator", to_one(state, "user", "user", creator));
        }
        data.push(resource);
        if include.contains("patron")
            && let Some(u) = users.get(&m.user_id)
        {
            included.push(user(state, query, u, false));
        }
        if include.contains("creator")
            && let Some(u) = creator.and_then(|id| users.get(&id))
        {
            included.push(user(state, query, u, true));
        }
        if include.contains("reward")
            && let Some(t) = reward
        {
            let attributes = RewardAttributes::new(t, counts.get(&t.id).copied().unwrap_or(0));
            included.push(Resource::new("reward", t.id, with_all(&attributes)).relate(
                "campaign",
                to_one(state, "campaign", "campaigns", t.campaign_id),
            ));
        }
    }
    Ok((data, included))
}
