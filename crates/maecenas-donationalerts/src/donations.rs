//! `GET /api/v1/alerts/donations?page=N` (scope `oauth-donation-index`): the caller's donations,
//! newest first, 30 a page in Laravel's envelope with absolute `?page=N` links and Laravel 8's
//! `meta.links` window. A `page` that is not a whole number ≥ 1 is a 422.

use axum::{
    Json,
    extract::{Query, State},
};
use maecenas_types::Scope;
use serde::Deserialize;

use crate::{
    auth::{Caller, Limited},
    error::{ApiError, Errors},
    state::DonationAlertsState,
    user::load_user,
    wire::{Donation, MetaLink, Page, PageLinks, PageMeta},
};

/// Donations a page.
pub const PER_PAGE: u64 = 30;

/// The query.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    page: Option<String>,
}

/// One page of donations.
pub async fn list(
    State(state): State<DonationAlertsState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Limited<Json<Page<Donation>>>, ApiError> {
    caller.require(Scope::DaDonationIndex)?;
    let page = parse_page(query.page.as_deref())?;
    let recipient = load_user(&state, caller.user_id).await?;
    let currency = state
        .store
        .campaign_by_creator(recipient.id)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_or_else(|| "USD".to_owned(), |c| c.currency);
    let offset = (page - 1).saturating_mul(PER_PAGE);
    let (rows, total) = state
        .store
        .donations_page(recipient.id, offset, PER_PAGE)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let count = u64::try_from(rows.len()).unwrap_or(PER_PAGE);
    let data = rows
        .into_iter()
        .map(|row| Donation::of(row, &recipient, &currency))
        .collect();
    let path = state.v1_url("alerts/donations");
    Ok(Limited(
        caller.limit_headers,
        Json(envelope(data, &path, page, count, total)),
    ))
}

fn parse_page(raw: Option<&str>) -> Result<u64, ApiError> {
    let Some(raw) = raw else { return Ok(1) };
    match raw.trim().parse::<u64>() {
        Ok(page) if page >= 1 && page <= i64::MAX as u64 / PER_PAGE => Ok(page),
        Ok(_) => {
            let mut errors = Errors::default();
            errors.add("page", "The page must be at least 1.".to_owned());
            Err(ApiError::Validation(errors))
        }
        Err(_) => {
            let mut errors = Errors::default();
            errors.add("page", "The page must be an integer.".to_owned());
            Err(ApiError::Validation(errors))
        }
    }
}

/// Laravel's `LengthAwarePaginator` rendered through a resource collection.
fn envelope<T>(data: Vec<T>, path: &str, page: u64, count: u64, total: u64) -> Page<T> {
    let last_page = total.div_ceil(PER_PAGE).max(1);
    let url = |n: u64| format!("{path}?page={n}");
    let prev = (page > 1).then(|| url(page - 1));
    let next = (page < last_page).then(|| url(page + 1));
    let from = (count > 0).then(|| (page - 1) * PER_PAGE + 1);
    let to = from.map(|from| from + count - 1);
    let mut links = vec![MetaLink {
        url: prev.clone(),
        label: "&laquo; Previous".to_owned(),
        active: false,
    }];
    for item in window(page, last_page) {
        links.push(match item {
            Some(n) => MetaLink {
                url: Some(url(n)),
                label: n.to_string(),
                active: n == page,
            },
            None => MetaLink {
                url: None,
                label: "...".to_owned(),
                active: false,
            },
        });
    }
    links.push(MetaLink {
        url: next.clone(),
        label: "Next &raquo;".to_owned(),
        active: false,
    });
    Page {
        data,
        links: PageLinks {
            first: url(1),
            last: url(last_page),
            prev,
            next,
        },
        meta: PageMeta {
            current_page: page,
            from,
            last_page,
            links,
            path: path.to_owned(),
            per_page: PER_PAGE,
            to,
            total,
        },
    }
}

/// Laravel's `UrlWindow` with `onEachSide = 3`: page numbers, `None` for a `...`.
fn window(page: u64, last: u64) -> Vec<Option<u64>> {
    const EACH_SIDE: u64 = 3;
    let range = |a: u64, b: u64| (a..=b).map(Some).collect::<Vec<_>>();
    if last < EACH_SIDE * 2 + 8 {
        return range(1, last);
    }
    let window = EACH_SIDE + 4;
    let (first, slider, tail) = if page <= window {
        (range(1, window + EACH_SIDE), vec![], range(last - 1, last))
    } else if page > last - window {
        (
            range(1, 2),
            vec![],
            range(last - (window + EACH_SIDE - 1), last),
        )
    } else {
        (
            range(1, 2),
            range(page - EACH_SIDE, page + EACH_SIDE),
            range(last - 1, last),
        )
    };
    let mut out = first;
    if !slider.is_empty() {
        out.push(None);
        out.extend(slider);
    }
    out.push(None);
    out.extend(tail);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_windows() {
        let p = envelope(vec![1, 2], "http://x/api/v1/alerts/donations", 2, 2, 32);
        assert_eq!(p.meta.from, Some(31));
        assert_eq!(p.meta.to, Some(32));
        assert_eq!(p.meta.last_page, 2);
        assert!(p.links.next.is_none());
        assert_eq!(
            p.links.prev.as_deref(),
            Some("http://x/api/v1/alerts/donations?page=1")
        );
        let empty = envelope(Vec::<u8>::new(), "p", 1, 0, 0);
        assert_eq!(
            (empty.meta.from, empty.meta.to, empty.meta.last_page),
            (None, None, 1)
        );
        assert_eq!(window(1, 3), vec![Some(1), Some(2), Some(3)]);
        let w = window(10, 20);
        assert_eq!(w.iter().filter(|x| x.is_none()).count(), 2);
        assert_eq!(w.first(), Some(&Some(1)));
        assert!(w.contains(&Some(7)) && w.contains(&Some(13)) && !w.contains(&Some(6)));
        assert_eq!(window(1, 20).len(), 10 + 1 + 2);
        assert!(parse_page(Some("abc")).is_err());
        assert!(parse_page(Some("0")).is_err());
        assert_eq!(parse_page(Some("3")).ok(), Some(3));
    }
}
