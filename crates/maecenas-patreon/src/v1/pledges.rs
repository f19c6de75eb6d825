//! `GET /campaigns/{id}/pledges`: the caller's own campaign's pledges (another creator's → 403),
//! oldest first, paged by v1 cursors — the `created_at` of the page's last pledge, with
//! `|<pledge id>` appended when the next pledge started at the same instant. `page[count]`
//! defaults to 20; `links.first`, `links.next` (absent on the last page) and `meta.count`.

use axum::{
    Json,
    extract::{Path, RawQuery, State},
};
use chrono::{DateTime, SecondsFormat, Utc};
use maecenas_store::pledges_v1::PledgeAfter;
use maecenas_types::Scope;
use uuid::Uuid;

use super::render::{self, internal};
use crate::{
    auth::Caller,
    jsonapi::{ApiError, Document, JsonApiQuery, Links, Meta, next_link},
    state::PatreonState,
};

const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 1000;
const INCLUDES: &[&str] = &["patron", "reward", "creator", "address"];

pub(super) async fn of_campaign(
    State(state): State<PatreonState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Document>, ApiError> {
    let campaign_id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    render::require_either(&caller, Scope::CampaignsMembers, Scope::V1Pledges)?;
    let query = JsonApiQuery::parse(raw.as_deref())?;
    let include = render::includes(&query, &["patron", "reward"], INCLUDES)?;
    query.check_sort(&["created"])?;
    if query.sort.first().is_some_and(|k| k.descending) {
        return Err(ApiError::invalid_parameter(
            "sort",
            "Pledges are listed oldest first (`sort=created`).",
        ));
    }
    let after = query.page_cursor.as_deref().map(parse_cursor).transpose()?;

    let campaign = state
        .store
        .campaigns_by_ids(&[campaign_id])
        .await
        .map_err(internal)?
        .into_iter()
        .next()
        .ok_or_else(ApiError::not_found)?;
    if campaign.creator_id != caller.user_id {
        return Err(ApiError::forbidden(
            "You can only read the pledges of your own campaign.",
        ));
    }

    let size = query.page_size(DEFAULT_PAGE, MAX_PAGE);
    let mut rows = state
        .store
        .pledges_page(campaign_id, after, u64::from(size) + 1)
        .await
        .map_err(internal)?;
    let following = (rows.len() > size as usize).then(|| rows.remove(size as usize));
    let next = following.as_ref().and_then(|next| {
        let last = rows.last()?;
        let start = last.pledge_relationship_start?;
        let mut cursor = start.to_rfc3339_opts(SecondsFormat::Micros, false);
        if next.pledge_relationship_start == Some(start) {
            cursor = format!("{cursor}|{}", last.id);
        }
        Some(cursor)
    });
    let total = state
        .store
        .count_pledges(campaign_id)
        .await
        .map_err(internal)?;

    let (data, included) = render::pledges(&state, &query, &rows, &include).await?;
    let base = state.v1_url(&format!("campaigns/{campaign_id}/pledges"));
    let rest = other_parameters(raw.as_deref());
    let first = if query.page_count.is_some() {
        format!("{base}?{}", rest.trim_start_matches('&'))
    } else {
        format!("{base}?page%5Bcount%5D={size}{rest}")
    };
    let mut doc = Document::many(data).include(included);
    doc.links = Some(Links {
        self_: None,
        first: Some(first),
        next: next.map(|c| next_link(&base, raw.as_deref(), size, &c)),
    });
    doc.meta = Some(Meta {
        pagination: None,
        count: Some(total),
    });
    Ok(Json(doc))
}

/// The request's parameters but the cursor, each after a `&`, for `links.first`.
fn other_parameters(raw: Option<&str>) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if k != "page[cursor]" {
            s.append_pair(&k, &v);
            any = true;
        }
    }
    if any {
        format!("&{}", s.finish())
    } else {
        String::new()
    }
}

/// A v1 cursor: an ISO-8601 instant, optionally `|<pledge id>` (code 3 otherwise).
fn parse_cursor(cursor: &str) -> Result<PledgeAfter, ApiError> {
    let (at, id) = match cursor.split_once('|') {
        Some((at, id)) => (
            at,
            Some(id.parse::<Uuid>().map_err(|_| ApiError::bad_cursor())?),
        ),
        None => (cursor, None),
    };
    let started = DateTime::parse_from_rfc3339(at.trim())
        .map_err(|_| ApiError::bad_cursor())?
        .with_timezone(&Utc);
    Ok(PledgeAfter { started, id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_timestamps_with_an_optional_tie_breaker() {
        let plain = parse_cursor("2017-08-21T20:16:49.258893+00:00").unwrap();
        assert_eq!(
            plain.started.to_rfc3339_opts(SecondsFormat::Micros, false),
            "2017-08-21T20:16:49.258893+00:00"
        );
        assert!(plain.id.is_none());
        // Python's `datetime.isoformat()` of another offset is the same instant.
        let shifted = parse_cursor("2017-08-21T22:16:49.258893+02:00").unwrap();
        assert_eq!(shifted.started, plain.started);
        let id = Uuid::nil();
        let tied = parse_cursor(&format!("2017-08-21T20:16:49+00:00|{id}")).unwrap();
        assert_eq!(tied.id, Some(id));
        for bad in ["yesterday", "", "2017-08-21T20:16:49+00:00|x", "2017-08-21"] {
            let err = parse_cursor(bad).unwrap_err();
            assert_eq!(err.parameter(), Some("page[cursor]"), "{bad}");
        }
    }
}
