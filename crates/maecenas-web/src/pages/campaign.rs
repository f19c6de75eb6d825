//! The public campaign page `/c/<vanity>`: summary, tiers with benefits, remaining places and a
//! "Join" button each (to checkout), goal progress, and posts — a public post for everyone, a
//! post for chosen tiers readable only by those tiers' active patrons (and the creator), a
//! patrons-only post without tiers by any active patron. `/c/<vanity>/posts/<id>` shows one
//! post, or 403 to whoever may not read it.

use std::collections::HashSet;

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use maecenas_store::entities::{campaign, post, tier, user};

use crate::{
    error::PageError,
    pages::{money, render},
    session::{MaybeUser, Viewer},
    state::AppState,
};

/// How many posts the page lists, newest first.
const POSTS_SHOWN: u64 = 20;

pub(crate) struct TierView {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub price: String,
    pub benefits: Vec<String>,
    /// Places left, when the tier is limited.
    pub remaining: Option<i64>,
    pub ships: bool,
}

pub(crate) struct GoalView {
    pub title: String,
    pub description: String,
    pub target: String,
    /// Progress towards the goal, 0 to 100.
    pub percent: i64,
}

pub(crate) struct PostView {
    pub id: i64,
    pub title: String,
    /// Empty when the viewer may not read it.
    pub content: String,
    pub locked: bool,
    /// Who may read it, in words.
    pub audience: String,
    pub published: String,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage<'a> {
    user: Option<Viewer>,
    campaign: &'a campaign::Model,
    creator_name: String,
    patrons: i64,
    monthly: String,
    tiers: Vec<TierView>,
    goals: Vec<GoalView>,
    posts: Vec<PostView>,
    /// The viewer's membership status here, if any.
    status: Option<String>,
    is_creator: bool,
}

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage<'a> {
    user: Option<Viewer>,
    campaign: &'a campaign::Model,
    post: PostView,
}

/// What the person looking may see of a campaign.
pub(crate) struct Access {
    pub is_creator: bool,
    pub active: bool,
    pub status: Option<String>,
    pub tiers: HashSet<i64>,
}

impl Access {
    /// Whether this viewer may read `post`, shown to `post_tiers`.
    pub(crate) fn can_read(&self, post: &post::Model, post_tiers: &[i64]) -> bool {
        self.is_creator
            || post.is_public
            || (self.active
                && (post_tiers.is_empty() || post_tiers.iter().any(|t| self.tiers.contains(t))))
    }
}

/// The campaign at `vanity`: published, or a draft its creator is looking at.
pub(crate) async fn load(
    state: &AppState,
    vanity: &str,
    viewer: Option<&user::Model>,
) -> Result<campaign::Model, PageError> {
    let found = state.store().campaign_by_vanity(vanity).await?;
    match found {
        Some(c) if c.published_at.is_some() || viewer.is_some_and(|u| u.id == c.creator_id) => {
            Ok(c)
        }
        _ => Err(PageError::not_found()),
    }
}

/// What `viewer` may see of `campaign`.
pub(crate) async fn access(
    state: &AppState,
    campaign: &campaign::Model,
    viewer: Option<&user::Model>,
) -> Result<Access, PageError> {
    let Some(viewer) = viewer else {
        return Ok(Access {
            is_creator: false,
            active: false,
            status: None,
            tiers: HashSet::new(),
        });
    };
    let member = state.store().member_of(campaign.id, viewer.id).await?;
    let (status, tiers) = match member {
        Some(m) => {
            let tiers = state.store().entitled_tiers(&[m.id]).await?;
            let ids = tiers
                .get(&m.id)
                .map(|ts| ts.iter().map(|t| t.id).collect())
                .unwrap_or_default();
            (m.patron_status, ids)
        }
        None => (None, HashSet::new()),
    };
    Ok(Access {
        is_creator: viewer.id == campaign.creator_id,
        active: status.as_deref() == Some(maecenas_core::billing::ACTIVE),
        status,
        tiers,
    })
}

/// How far `have` is towards `goal`, 0 to 100.
pub(crate) fn percent(have: i64, goal: i64) -> i64 {
    if goal <= 0 {
        return 100;
    }
    i64::try_from((i128::from(have) * 100 / i128::from(goal)).clamp(0, 100)).unwrap_or(100)
}

/// Who may read a post, in words.
fn audience(post: &post::Model, post_tiers: &[i64], tiers: &[tier::Model]) -> String {
    if post.is_public {
        return "Public".to_owned();
    }
    let names: Vec<&str> = tiers
        .iter()
        .filter(|t| post_tiers.contains(&t.id))
        .map(|t| t.title.as_str())
        .collect();
    if names.is_empty() {
        "Patrons only".to_owned()
    } else {
        format!("For patrons of {}", names.join(", "))
    }
}

fn post_view(post: &post::Model, readable: bool, audience: String) -> PostView {
    PostView {
        id: post.id,
        title: post.title.clone(),
        content: if readable {
            post.content.clone()
        } else {
            String::new()
        },
        locked: !readable,
        audience,
        published: post
            .published_at
            .map(|at| at.format("%B %-d, %Y").to_string())
            .unwrap_or_default(),
    }
}

/// The tiers of a campaign as the page shows them (published ones, with benefits and places).
pub(crate) async fn tier_views(
    state: &AppState,
    tiers: &[tier::Model],
) -> Result<Vec<TierView>, PageError> {
    let ids: Vec<i64> = tiers.iter().map(|t| t.id).collect();
    let benefits = state.store().benefits_of_tiers(&ids).await?;
    let mut views = Vec::with_capacity(tiers.len());
    for t in tiers.iter().filter(|t| t.published) {
        let remaining = match t.user_limit {
            Some(limit) => {
                let taken = state.store().tier_pledge_count(t.id).await?;
                Some((limit - i64::try_from(taken).unwrap_or(i64::MAX)).max(0))
            }
            None => None,
        };
        views.push(TierView {
            id: t.id,
            title: t.title.clone(),
            description: t.description.clone(),
            price: money::show(t.amount_cents, &t.currency),
            benefits: benefits
                .get(&t.id)
                .map(|bs| bs.iter().map(|b| b.title.clone()).collect())
                .unwrap_or_default(),
            remaining,
            ships: t.requires_shipping,
        });
    }
    Ok(views)
}

pub(crate) async fn show(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    Path(vanity): Path<String>,
) -> Result<Response, PageError> {
    let c = load(&state, &vanity, viewer.as_ref()).await?;
    let access = access(&state, &c, viewer.as_ref()).await?;
    let store = state.store();
    let creator_name = store
        .user_by_id(c.creator_id)
        .await?
        .map(|u| u.full_name)
        .unwrap_or_default();
    let tiers = store.tiers_of_campaign(c.id).await?;
    let monthly_cents = store.monthly_pledge_sum(c.id).await?;
    let goals = store
        .goals_of_campaign(c.id)
        .await?
        .into_iter()
        .map(|g| GoalView {
            percent: percent(monthly_cents, g.amount_cents),
            target: money::show(g.amount_cents, &c.currency),
            title: g.title,
            description: g.description,
        })
        .collect();
    let posts = store.posts_page(c.id, None, true, POSTS_SHOWN).await?;
    let post_ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let post_tiers = store.post_tier_ids(&post_ids).await?;
    let posts = posts
        .iter()
        .map(|p| {
            let shown_to = post_tiers.get(&p.id).map(Vec::as_slice).unwrap_or_default();
            post_view(
                p,
                access.can_read(p, shown_to),
                audience(p, shown_to, &tiers),
            )
        })
        .collect();
    let patrons = store
        .patron_counts(&[c.id])
        .await?
        .get(&c.id)
        .copied()
        .unwrap_or(0);
    let page = CampaignPage {
        user: viewer.as_ref().map(Viewer::from),
        creator_name,
        patrons,
        monthly: money::show(monthly_cents, &c.currency),
        tiers: tier_views(&state, &tiers).await?,
        goals,
        posts,
        status: access.status.clone(),
        is_creator: access.is_creator,
        campaign: &c,
    };
    Ok(render(&page)?.into_response())
}

pub(crate) async fn show_post(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    Path((vanity, post_id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    let c = load(&state, &vanity, viewer.as_ref()).await?;
    let post = state
        .store()
        .post_by_id(post_id)
        .await?
        .filter(|p| p.campaign_id == c.id && p.published_at.is_some())
        .ok_or_else(PageError::not_found)?;
    let access = access(&state, &c, viewer.as_ref()).await?;
    let shown_to = state
        .store()
        .post_tier_ids(&[post.id])
        .await?
        .remove(&post.id)
        .unwrap_or_default();
    let tiers = state.store().tiers_of_campaign(c.id).await?;
    let readable = access.can_read(&post, &shown_to);
    let page = PostPage {
        user: viewer.as_ref().map(Viewer::from),
        post: post_view(&post, readable, audience(&post, &shown_to, &tiers)),
        campaign: &c,
    };
    let status = if readable {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    };
    Ok((status, render(&page)?).into_response())
}
