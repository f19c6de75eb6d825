//! Webhook payloads as Patreon sends them (`patreon.md` §7.3): full documents, never sparse.
//! Member triggers (`members:*`, `members:pledge:*`) carry the member with `address`,
//! `campaign`, `currently_entitled_tiers` and `user` related, `included` the campaign first
//! (without `show_earnings`), then the user (public attributes, no e-mail), then the tiers, and
//! `links.self`; the member's e-mail only when the webhook's token held
//! `campaigns.members[email]`. Post triggers carry the post (its v2 attributes, `tiers` too);
//! the legacy v1 `pledges:*` triggers carry a v1 pledge with its creator, patron and reward.
//! Update and delete events render the snapshot their event row keeps (`subject_changes`), so a
//! deleted member or post still has its payload; creations read the subject as it is.

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use maecenas_store::{
    StoreError,
    entities::{campaign, event},
    subject_changes::{MemberSnapshot, PostSnapshot, snapshot_of},
};
use maecenas_types::Scope;
use maecenas_webhooks::{BoxFuture, Renderer, Wanted};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{
    jsonapi::{ApiError, Document, JsonApiQuery, Links, Relationship, Resource, ResourceId},
    state::PatreonState,
    v2::resources::{
        CampaignAttributes, MemberAttributes, PostAttributes, TierAttributes, UserAttributes,
    },
};

/// Every trigger a webhook may subscribe to (`patreon.md` §7.1).
pub const TRIGGERS: [&str; 12] = [
    "members:create",
    "members:update",
    "members:delete",
    "members:pledge:create",
    "members:pledge:update",
    "members:pledge:delete",
    "posts:publish",
    "posts:update",
    "posts:delete",
    "pledges:create",
    "pledges:update",
    "pledges:delete",
];

/// What one fan-out batch's member payloads share, read once ([`PatreonRenderer::memo`]).
#[derive(Debug, Default)]
struct Memo {
    /// Members created, as they are now.
    members: HashMap<uuid::Uuid, MemberSnapshot>,
    /// Each campaign as payloads include it.
    campaigns: HashMap<i64, Resource>,
    /// Active patrons per tier, for the tiers in `tier_counts_of`.
    tier_counts: HashMap<i64, i64>,
    tier_counts_of: HashSet<i64>,
}

/// Renders Patreon payloads for the dispatcher.
#[derive(Debug, Clone)]
pub struct PatreonRenderer {
    state: PatreonState,
    /// The last batch's campaigns and tier counts, reused by the batches of the next
    /// [`COUNTS_FOR`] (counting a campaign's patrons reads all its members).
    shared: Arc<Mutex<Option<Shared>>>,
}

/// Campaign resources and tier patron counts as a batch read them, and when.
#[derive(Debug, Clone)]
struct Shared {
    read_at: Instant,
    campaigns: HashMap<i64, Resource>,
    tier_counts: HashMap<i64, i64>,
}

/// How long a batch's patron counts serve the batches after it: payloads' `patron_count`s may
/// be this much behind (Patreon's own counts lag far more).
const COUNTS_FOR: Duration = Duration::from_secs(1);

impl PatreonRenderer {
    /// A renderer building links from `state`'s public URL.
    pub fn new(state: PatreonState) -> Self {
        Self {
            state,
            shared: Arc::new(Mutex::new(None)),
        }
    }

    /// The body for `event` under `trigger` for a token with `scopes`, as a JSON value.
    pub async fn document(
        &self,
        event: &event::Model,
        trigger: &str,
        scopes: &str,
    ) -> Result<Option<Value>, StoreError> {
        self.document_in(event, trigger, scopes, None).await
    }

    /// [`Self::document`], taking what `memo` holds from it instead of the store.
    async fn document_in(
        &self,
        event: &event::Model,
        trigger: &str,
        scopes: &str,
        memo: Option<&Memo>,
    ) -> Result<Option<Value>, StoreError> {
        match event.subject_type.as_str() {
            "member" => {
                // Updates and deletes carry the member as it was; creations read it now.
                let parts = match snapshot_of::<MemberSnapshot>(&event.payload) {
                    Some(snapshot) => Some(snapshot),
                    None => match (event.subject_id.parse::<uuid::Uuid>(), memo) {
                        (Ok(id), Some(memo)) if memo.members.contains_key(&id) => {
                            memo.members.get(&id).cloned()
                        }
                        (Ok(id), _) => self.member_now(id).await?,
                        (Err(_), _) => None,
                    },
                };
                let Some(parts) = parts else {
                    return Ok(None);
                };
                if trigger.starts_with("pledges:") {
                    self.v1_pledge(&parts).await
                } else {
                    self.member_in(&parts, &visibility(scopes), memo).await
                }
            }
            "post" => {
                let post = match snapshot_of::<PostSnapshot>(&event.payload) {
                    Some(snapshot) => Some(snapshot),
                    None => match event.subject_id.parse::<i64>() {
                        Ok(id) => self.post_now(id).await?,
                        Err(_) => None,
                    },
                };
                match post {
                    Some(p) => self.post(&p).await,
                    None => Ok(None),
                }
            }
            _ => Ok(None),
        }
    }

    /// A post as it is now, with the tiers it is shown to.
    async fn post_now(&self, id: i64) -> Result<Option<PostSnapshot>, StoreError> {
        let store = &self.state.store;
        let Some(post) = store.post_for_webhook(id).await? else {
            return Ok(None);
        };
        let tier_ids = store
            .post_tier_ids(&[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        Ok(Some(PostSnapshot { post, tier_ids }))
    }

    /// A membership as it is now, with its patron and entitled tiers.
    async fn member_now(&self, id: uuid::Uuid) -> Result<Option<MemberSnapshot>, StoreError> {
        let store = &self.state.store;
        let Some(member) = store.member_by_id(id).await? else {
            return Ok(None);
        };
        let user = store
            .users_by_ids(&[member.user_id])
            .await?
            .remove(&member.user_id);
        let tiers = store
            .entitled_tiers(&[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        Ok(Some(MemberSnapshot {
            member,
            user,
            tiers,
        }))
    }

    /// What "send test event" sends under `trigger` to a webhook of `campaign_id` whose token
    /// held `scopes`: the campaign's newest member (or post) as that trigger renders it, or a
    /// document with no data when the campaign has none.
    pub async fn test_body(
        &self,
        campaign_id: i64,
        trigger: &str,
        scopes: &str,
    ) -> Result<String, StoreError> {
        let store = &self.state.store;
        let doc = if trigger.starts_with("posts:") {
            let newest = match store.newest_post(campaign_id).await? {
                Some(p) => self.post_now(p.id).await?,
                None => None,
            };
            match newest {
                Some(p) => self.post(&p).await?,
                None => None,
            }
        } else {
            let newest = match store.newest_member(campaign_id).await? {
                Some(m) => self.member_now(m.id).await?,
                None => None,
            };
            match newest {
                Some(m) if trigger.starts_with("pledges:") => self.v1_pledge(&m).await?,
                Some(m) => self.member(&m, &visibility(scopes)).await?,
                None => None,
            }
        };
        let doc = doc.unwrap_or_else(|| serde_json::json!({"data": null, "meta": {"test": true}}));
        Ok(doc.to_string())
    }

    /// A member document.
    pub async fn member(
        &self,
        parts: &MemberSnapshot,
        sees: &BTreeSet<Scope>,
    ) -> Result<Option<Value>, StoreError> {
        self.member_in(parts, sees, None).await
    }

    /// [`Self::member`], taking the campaign and the tiers' counts from `memo` when it has them.
    async fn member_in(
        &self,
        parts: &MemberSnapshot,
        sees: &BTreeSet<Scope>,
        memo: Option<&Memo>,
    ) -> Result<Option<Value>, StoreError> {
        let store = &self.state.store;
        let public = self.state.public_url.as_str();
        let m = &parts.member;
        let Some(u) = parts.user.as_ref() else {
            return Ok(None);
        };
        let mut attributes = all(&MemberAttributes::new(m, Some(u)));
        if !sees.contains(&Scope::CampaignsMembersEmail) {
            attributes.remove("email");
        }
        let tiers = &parts.tiers;
        let address = m
            .address_id
            .filter(|_| sees.contains(&Scope::CampaignsMembersAddress));
        let resource = Resource::new("member", m.id, attributes)
            .relate(
                "address",
                Relationship::to_one(
                    address.map(|a| ResourceId::new("address", a)),
                    address.map(|a| self.state.v2_url(&format!("address/{a}"))),
                ),
            )
            .relate(
                "campaign",
                Relationship::to_one(
                    Some(ResourceId::new("campaign", m.campaign_id)),
                    Some(self.state.v2_url(&format!("campaigns/{}", m.campaign_id))),
                ),
            )
            .relate(
                "currently_entitled_tiers",
                Relationship::to_many(
                    tiers
                        .iter()
                        .map(|t| ResourceId::new("tier", t.id))
                        .collect(),
                ),
            )
            .relate(
                "user",
                Relationship::to_one(
                    Some(ResourceId::new("user", u.id)),
                    Some(self.state.v2_url(&format!("user/{}", u.id))),
                ),
            );
        let mut included = Vec::new();
        match memo.and_then(|memo| memo.campaigns.get(&m.campaign_id)) {
            Some(campaign) => included.push(campaign.clone()),
            None => {
                if let Some(c) = store.campaigns_by_ids(&[m.campaign_id]).await?.first() {
                    let count = store.patron_counts(&[c.id]).await?.get(&c.id).copied();
                    included.push(self.campaign_resource(c, count.unwrap_or(0)));
                }
            }
        }
        let mut user = all(&UserAttributes::new(u, false, public));
        for private in ["email", "is_email_verified", "can_see_nsfw"] {
            user.remove(private);
        }
        included.push(Resource::new("user", u.id, user));
        let ids: Vec<i64> = tiers.iter().map(|t| t.id).collect();
        let queried;
        let counts = match memo {
            Some(memo) if ids.iter().all(|id| memo.tier_counts_of.contains(id)) => {
                &memo.tier_counts
            }
            _ => {
                queried = store.tier_patron_counts(&ids).await?;
                &queried
            }
        };
        for t in tiers {
            let count = counts.get(&t.id).copied().unwrap_or(0);
            included.push(Resource::new(
                "tier",
                t.id,
                all(&TierAttributes::new(t, count)),
            ));
        }
        let doc = with_self(
            Document::one(resource).include(included),
            self.state.v2_url(&format!("members/{}", m.id)),
        );
        Ok(serde_json::to_value(doc).ok())
    }

    /// The campaign as member payloads include it (no `show_earnings`).
    fn campaign_resource(&self, c: &campaign::Model, patrons: i64) -> Resource {
        let public = self.state.public_url.as_str();
        let mut attributes = all(&CampaignAttributes::new(c, patrons, public));
        attributes.remove("show_earnings");
        Resource::new("campaign", c.id, attributes)
    }

    /// Reads once what the member payloads of a fan-out batch share: the members created (as
    /// they are now, with patron and tiers), their campaigns with patron counts, and the
    /// tiers' patron counts (those two reused for [`COUNTS_FOR`]). Per event that was seven
    /// queries, two of them counting a campaign's members.
    async fn memo(&self, wanted: &[Wanted<'_>]) -> Result<Memo, StoreError> {
        let store = &self.state.store;
        let mut memo = Memo::default();
        let mut ids = Vec::new();
        let mut campaign_ids = Vec::new();
        let mut tier_ids = Vec::new();
        for w in wanted {
            let e = w.event;
            if e.subject_type != "member" || w.trigger.starts_with("pledges:") {
                continue;
            }
            match snapshot_of::<MemberSnapshot>(&e.payload) {
                Some(snapshot) => {
                    campaign_ids.push(snapshot.member.campaign_id);
                    tier_ids.extend(snapshot.tiers.iter().map(|t| t.id));
                }
                None => ids.extend(e.subject_id.parse::<uuid::Uuid>().ok()),
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let members = store.members_by_ids(&ids).await?;
        let user_ids: Vec<i64> = members.iter().map(|m| m.user_id).collect();
        let users = store.users_by_ids(&user_ids).await?;
        let mut tiers = store.entitled_tiers(&ids).await?;
        for member in members {
            campaign_ids.push(member.campaign_id);
            let tiers = tiers.remove(&member.id).unwrap_or_default();
            tier_ids.extend(tiers.iter().map(|t| t.id));
            memo.members.insert(
                member.id,
                MemberSnapshot {
                    user: users.get(&member.user_id).cloned(),
                    tiers,
                    member,
                },
            );
        }
        campaign_ids.sort_unstable();
        campaign_ids.dedup();
        tier_ids.sort_unstable();
        tier_ids.dedup();
        let recent = self.shared.lock().ok().and_then(|s| s.clone()).filter(|s| {
            s.read_at.elapsed() < COUNTS_FOR
                && campaign_ids.iter().all(|c| s.campaigns.contains_key(c))
                && tier_ids.iter().all(|t| s.tier_counts.contains_key(t))
        });
        let shared = match recent {
            Some(shared) => shared,
            None => {
                let counts = store.patron_counts(&campaign_ids).await?;
                let mut campaigns = HashMap::new();
                for c in store.campaigns_by_ids(&campaign_ids).await? {
                    let patrons = counts.get(&c.id).copied().unwrap_or(0);
                    campaigns.insert(c.id, self.campaign_resource(&c, patrons));
                }
                let mut tier_counts = store.tier_patron_counts(&tier_ids).await?;
                for t in &tier_ids {
                    tier_counts.entry(*t).or_insert(0);
                }
                let shared = Shared {
                    read_at: Instant::now(),
                    campaigns,
                    tier_counts,
                };
                if let Ok(mut slot) = self.shared.lock() {
                    *slot = Some(shared.clone());
                }
                shared
            }
        };
        memo.campaigns = shared.campaigns;
        memo.tier_counts = shared.tier_counts;
        memo.tier_counts_of = tier_ids.into_iter().collect();
        Ok(memo)
    }

    async fn post(&self, parts: &PostSnapshot) -> Result<Option<Value>, StoreError> {
        let store = &self.state.store;
        let public = self.state.public_url.as_str();
        let p = &parts.post;
        let attributes = all(&PostAttributes::new(p, &parts.tier_ids, public));
        let resource = Resource::new("post", p.id, attributes)
            .relate(
                "campaign",
                Relationship::to_one(
                    Some(ResourceId::new("campaign", p.campaign_id)),
                    Some(self.state.v2_url(&format!("campaigns/{}", p.campaign_id))),
                ),
            )
            .relate(
                "user",
                Relationship::to_one(
                    Some(ResourceId::new("user", p.user_id)),
                    Some(self.state.v2_url(&format!("user/{}", p.user_id))),
                ),
            );
        let mut included = Vec::new();
        if let Some(c) = store.campaigns_by_ids(&[p.campaign_id]).await?.first() {
            let count = store.patron_counts(&[c.id]).await?.get(&c.id).copied();
            let mut attributes = all(&CampaignAttributes::new(c, count.unwrap_or(0), public));
            attributes.remove("show_earnings");
            included.push(Resource::new("campaign", c.id, attributes));
        }
        if let Some(u) = store.users_by_ids(&[p.user_id]).await?.get(&p.user_id) {
            let mut user = all(&UserAttributes::new(u, true, public));
            for private in ["email", "is_email_verified", "can_see_nsfw"] {
                user.remove(private);
            }
            included.push(Resource::new("user", u.id, user));
        }
        let doc = with_self(
            Document::one(resource).include(included),
            self.state.v2_url(&format!("posts/{}", p.id)),
        );
        Ok(serde_json::to_value(doc).ok())
    }

    /// The legacy v1 payload: a pledge with `address`, `card`, `creator`, `patron` and
    /// `reward` related, its creator, patron and reward included.
    async fn v1_pledge(&self, parts: &MemberSnapshot) -> Result<Option<Value>, StoreError> {
        let include: BTreeSet<&'static str> = ["creator", "patron", "reward"].into();
        let tiers = [(parts.member.id, parts.tiers.clone())].into();
        let (data, included) = crate::v1::render::pledges_with_tiers(
            &self.state,
            &JsonApiQuery::default(),
            std::slice::from_ref(&parts.member),
            &include,
            tiers,
        )
        .await
        .map_err(api_to_store)?;
        let Some(pledge) = data.into_iter().next() else {
            return Ok(None);
        };
        let pledge = pledge.relate("card", Relationship::to_one(None, None));
        Ok(serde_json::to_value(Document::one(pledge).include(included)).ok())
    }
}

fn api_to_store(err: ApiError) -> StoreError {
    StoreError::Db(maecenas_store::DbErr::Custom(err.detail().to_owned()))
}

fn with_self(mut doc: Document, url: String) -> Document {
    doc.links = Some(Links {
        self_: Some(url),
        ..Links::default()
    });
    doc
}

fn all<A: Serialize>(attributes: &A) -> Map<String, Value> {
    match serde_json::to_value(attributes) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The scopes (of those that change payloads) a space-separated scope list holds.
pub fn visibility(scopes: &str) -> BTreeSet<Scope> {
    scopes
        .split_whitespace()
        .filter_map(Scope::parse)
        .filter(|s| {
            matches!(
                s,
                Scope::CampaignsMembersEmail | Scope::CampaignsMembersAddress
            )
        })
        .collect()
}

impl Renderer for PatreonRenderer {
    fn triggers(&self, kind: &str) -> &'static [&'static str] {
        match kind {
            "members:create" => &["members:create"],
            "members:update" => &["members:update"],
            "members:delete" => &["members:delete"],
            "members:pledge:create" => &["members:pledge:create", "pledges:create"],
            "members:pledge:update" => &["members:pledge:update", "pledges:update"],
            "members:pledge:delete" => &["members:pledge:delete", "pledges:delete"],
            "posts:publish" => &["posts:publish"],
            "posts:update" => &["posts:update"],
            "posts:delete" => &["posts:delete"],
            _ => &[],
        }
    }

    fn render<'a>(
        &'a self,
        event: &'a event::Model,
        trigger: &'a str,
        scopes: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        Box::pin(async move {
            Ok(self
                .document(event, trigger, scopes)
                .await?
                .map(|v| v.to_string()))
        })
    }

    fn render_all<'a>(
        &'a self,
        wanted: &'a [Wanted<'a>],
    ) -> BoxFuture<'a, Result<Vec<Option<String>>, StoreError>> {
        Box::pin(async move {
            let memo = self.memo(wanted).await?;
            let mut bodies = Vec::with_capacity(wanted.len());
            for w in wanted {
                let doc = self
                    .document_in(w.event, w.trigger, w.scopes, Some(&memo))
                    .await?;
                bodies.push(doc.map(|v| v.to_string()));
            }
            Ok(bodies)
        })
    }

    fn visibility(&self, scopes: &str) -> u8 {
        visibility(scopes)
            .iter()
            .map(|s| match s {
                Scope::CampaignsMembersEmail => 1,
                _ => 2,
            })
            .sum()
    }
}
