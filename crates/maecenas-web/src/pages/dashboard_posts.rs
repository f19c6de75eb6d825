//! The creator's posts `/dashboard/posts`: write a post (title, content, public or for chosen
//! tiers), save it as a draft or publish it, edit it, delete it — through
//! [`maecenas_core::creator::Creator`], whose store writes send `posts:publish`,
//! `posts:update` and `posts:delete` to webhooks.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::CookieJar;
use maecenas_core::creator::{CreatorError, PostInput};
use maecenas_store::entities::{campaign, post, tier, user};
use serde::Deserialize;

use crate::{
    csrf,
    error::PageError,
    extract::HtmlForm,
    pages::{dashboard::own_campaign, dashboard_edit::Fields, render},
    session::{RequireUser, Viewer},
    state::AppState,
};

/// Posts listed.
const POSTS_SHOWN: u64 = 100;

pub(crate) struct PostRow {
    pub post: post::Model,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "dashboard_posts.html")]
struct PostsPage<'a> {
    user: Option<Viewer>,
    campaign: &'a campaign::Model,
    posts: Vec<PostRow>,
    tiers: Vec<tier::Model>,
    /// The post being edited, with the tiers it is for.
    editing: Option<(post::Model, Vec<i64>)>,
    csrf_token: &'a str,
    notice: Option<&'static str>,
    error: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DoneQuery {
    done: Option<String>,
}

async fn campaign_of(
    state: &AppState,
    account: &user::Model,
) -> Result<campaign::Model, PageError> {
    own_campaign(state, account)
        .await?
        .ok_or_else(PageError::not_found)
}

async fn respond(
    state: &AppState,
    account: &user::Model,
    jar: CookieJar,
    status: StatusCode,
    editing: Option<(post::Model, Vec<i64>)>,
    notice: Option<&'static str>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let c = campaign_of(state, account).await?;
    let posts = state
        .store()
        .posts_of_campaign(c.id, POSTS_SHOWN)
        .await?
        .into_iter()
        .map(|p| PostRow {
            state: if p.published_at.is_some() {
                "published"
            } else {
                "draft"
            },
            post: p,
        })
        .collect();
    let (jar, token) = csrf::token(state, jar);
    let page = PostsPage {
        user: Some(Viewer::from(account)),
        tiers: state.store().tiers_of_campaign(c.id).await?,
        campaign: &c,
        posts,
        editing,
        csrf_token: &token,
        notice,
        error,
    };
    Ok((status, jar, render(&page)?).into_response())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Query(query): Query<DoneQuery>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let notice = match query.done.as_deref() {
        Some("published") => Some("Published."),
        Some("saved") => Some("Saved."),
        Some("deleted") => Some("Deleted."),
        _ => None,
    };
    respond(&state, &account, jar, StatusCode::OK, None, notice, None).await
}

pub(crate) async fn edit_form(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(post_id): Path<i64>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let c = campaign_of(&state, &account).await?;
    let p = state
        .creator()
        .post_of(&c, post_id)
        .await
        .map_err(|_| PageError::not_found())?;
    let tiers = state
        .store()
        .post_tier_ids(&[p.id])
        .await?
        .remove(&p.id)
        .unwrap_or_default();
    respond(
        &state,
        &account,
        jar,
        StatusCode::OK,
        Some((p, tiers)),
        None,
        None,
    )
    .await
}

fn input(form: &Fields) -> PostInput {
    PostInput {
        title: form.get("title").to_owned(),
        content: form.get("content").to_owned(),
        is_public: form.ticked("is_public"),
        tier_ids: form.ids("tier_ids"),
        publish: form.get("action") == "publish",
    }
}

async fn finish(
    state: &AppState,
    account: &user::Model,
    jar: CookieJar,
    result: Result<post::Model, CreatorError>,
) -> Result<Response, PageError> {
    match result {
        Ok(p) => {
            let done = if p.published_at.is_some() {
                "published"
            } else {
                "saved"
            };
            Ok(Redirect::to(&format!("/dashboard/posts?done={done}")).into_response())
        }
        Err(err @ CreatorError::Invalid { .. }) => {
            let message = err.to_string();
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            respond(state, account, jar, status, None, None, Some(&message)).await
        }
        Err(CreatorError::NotFound(_)) => Err(PageError::not_found()),
        Err(CreatorError::Store(err)) => Err(err.into()),
    }
}

pub(crate) async fn create(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<Fields>,
) -> Result<Response, PageError> {
    form.verify(&state, &jar)?;
    let c = campaign_of(&state, &account).await?;
    let result = state.creator().write_post(&c, &account, input(&form)).await;
    finish(&state, &account, jar, result).await
}

pub(crate) async fn update(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(post_id): Path<i64>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<Fields>,
) -> Result<Response, PageError> {
    form.verify(&state, &jar)?;
    let c = campaign_of(&state, &account).await?;
    let result = state.creator().edit_post(&c, post_id, input(&form)).await;
    finish(&state, &account, jar, result).await
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(post_id): Path<i64>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<Fields>,
) -> Result<Response, PageError> {
    form.verify(&state, &jar)?;
    let c = campaign_of(&state, &account).await?;
    match state.creator().delete_post(&c, post_id).await {
        Ok(()) => Ok(Redirect::to("/dashboard/posts?done=deleted").into_response()),
        Err(CreatorError::Store(err)) => Err(err.into()),
        Err(_) => Err(PageError::not_found()),
    }
}
