//! The sandbox page `/sandbox` (issue #7): a logged-in creator's controls over their own
//! campaign — create fake patrons, make a pledge, upgrade, decline or cancellation happen, create
//! a donation to themselves, advance the sandbox clock (running the billing that falls due),
//! fire a test member event for webhooks, reset. Each form carries a CSRF token and calls the
//! same core service as `maecenas sandbox …` ([`maecenas_core::sandbox::Sandbox`],
//! [`maecenas_core::Alerts`]), so events, webhooks and alerts follow as in production. Success
//! answers 303 back to the page with its result line (a short-lived cookie); refused input
//! re-renders the page with the message.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use maecenas_core::{
    AlertError, BillingError, SandboxDonation,
    billing::{Cadence, gateway::CARD_SUCCESS},
    sandbox::{MEMBER_TRIGGERS, PledgeSpec, parse_duration},
};
use maecenas_store::entities::{campaign, member, tier, user};
use serde::Deserialize;

use crate::{
    csrf,
    error::PageError,
    extract::HtmlForm,
    pages::{dashboard::own_campaign, money, render},
    session::{RequireUser, Viewer},
    state::AppState,
};

/// The most fake patrons one submit creates.
pub(crate) const MAX_PATRONS: usize = 1000;
/// Members listed to pick from.
const MEMBERS_SHOWN: u64 = 50;
/// The result line's cookie.
const RESULT_COOKIE: &str = "sandbox_result";

pub(crate) struct MemberRow {
    pub id: String,
    pub email: String,
    pub status: String,
    pub will_pay: String,
}

#[derive(Template)]
#[template(path = "sandbox.html")]
struct SandboxPage<'a> {
    user: Option<Viewer>,
    campaign: Option<&'a campaign::Model>,
    tiers: Vec<tier::Model>,
    members: Vec<MemberRow>,
    member_count: u64,
    now: String,
    offset: String,
    triggers: [&'static str; 5],
    card: &'static str,
    csrf_token: &'a str,
    notice: Option<String>,
    error: Option<&'a str>,
}

/// Every control's fields (each form sends its own).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SandboxForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    annual: Option<String>,
    #[serde(default)]
    card: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    duration: String,
    #[serde(default)]
    trigger: String,
}

/// Why a control did nothing.
enum Refused {
    /// Bad input: the page again with this message.
    Input(String),
    Page(PageError),
}

impl From<BillingError> for Refused {
    fn from(err: BillingError) -> Self {
        match err {
            BillingError::Store(err) => Self::Page(err.into()),
            other => Self::Input(other.to_string()),
        }
    }
}

impl From<maecenas_store::StoreError> for Refused {
    fn from(err: maecenas_store::StoreError) -> Self {
        Self::Page(err.into())
    }
}

async fn respond(
    state: &AppState,
    account: &user::Model,
    jar: CookieJar,
    status: StatusCode,
    notice: Option<String>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let c = own_campaign(state, account).await?;
    let store = state.store();
    let sandbox = state.sandbox();
    sandbox.load().await?;
    let (tiers, members, member_count) = match &c {
        Some(c) => {
            let members = store.members_page(c.id, None, MEMBERS_SHOWN).await?;
            let ids: Vec<i64> = members.iter().map(|m| m.user_id).collect();
            let users = store.users_by_ids(&ids).await?;
            let rows = members
                .iter()
                .map(|m| row(m, users.get(&m.user_id), &c.currency))
                .collect();
            (
                store.tiers_of_campaign(c.id).await?,
                rows,
                store.count_members(c.id).await?,
            )
        }
        None => (Vec::new(), Vec::new(), 0),
    };
    let (jar, token) = csrf::token(state, jar);
    let page = SandboxPage {
        user: Some(Viewer::from(account)),
        campaign: c.as_ref(),
        tiers,
        members,
        member_count,
        now: sandbox.now().format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        offset: offset_text(sandbox.offset()),
        triggers: MEMBER_TRIGGERS,
        card: CARD_SUCCESS,
        csrf_token: &token,
        notice,
        error,
    };
    Ok((status, jar, render(&page)?).into_response())
}

fn row(m: &member::Model, u: Option<&user::Model>, currency: &str) -> MemberRow {
    MemberRow {
        id: m.id.to_string(),
        email: u.map(|u| u.email.clone()).unwrap_or_default(),
        status: m
            .patron_status
            .clone()
            .unwrap_or_else(|| "free member".to_owned()),
        will_pay: money::show(m.will_pay_amount_cents, currency),
    }
}

/// How far ahead of the wall clock, in days, hours and minutes.
fn offset_text(offset: chrono::Duration) -> String {
    let s = offset.num_seconds();
    format!(
        "{}d {}h {}m ahead of the wall clock",
        s / 86_400,
        s % 86_400 / 3600,
        s % 3600 / 60
    )
}

pub(crate) async fn show(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let notice = jar
        .get(RESULT_COOKIE)
        .and_then(|c| hex::decode(c.value()).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let jar = jar.remove(Cookie::build(RESULT_COOKIE).path("/sandbox"));
    respond(&state, &account, jar, StatusCode::OK, notice, None).await
}

pub(crate) async fn act(
    State(state): State<AppState>,
    RequireUser(account): RequireUser,
    Path(action): Path<String>,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<SandboxForm>,
) -> Result<Response, PageError> {
    csrf::verify(&state, &jar, &form.csrf_token)?;
    let c = own_campaign(&state, &account).await?;
    match run(&state, &account, c.as_ref(), &action, form).await {
        Ok(result) => {
            let cookie = Cookie::build((RESULT_COOKIE, hex::encode(result)))
                .path("/sandbox")
                .http_only(true)
                .same_site(SameSite::Lax);
            Ok((jar.add(cookie), Redirect::to("/sandbox")).into_response())
        }
        Err(Refused::Input(message)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            respond(&state, &account, jar, status, None, Some(&message)).await
        }
        Err(Refused::Page(err)) => Err(err),
    }
}

/// Runs control `action`; the result line.
async fn run(
    state: &AppState,
    account: &user::Model,
    c: Option<&campaign::Model>,
    action: &str,
    form: SandboxForm,
) -> Result<String, Refused> {
    let sandbox = state.sandbox();
    sandbox.load().await?;
    let own = || c.ok_or_else(|| input("make your campaign first (Dashboard → Edit)"));
    let result = match action {
        "patrons" => {
            let c = own()?;
            let count = match form.count.trim().parse::<usize>() {
                Ok(n) if (1..=MAX_PATRONS).contains(&n) => n,
                Ok(_) => return Err(input(format!("count: between 1 and {MAX_PATRONS}"))),
                Err(_) => return Err(input("count: type a whole number, like 10")),
            };
            let ids = sandbox
                .fake_patrons_for(c, count, &spec(&form, &c.currency)?)
                .await?;
            format!(
                "{} fake patrons joined {}; it has {} members now.",
                ids.len(),
                c.vanity,
                state.store().count_members(c.id).await?
            )
        }
        "pledge" => {
            let c = own()?;
            let m = sandbox
                .pledge(c, &form.email, spec(&form, &c.currency)?)
                .await?;
            said("Pledge", &m, &c.currency)
        }
        "upgrade" => {
            let c = own()?;
            let m = sandbox.member_of(c, &form.member).await?;
            let amount = amount(&form, &c.currency)?;
            let tier = Some(form.tier.trim()).filter(|t| !t.is_empty());
            if tier.is_none() && amount.is_none() {
                return Err(input("give a tier or an amount"));
            }
            let m = sandbox.upgrade(c, &m, tier, amount).await?;
            said("Upgrade", &m, &c.currency)
        }
        "decline" => {
            let c = own()?;
            let m = sandbox.member_of(c, &form.member).await?;
            said("Decline", &sandbox.decline(m.id).await?, &c.currency)
        }
        "cancel" => {
            let c = own()?;
            let m = sandbox.member_of(c, &form.member).await?;
            let m = sandbox.billing().cancel(m.id, None).await?;
            said("Cancellation", &m, &c.currency)
        }
        "donation" => {
            let request = SandboxDonation {
                to: account.email.clone(),
                amount: form.amount.clone(),
                currency: form.currency.clone(),
                username: form.username.clone(),
                message: form.message.clone(),
            };
            let d = match state.alerts().sandbox_donation(request).await {
                Ok(d) => d,
                Err(err @ AlertError::Invalid { .. }) => return Err(input(err.to_string())),
                Err(AlertError::Store(err)) => return Err(err.into()),
            };
            format!(
                "Donation {} recorded: {} from {}.",
                d.id,
                money::show(d.amount_cents, &d.currency),
                Some(d.username.as_str())
                    .filter(|u| !u.is_empty())
                    .unwrap_or("an anonymous donor")
            )
        }
        "advance" => {
            let by = parse_duration(&form.duration).ok_or_else(|| {
                input(format!(
                    "duration: {:?} is not a duration; give a number and a unit: 31d, 12h, 2w, 90m",
                    form.duration.trim()
                ))
            })?;
            let report = sandbox.advance(by, |_| {}).await?;
            format!(
                "Advanced {}: sandbox time is now {}; {} charges paid, {} declined, {} pledges ended.",
                form.duration.trim(),
                sandbox.now().format("%Y-%m-%d %H:%M UTC"),
                report.paid,
                report.declined,
                report.ended
            )
        }
        "webhook" => {
            let c = own()?;
            let m = sandbox.member_of(c, &form.member).await?;
            sandbox.fire_member_event(m.id, form.trigger.trim()).await?;
            format!(
                "{} recorded for member {}; webhooks deliver it.",
                form.trigger.trim(),
                m.id
            )
        }
        "reset" => {
            let gone = sandbox.reset(c.map(|c| c.id)).await?;
            format!("Deleted {gone} fake patrons; the sandbox clock is the wall clock again.")
        }
        _ => return Err(Refused::Page(PageError::not_found())),
    };
    Ok(result)
}

fn input(message: impl Into<String>) -> Refused {
    Refused::Input(message.into())
}

/// The amount field in minor units of `currency`, if given.
fn amount(form: &SandboxForm, currency: &str) -> Result<Option<i64>, Refused> {
    money::parse(&form.amount, currency).map_err(Refused::Input)
}

fn spec(form: &SandboxForm, currency: &str) -> Result<PledgeSpec, Refused> {
    Ok(PledgeSpec {
        tier: Some(form.tier.trim().to_owned()).filter(|t| !t.is_empty()),
        amount_cents: amount(form, currency)?,
        cadence: if form.annual.is_some() {
            Cadence::Annual
        } else {
            Cadence::Monthly
        },
        card: Some(form.card.trim().to_owned())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| CARD_SUCCESS.to_owned()),
    })
}

/// The result line for a member after a control.
fn said(what: &str, m: &member::Model, currency: &str) -> String {
    format!(
        "{what} done: member {} is {} (last charge {}), will pay {}, lifetime support {}.",
        m.id,
        m.patron_status.as_deref().unwrap_or("a free member"),
        m.last_charge_status.as_deref().unwrap_or("none"),
        money::show(m.will_pay_amount_cents, currency),
        money::show(m.campaign_lifetime_support_cents, currency),
    )
}
