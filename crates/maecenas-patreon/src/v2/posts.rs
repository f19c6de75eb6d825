//! Posts of the caller's campaign: `GET /campaigns/{id}/posts` and `GET /posts/{id}`, with scope
//! `campaigns.posts`, `user` and `campaign` on request (Patreon allows no other include on
//! posts).
//!
//! Only published posts are served; a draft is a 404 like a missing post, another creator's
//! post or campaign a 403. Lists are keyset pages on `(published_at, id)`, oldest first or, with
//! `sort=-published_at` (as clients send it), newest first; `page[count]` defaults to 20 (the
//! page Patreon gave clients that set none) and larger asks than 500 are clamped. The cursor
//! names its order, so a cursor from one order is refused by the other.

use axum::{
    Json,
    extract::{Path, RawQuery, State},
};
use chrono::{DateTime, Utc};
use maecenas_store::{entities::post, posts::PostAfter};
use maecenas_types::Scope;

use super::{
    campaigns::owned_campaign,
    query::{self, wants},
    render::{self, internal},
    resources::{PostAttributes, UserAttributes},
};
use crate::{
    auth::Caller,
    jsonapi::{
        AllowedIncludes, ApiError, Cursor, Document, IncludeTree, JsonApiQuery, Relationship,
        Resource, ResourceId, document::Meta, next_link, sparse,
    },
    state::PatreonState,
};

const INCLUDES: AllowedIncludes = AllowedIncludes(&[
    ("campaign", AllowedIncludes::NONE),
    ("user", AllowedIncludes::NONE),
]);
const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 500;
const OLDEST_FIRST: Cursor = Cursor::new("posts");
const NEWEST_FIRST: Cursor = Cursor::new("posts-newest");

pub(super) async fn of_campaign(
    State(state): State<PatreonState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Document>, ApiError> {
    caller.require(Scope::CampaignsPosts)?;
    let c = owned_campaign(&state, &caller, &id).await?;
    let (query, include) = query::parse(raw.as_deref(), &INCLUDES)?;
    query.check_sort(&["published_at"])?;
    let newest_first = query.sort.first().is_some_and(|k| k.descending);
    let cursor = if newest_first {
        NEWEST_FIRST
    } else {
        OLDEST_FIRST
    };
    let size = query.page_size(DEFAULT_PAGE, MAX_PAGE);
    let after = query
        .page_cursor
        .as_deref()
        .map(|c| cursor.decode::<(DateTime<Utc>, i64)>(c))
        .transpose()?
        .map(|(published_at, id)| PostAfter { published_at, id });
    // One row more than the page tells whether there is a next page.
    let mut rows = state
        .store
        .posts_page(c.id, after, newest_first, u64::from(size) + 1)
        .await
        .map_err(internal)?;
    let page = usize::try_from(size).unwrap_or(usize::MAX);
    let more = rows.len() > page;
    rows.truncate(page);
    let next = rows
        .last()
        .filter(|_| more)
        .and_then(|p| Some(cursor.encode(&(p.published_at?, p.id))));
    let total = state.store.count_posts(c.id).await.map_err(internal)?;
    let (data, included) = render(&state, &query, &include, &rows).await?;

    let mut document = Document::many(data).include(included);
    if let (Some(links), Some(cursor)) = (document.links.as_mut(), next.as_deref()) {
        let path = format!("campaigns/{}/posts", c.id);
        links.next = Some(next_link(
            &state.v2_url(&path),
            raw.as_deref(),
            size,
            cursor,
        ));
    }
    document.meta = Some(Meta::paginated(total, next));
    Ok(Json(document))
}

pub(super) async fn show(
    State(state): State<PatreonState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Document>, ApiError> {
    caller.require(Scope::CampaignsPosts)?;
    let (query, include) = query::parse(raw.as_deref(), &INCLUDES)?;
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let p = state
        .store
        .post_by_id(id)
        .await
        .map_err(internal)?
        .filter(|p| p.published_at.is_some())
        .ok_or_else(ApiError::not_found)?;
    owned_campaign(&state, &caller, &p.campaign_id.to_string()).await?;
    let (mut data, included) = render(&state, &query, &include, std::slice::from_ref(&p)).await?;
    let resource = data.pop().ok_or_else(ApiError::internal)?;
    Ok(Json(
        Document::one(resource)
            .self_link(state.v2_url(&format!("posts/{}", p.id)))
            .include(included),
    ))
}

/// Post resources and what their included relationships bring, in a fixed number of queries.
async fn render(
    state: &PatreonState,
    query: &JsonApiQuery,
    include: &IncludeTree,
    posts: &[post::Model],
) -> Result<(Vec<Resource>, Vec<Resource>), ApiError> {
    let store = &state.store;
    let public = state.public_url.as_str();
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let tiers = if wants(query, "post", &["tiers"]) {
        store.post_tier_ids(&ids).await.map_err(internal)?
    } else {
        Default::default()
    };
    let users = if include.has("user") {
        let authors: Vec<i64> = posts.iter().map(|p| p.user_id).collect();
        store.users_by_ids(&authors).await.map_err(internal)?
    } else {
        Default::default()
    };
    let mut data = Vec::with_capacity(posts.len());
    let mut included = Vec::new();
    for p in posts {
        let tier_ids = tiers.get(&p.id).map(Vec::as_slice).unwrap_or_default();
        let attributes = sparse(
            &PostAttributes::new(p, tier_ids, public),
            query.fields_for("post"),
        );
        let mut resource = Resource::new("post", p.id, attributes);
        if include.has("campaign") {
            let related = Some(state.v2_url(&format!("campaigns/{}", p.campaign_id)));
            resource = resource.relate(
                "campaign",
                Relationship::to_one(Some(ResourceId::new("campaign", p.campaign_id)), related),
            );
        }
        if include.has("user") {
            let related = Some(state.v2_url(&format!("user/{}", p.user_id)));
            resource = resource.relate(
                "user",
                Relationship::to_one(Some(ResourceId::new("user", p.user_id)), related),
            );
            if let Some(u) = users.get(&p.user_id) {
                // The author of a campaign's post is its creator.
                let mut attributes = sparse(
                    &UserAttributes::new(u, true, public),
                    query.fields_for("user"),
                );
                attributes.remove("email");
                included.push(Resource::new("user", u.id, attributes));
            }
        }
        data.push(resource);
    }
    if include.has("campaign") {
        let mut campaign_ids: Vec<i64> = posts.iter().map(|p| p.campaign_id).collect();
        campaign_ids.dedup();
        for c in store
            .campaigns_by_ids(&campaign_ids)
            .await
            .map_err(internal)?
        {
            included.push(render::campaign(state, query, &c).await?);
        }
    }
    Ok((data, included))
}
