//! Members of the caller's campaign: `GET /campaigns/{id}/members`, the seed's `GET /members`
//! (the token user's campaign) and `GET /members/{id}`, with scope `campaigns.members`.
//!
//! Lists are keyset-paginated by member id: `page[count]` up to 1000 (500 with
//! `pledge_history`, larger asks clamped), an opaque `page[cursor]`, `meta.pagination.total`,
//! `meta.pagination.cursors.next` (`null` on the last page) and an absolute `links.next`.

use axum::{
    Json,
    extract::{Path, RawQuery, State},
};
use maecenas_store::entities::campaign;
use maecenas_types::Scope;
use uuid::Uuid;

use super::{
    campaigns::owned_campaign,
    query,
    render::{self, MemberVisibility, internal},
};
use crate::{
    auth::Caller,
    jsonapi::{AllowedIncludes, ApiError, Cursor, Document, document::Meta, next_link},
    state::PatreonState,
};

const INCLUDES: AllowedIncludes = AllowedIncludes(&[
    ("address", AllowedIncludes::NONE),
    ("campaign", AllowedIncludes::NONE),
    ("currently_entitled_tiers", AllowedIncludes::NONE),
    ("pledge_history", AllowedIncludes::NONE),
    ("user", AllowedIncludes::NONE),
]);
const MAX_PAGE: u32 = 1000;
const MAX_PAGE_WITH_HISTORY: u32 = 500;
const CURSOR: Cursor = Cursor::new("members");

fn visibility(caller: &Caller) -> MemberVisibility {
    MemberVisibility {
        email: caller.has(Scope::CampaignsMembersEmail),
        address: caller.has(Scope::CampaignsMembersAddress),
    }
}

pub(super) async fn of_campaign(
    State(state): State<PatreonState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Document>, ApiError> {
    caller.require(Scope::CampaignsMembers)?;
    let c = owned_campaign(&state, &caller, &id).await?;
    page(
        &state,
        &caller,
        &c,
        raw.as_deref(),
        &format!("campaigns/{}/members", c.id),
    )
    .await
}

pub(super) async fn of_my_campaign(
    State(state): State<PatreonState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Document>, ApiError> {
    caller.require(Scope::CampaignsMembers)?;
    let c = state
        .store
        .campaign_by_creator(caller.user_id)
        .await
        .map_err(internal)?;
    let c = c.ok_or_else(|| ApiError::forbidden("The token's user has no campaign."))?;
    page(&state, &caller, &c, raw.as_deref(), "members").await
}

async fn page(
    state: &PatreonState,
    caller: &Caller,
    c: &campaign::Model,
    raw: Option<&str>,
    path: &str,
) -> Result<Json<Document>, ApiError> {
    let (query, include) = query::parse(raw, &INCLUDES)?;
    // Members come in one order, by id, the key their cursors are made of.
    query.check_sort(&[])?;
    let max = if include.has("pledge_history") {
        MAX_PAGE_WITH_HISTORY
    } else {
        MAX_PAGE
    };
    let size = query.page_size(max, max);
    let after: Option<Uuid> = query
        .page_cursor
        .as_deref()
        .map(|c| CURSOR.decode(c))
        .transpose()?;
    // One row more than the page tells whether there is a next page without a second count.
    let mut rows = state
        .store
        .members_page(c.id, after, u64::from(size) + 1)
        .await
        .map_err(internal)?;
    let more = rows.len() > usize::try_from(size).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(size).unwrap_or(usize::MAX));
    let next = rows
        .last()
        .filter(|_| more)
        .map(|last| CURSOR.encode(&last.id));
    let total = state.store.count_members(c.id).await.map_err(internal)?;
    let (data, included) =
        render::members(state, &query, &include, &rows, visibility(caller)).await?;

    let mut document = Document::many(data).include(included);
    if let (Some(links), Some(cursor)) = (document.links.as_mut(), next.as_deref()) {
        links.next = Some(next_link(&state.v2_url(path), raw, size, cursor));
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
    caller.require(Scope::CampaignsMembers)?;
    let (query, include) = query::parse(raw.as_deref(), &INCLUDES)?;
    let id: Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let m = state
        .store
        .member_by_id(id)
        .await
        .map_err(internal)?
        .ok_or_else(ApiError::not_found)?;
    let own = state
        .store
        .campaign_by_creator(caller.user_id)
        .await
        .map_err(internal)?;
    if own.is_none_or(|c| c.id != m.campaign_id) {
        return Err(ApiError::forbidden(
            "This member belongs to another creator's campaign.",
        ));
    }
    let (mut data, included) = render::members(
        &state,
        &query,
        &include,
        std::slice::from_ref(&m),
        visibility(&caller),
    )
    .await?;
    let resource = data.pop().ok_or_else(ApiError::internal)?;
    Ok(Json(
        Document::one(resource)
            .self_link(state.v2_url(&format!("members/{}", m.id)))
            .include(included),
    ))
}
