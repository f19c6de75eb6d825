//! The creator dashboard `/dashboard`: members (filtered by status and tier, exported as CSV at
//! `/dashboard/members.csv`), earnings by month as a CSS bar chart (no external assets), the
//! donations feed and goal progress. A user without a campaign is sent to make one
//! (`/dashboard/edit`). Edits live in `dashboard_edit.rs`, posts in `dashboard_posts.rs`.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::{
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{Datelike, Months, TimeZone, Utc};
use maecenas_store::entities::{campaign, member, tier, user};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    error::PageError,
    pages::{campaign::GoalView, money, render},
    session::{RequireUser, Viewer},
    state::AppState,
};

/// Members listed on the page at most (newest first); the export has them all.
const MEMBERS_SHOWN: u64 = 1_000;
/// Members read per page by the export.
const EXPORT_PAGE: u64 = 1_000;
/// Donations in the feed.
const DONATIONS_SHOWN: u64 = 20;
/// Months in the earnings chart.
const MONTHS: u32 = 12;

/// The member filters.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct MemberFilter {
    #[serde(default)]
    status: String,
    #[serde(default)]
    tier: String,
}

impl MemberFilter {
    fn status(&self) -> Option<&str> {
        match self.status.as_str() {
            s @ ("active_patron" | "declined_patron" | "former_patron" | "none") => Some(s),
            _ => None,
        }
    }

    fn tier(&self) -> Option<i64> {
        self.tier.trim().parse().ok()
    }
}

pub(crate) struct MemberRow {
    pub name: String,
    pub email: String,
    pub status: String,
    pub tier: String,
    pub pledge_cents: i64,
    pub pledge: String,
    pub lifetime_cents: i64,
    pub lifetime: String,
    pub since: String,
}

pub(crate) struct MonthBar {
    pub label: String,
    pub amount: String,
    /// Bar height, 0 to 100.
    pub percent: i64,
}

pub(crate) struct DonationRow {
    pub name: String,
    pub amount: String,
    pub message: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    user: Option<Viewer>,
    campaign: &'a campaign::Model,
    members: Vec<MemberRow>,
    tiers: Vec<tier::Model>,
    status: &'a str,
    tier: Option<i64>,
    csv_query: String,
    /// How many members the filter matches (the table shows at most [`MEMBERS_SHOWN`]).
    matching: u64,
    active: i64,
    months: Vec<MonthBar>,
    donations: Vec<DonationRow>,
    goals: Vec<GoalView>,
}

/// The logged-in user's campaign, or a redirect to make one.
pub(crate) async fn own_campaign(
    state: &AppState,
    account: &user::Model,
) -> Result<Option<campaign::Model>, PageError> {
    Ok(state.store().campaign_by_creator(account.id).await?)
}

/// The rows the table and the export show for `members`.
async fn member_rows(
    state: &AppState,
    c: &campaign::Model,
    members: Vec<member::Model>,
) -> Result<Vec<MemberRow>, PageError> {
    let store = state.store();
    let user_ids: Vec<i64> = members.iter().map(|m| m.user_id).collect();
    let users = store.users_by_ids(&user_ids).await?;
    let ids: Vec<Uuid> = members.iter().map(|m| m.id).collect();
    let billing: HashMap<Uuid, Option<i64>> = store
        .billing_of(&ids)
        .await?
        .into_iter()
        .map(|b| (b.member_id, b.tier_id))
        .collect();
    let tiers: HashMap<i64, String> = store
        .tiers_of_campaign(c.id)
        .await?
        .into_iter()
        .map(|t| (t.id, t.title))
        .collect();
    let entitled = store.entitled_tiers(&ids).await?;
    Ok(members
        .into_iter()
        .map(|m| {
            let u = users.get(&m.user_id);
            let tier = entitled
                .get(&m.id)
                .and_then(|ts| ts.last().map(|t| t.title.clone()))
                .or_else(|| {
                    billing
                        .get(&m.id)
                        .copied()
                        .flatten()
                        .and_then(|id| tiers.get(&id).cloned())
                })
                .unwrap_or_default();
            MemberRow {
                name: u.map(|u| u.full_name.clone()).unwrap_or_default(),
                email: u.map(|u| u.email.clone()).unwrap_or_default(),
                status: m.patron_status.clone().unwrap_or_else(|| "none".to_owned()),
                tier,
                pledge_cents: m.will_pay_amount_cents,
                pledge: money::show(m.will_pay_amount_cents, &m.currency),
                lifetime_cents: m.campaign_lifetime_support_cents,
                lifetime: money::show(m.campaign_lifetime_support_cents, &m.currency),
                since: m.created_at.format("%Y-%m-%d").to_string(),
            }
        })
        .collect())
}

async fn months(
    state: &AppState,
    account: &user::Model,
    c: &campaign::Model,
) -> Result<Vec<MonthBar>, PageError> {
    let now = state.clock().now();
    let this_month = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now);
    let first = this_month
        .checked_sub_months(Months::new(MONTHS - 1))
        .unwrap_or(this_month);
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for i in 0..MONTHS {
        if let Some(m) = first.checked_add_months(Months::new(i)) {
            sums.insert(m.format("%Y-%m").to_string(), 0);
        }
    }
    for (at, cents, currency) in state.store().earnings_since(account.id, first).await? {
        if currency == c.currency
            && let Some(sum) = sums.get_mut(&at.format("%Y-%m").to_string())
        {
            *sum = sum.saturating_add(cents);
        }
    }
    let top = sums.values().copied().max().unwrap_or(0).max(1);
    Ok(sums
        .into_iter()
        .map(|(label, cents)| MonthBar {
            label,
            amount: money::show(cents, &c.currency),
            percent: i64::try_from(i128::from(cents) * 100 / i128::from(top)).unwrap_or(100),
        })
        .collect())
}

pub(crate) async fn show(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Query(filter): Query<MemberFilter>,
) -> Result<Response, PageError> {
    let Some(c) = own_campaign(&state, &account).await? else {
        return Ok(Redirect::to("/dashboard/edit").into_response());
    };
    let store = state.store();
    let monthly = store.monthly_pledge_sum(c.id).await?;
    let goals = store
        .goals_of_campaign(c.id)
        .await?
        .into_iter()
        .map(|g| GoalView {
            percent: super::campaign::percent(monthly, g.amount_cents),
            target: money::show(g.amount_cents, &c.currency),
            title: g.title,
            description: g.description,
        })
        .collect();
    let donations = store
        .donations_to(account.id, DONATIONS_SHOWN)
        .await?
        .into_iter()
        .map(|d| DonationRow {
            name: if d.username.is_empty() {
                "Anonymous".to_owned()
            } else {
                d.username
            },
            amount: money::show(d.amount_cents, &d.currency),
            message: d.message,
            at: d.created_at.format("%Y-%m-%d %H:%M").to_string(),
        })
        .collect();
    let csv_query = serde_urlencoded::to_string([
        ("status", filter.status.as_str()),
        ("tier", filter.tier.as_str()),
    ])
    .unwrap_or_default();
    let members = store
        .campaign_members(c.id, filter.status(), filter.tier(), MEMBERS_SHOWN)
        .await?;
    let page = DashboardPage {
        user: Some(Viewer::from(&account)),
        members: member_rows(&state, &c, members).await?,
        matching: store
            .count_campaign_members(c.id, filter.status(), filter.tier())
            .await?,
        tiers: store.tiers_of_campaign(c.id).await?,
        status: filter.status().unwrap_or_default(),
        tier: filter.tier(),
        csv_query,
        active: store
            .patron_counts(&[c.id])
            .await?
            .get(&c.id)
            .copied()
            .unwrap_or(0),
        months: months(&state, &account, &c).await?,
        donations,
        goals,
        campaign: &c,
    };
    Ok(render(&page)?.into_response())
}

/// One CSV field: quoted when it needs to be, and a leading `=`, `+`, `-` or `@` defused so a
/// spreadsheet never runs it as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

pub(crate) async fn members_csv(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Query(filter): Query<MemberFilter>,
) -> Result<Response, PageError> {
    let c = own_campaign(&state, &account)
        .await?
        .ok_or_else(PageError::not_found)?;
    let mut out = String::from(
        "name,email,patron_status,tier,pledge_amount_cents,currency,lifetime_support_cents,joined\n",
    );
    let mut after = None;
    loop {
        let members = state
            .store()
            .campaign_members_after(c.id, filter.status(), filter.tier(), after, EXPORT_PAGE)
            .await?;
        let Some(last) = members.last() else {
            break;
        };
        after = Some(last.id);
        write_csv(&mut out, &c, member_rows(&state, &c, members).await?);
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"members.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

/// Appends `rows` to a CSV export.
fn write_csv(out: &mut String, c: &campaign::Model, rows: Vec<MemberRow>) {
    for r in rows {
        let fields = [
            csv_field(&r.name),
            csv_field(&r.email),
            csv_field(&r.status),
            csv_field(&r.tier),
            r.pledge_cents.to_string(),
            csv_field(&c.currency),
            r.lifetime_cents.to_string(),
            r.since,
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("Ada"), "Ada");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("@x,y"), "\"'@x,y\"");
    }
}
