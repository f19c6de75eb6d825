//! `GET /campaigns` and `GET /campaigns/{id}`: the caller's own campaign (scope `campaigns`),
//! with `tiers`, `creator`, `benefits` and `goals` on request. Another creator's campaign is a
//! 403; an id that is not a number, or no campaign, is a 404.

use axum::{
    Json,
    extract::{Path, RawQuery, State},
};
use maecenas_store::entities::campaign;
use maecenas_types::Scope;

use super::{
    query,
    render::{self, internal},
    resources::UserAttributes,
};
use crate::{
    auth::Caller,
    jsonapi::document::Meta,
    jsonapi::{
        AllowedIncludes, ApiError, Document, IncludeTree, JsonApiQuery, Relationship, Resource,
        ResourceId, sparse,
    },
    state::PatreonState,
};

const INCLUDES: AllowedIncludes = AllowedIncludes(&[
    ("benefits", AllowedIncludes::NONE),
    ("creator", AllowedIncludes::NONE),
    ("goals", AllowedIncludes::NONE),
    ("tiers", AllowedIncludes::NONE),
]);

pub(super) async fn list(
    State(state): State<PatreonState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Document>, ApiError> {
    caller.require(Scope::Campaigns)?;
    let (query, include) = query::parse(raw.as_deref(), &INCLUDES)?;
    let own = state
        .store
        .campaign_by_creator(caller.user_id)
        .await
        .map_err(internal)?;
    let mut data = Vec::new();
    let mut included = Vec::new();
    if let Some(c) = &own {
        let (resource, related) = render_campaign(&state, &query, &include, c).await?;
        data.push(resource);
        included = related;
    }
    let total = u64::try_from(data.len()).unwrap_or_default();
    let mut document = Document::many(data).include(included);
    document.meta = Some(Meta::paginated(total, None));
    Ok(Json(document))
}

pub(super) async fn show(
    State(state): State<PatreonState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Document>, ApiError> {
    caller.require(Scope::Campaigns)?;
    let (query, include) = query::parse(raw.as_deref(), &INCLUDES)?;
    let c = owned_campaign(&state, &caller, &id).await?;
    let (resource, related) = render_campaign(&state, &query, &include, &c).await?;
    Ok(Json(
        Document::one(resource)
            .self_link(state.v2_url(&format!("campaigns/{}", c.id)))
            .include(related),
    ))
}

/// The campaign `id` if it exists and belongs to the caller.
pub(super) async fn owned_campaign(
    state: &PatreonState,
    caller: &Caller,
    id: &str,
) -> Result<campaign::Model, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let found = state
        .store
        .campaigns_by_ids(&[id])
        .await
        .map_err(internal)?
        .pop()
        .ok_or_else(ApiError::not_found)?;
    if found.creator_id != caller.user_id {
        return Err(ApiError::forbidden(
            "This campaign belongs to another creator.",
        ));
    }
    Ok(found)
}

async fn render_campaign(
    state: &PatreonState,
    query: &JsonApiQuery,
    include: &IncludeTree,
    c: &campaign::Model,
) -> Result<(Resource, Vec<Resource>), ApiError> {
    let mut resource = render::campaign(state, query, c).await?;
    let mut included = Vec::new();
    if include.has("tiers") {
        let tiers = state
            .store
            .tiers_of_campaign(c.id)
            .await
            .map_err(internal)?;
        let ids = tiers
            .iter()
            .map(|t| ResourceId::new("tier", t.id))
            .collect();
        resource = resource.relate("tiers", Relationship::to_many(ids));
        let refs: Vec<_> = tiers.iter().collect();
        included.extend(render::tier_resources(state, query, &refs).await?);
    }
    if include.has("creator") {
        let creator = state
            .store
            .user_by_id(c.creator_id)
            .await
            .map_err(internal)?
            .ok_or_else(ApiError::internal)?;
        let related = Some(state.v2_url(&format!("user/{}", creator.id)));
        resource = resource.relate(
            "creator",
            Relationship::to_one(Some(ResourceId::new("user", creator.id)), related),
        );
        let mut attributes = sparse(
            &UserAttributes::new(&creator, true, state.public_url.as_str()),
            query.fields_for("user"),
        );
        attributes.remove("email");
        included.push(Resource::new("user", creator.id, attributes));
    }
    // Goals are deprecated by Patreon and always empty; benefits are not served yet.
    for name in ["benefits", "goals"] {
        if include.has(name) {
            resource = resource.relate(
                if name == "goals" { "goals" } else { "benefits" },
                Relationship::to_many(Vec::new()),
            );
        }
    }
    Ok((resource, included))
}
