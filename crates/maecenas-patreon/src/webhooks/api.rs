//! `/api/oauth2/v2/webhooks` (`patreon.md` §4.2): list, create, change and delete the webhooks
//! the calling client made on the caller's campaigns, under `w:campaigns.webhook`. Bodies are
//! JSON whatever the Content-Type says; every refusal is a JSON:API error naming the body
//! member (`source.pointer`); another client's webhook is a 404, like one that doesn't exist.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::StatusCode,
};
use maecenas_store::{
    entities::webhook,
    webhooks::{NewWebhook, WebhookPatch, triggers_of},
};
use maecenas_types::Scope;
use maecenas_webhooks::{Guard, sign::generate_secret};
use serde::Serialize;
use serde_json::Value;

use super::payload::TRIGGERS;
use crate::{
    auth::Caller,
    jsonapi::{
        AllowedIncludes, ApiError, Document, JsonApiQuery, Meta, Relationship, Resource,
        ResourceId, sparse,
    },
    state::PatreonState,
    v2::resources::timestamp,
};

const INCLUDES: AllowedIncludes = AllowedIncludes(&[
    ("campaign", AllowedIncludes::NONE),
    ("client", AllowedIncludes::NONE),
]);

/// Most webhooks one client may keep.
pub const MAX_PER_CLIENT: usize = 50;

/// `webhook`.
#[derive(Debug, Serialize)]
pub struct WebhookAttributes {
    pub last_attempted_at: Option<String>,
    pub num_consecutive_times_failed: i64,
    pub paused: bool,
    pub secret: String,
    pub triggers: Vec<String>,
    pub uri: String,
}

impl WebhookAttributes {
    /// `w`'s attributes.
    pub fn new(w: &webhook::Model) -> Self {
        Self {
            last_attempted_at: w.last_attempted_at.as_ref().map(timestamp),
            num_consecutive_times_failed: w.num_consecutive_times_failed,
            paused: w.paused,
            secret: w.secret.clone(),
            triggers: triggers_of(w),
            uri: w.uri.clone(),
        }
    }
}

fn internal(err: maecenas_store::StoreError) -> ApiError {
    tracing::error!(error = %err, "Patreon webhooks API failed");
    ApiError::internal()
}

fn full(w: &webhook::Model) -> Resource {
    let attributes = match serde_json::to_value(WebhookAttributes::new(w)) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    Resource::new("webhook", w.id, attributes)
}

/// `GET /webhooks`: the caller's client's webhooks on the caller's campaigns.
pub async fn list(
    State(state): State<PatreonState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Document>, ApiError> {
    caller.require(Scope::WriteCampaignsWebhook)?;
    let query = JsonApiQuery::parse(raw.as_deref())?;
    let include = query.include.clone().unwrap_or_default();
    include.check(&INCLUDES)?;
    let hooks = state
        .store
        .webhooks_of(caller.client_id, caller.user_id)
        .await
        .map_err(internal)?;
    let mut data = Vec::with_capacity(hooks.len());
    let mut included = Vec::new();
    let client = if include.has("client") {
        state
            .store
            .oauth_client_by_id(caller.client_id)
            .await
            .map_err(internal)?
    } else {
        None
    };
    for w in &hooks {
        let mut r = Resource::new(
            "webhook",
            w.id,
            sparse(&WebhookAttributes::new(w), query.fields_for("webhook")),
        );
        if include.has("campaign") {
            r = r.relate(
                "campaign",
                Relationship::to_one(
                    Some(ResourceId::new("campaign", w.campaign_id)),
                    Some(state.v2_url(&format!("campaigns/{}", w.campaign_id))),
                ),
            );
            if let Some(c) = state
                .store
                .campaigns_by_ids(&[w.campaign_id])
                .await
                .map_err(internal)?
                .first()
            {
                included.push(crate::v2::render::campaign(&state, &query, c).await?);
            }
        }
        if let Some(c) = &client {
            r = r.relate(
                "client",
                Relationship::to_one(Some(ResourceId::new("client", &c.client_id)), None),
            );
            #[derive(Serialize)]
            struct ClientAttributes<'a> {
                author_name: &'a str,
                description: &'a str,
                domain: &'a str,
                name: &'a str,
            }
            let attributes = ClientAttributes {
                author_name: &c.author_name,
                description: &c.description,
                domain: &c.domain,
                name: &c.name,
            };
            included.push(Resource::new(
                "client",
                &c.client_id,
                sparse(&attributes, query.fields_for("client")),
            ));
        }
        data.push(r);
    }
    let total = data.len() as u64;
    let mut doc = Document::many(data).include(included);
    doc.meta = Some(Meta::paginated(total, None));
    Ok(Json(doc))
}

/// `POST /webhooks`.
pub async fn create(
    State(state): State<PatreonState>,
    caller: Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<Document>), ApiError> {
    caller.require(Scope::WriteCampaignsWebhook)?;
    let doc = parse_body(&body)?;
    let data = data_of(&doc)?;
    let attributes = attributes_of(data)?;
    let uri = match attributes.get("uri") {
        Some(Value::String(uri)) => check_uri(&state, uri)?,
        _ => {
            return Err(ApiError::invalid_body(
                "/data/attributes/uri",
                "uri is required.",
            ));
        }
    };
    let triggers = match attributes.get("triggers") {
        Some(t) => check_triggers(t)?,
        None => {
            return Err(ApiError::invalid_body(
                "/data/attributes/triggers",
                "triggers is required.",
            ));
        }
    };
    let campaign_id = campaign_of(&state, &caller, data).await?;
    let existing = state
        .store
        .webhooks_of(caller.client_id, caller.user_id)
        .await
        .map_err(internal)?;
    if existing.len() >= MAX_PER_CLIENT {
        return Err(ApiError::invalid_body(
            "/data",
            format!("A client may keep at most {MAX_PER_CLIENT} webhooks."),
        ));
    }
    let scopes: Vec<&str> = caller.scopes.iter().map(Scope::as_str).collect();
    let created = state
        .store
        .create_webhook(
            NewWebhook {
                client_id: caller.client_id,
                campaign_id,
                uri,
                secret: generate_secret(),
                triggers,
                scopes: scopes.join(" "),
            },
            state.clock.now(),
        )
        .await
        .map_err(internal)?;
    Ok((StatusCode::CREATED, Json(Document::one(full(&created)))))
}

/// `PATCH /webhooks/{id}`: `uri`, `triggers`, `paused` (booleans or `"true"`/`"false"`).
pub async fn update(
    State(state): State<PatreonState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Document>, ApiError> {
    caller.require(Scope::WriteCampaignsWebhook)?;
    let w = own_webhook(&state, &caller, &id).await?;
    let doc = parse_body(&body)?;
    let data = data_of(&doc)?;
    match data.get("id") {
        None => {}
        Some(Value::String(given)) if *given == w.id.to_string() => {}
        Some(Value::Number(given)) if given.as_i64() == Some(w.id) => {}
        Some(_) => {
            return Err(ApiError::invalid_body(
                "/data/id",
                "data.id does not match the webhook in the URL.",
            ));
        }
    }
    let attributes = attributes_of(data)?;
    let mut patch = WebhookPatch::default();
    if let Some(uri) = attributes.get("uri") {
        let Value::String(uri) = uri else {
            return Err(ApiError::invalid_body(
                "/data/attributes/uri",
                "uri must be a string.",
            ));
        };
        patch.uri = Some(check_uri(&state, uri)?);
    }
    if let Some(t) = attributes.get("triggers") {
        patch.triggers = Some(check_triggers(t)?);
    }
    if let Some(p) = attributes.get("paused") {
        patch.paused = Some(lenient_bool(p).ok_or_else(|| {
            ApiError::invalid_body("/data/attributes/paused", "paused must be true or false.")
        })?);
    }
    let saved = state
        .store
        .update_webhook(w, patch, state.clock.now())
        .await
        .map_err(internal)?;
    Ok(Json(Document::one(full(&saved))))
}

/// `DELETE /webhooks/{id}`: 204.
pub async fn delete(
    State(state): State<PatreonState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Scope::WriteCampaignsWebhook)?;
    let w = own_webhook(&state, &caller, &id).await?;
    state.store.delete_webhook(w.id).await.map_err(internal)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The webhook `id` if the caller's client made it on the caller's campaign; 404 otherwise.
async fn own_webhook(
    state: &PatreonState,
    caller: &Caller,
    id: &str,
) -> Result<webhook::Model, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let w = state
        .store
        .webhook(id)
        .await
        .map_err(internal)?
        .filter(|w| w.client_id == caller.client_id)
        .ok_or_else(ApiError::not_found)?;
    let owner = state
        .store
        .campaigns_by_ids(&[w.campaign_id])
        .await
        .map_err(internal)?
        .first()
        .map(|c| c.creator_id);
    if owner == Some(caller.user_id) {
        Ok(w)
    } else {
        Err(ApiError::not_found())
    }
}

/// The request body as JSON, whatever the Content-Type says.
fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|_| ApiError::invalid_body("", "The request body is not a JSON document."))
}

/// `data`, an object of type `webhook`.
fn data_of(doc: &Value) -> Result<&serde_json::Map<String, Value>, ApiError> {
    let Some(Value::Object(data)) = doc.get("data") else {
        return Err(ApiError::invalid_body("/data", "data must be an object."));
    };
    match data.get("type") {
        Some(Value::String(t)) if t == "webhook" => Ok(data),
        _ => Err(ApiError::invalid_body(
            "/data/type",
            "data.type must be \"webhook\".",
        )),
    }
}

fn attributes_of(
    data: &serde_json::Map<String, Value>,
) -> Result<&serde_json::Map<String, Value>, ApiError> {
    match data.get("attributes") {
        Some(Value::Object(a)) => Ok(a),
        _ => Err(ApiError::invalid_body(
            "/data/attributes",
            "data.attributes must be an object.",
        )),
    }
}

fn check_uri(state: &PatreonState, uri: &str) -> Result<String, ApiError> {
    if uri.len() > 2048 {
        return Err(ApiError::invalid_body(
            "/data/attributes/uri",
            "uri is too long.",
        ));
    }
    Guard::new(state.webhooks.clone())
        .check_uri(uri)
        .map(|u| u.to_string())
        .map_err(|e| ApiError::invalid_body("/data/attributes/uri", e.to_string()))
}

fn check_triggers(value: &Value) -> Result<Vec<String>, ApiError> {
    let pointer = "/data/attributes/triggers";
    let Value::Array(items) = value else {
        return Err(ApiError::invalid_body(
            pointer,
            "triggers must be an array.",
        ));
    };
    if items.is_empty() {
        return Err(ApiError::invalid_body(
            pointer,
            "Name at least one trigger.",
        ));
    }
    let mut triggers = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item.as_str().filter(|t| TRIGGERS.contains(t)) {
            Some(t) if !triggers.iter().any(|k: &String| k == t) => triggers.push(t.to_owned()),
            Some(_) => {}
            None => {
                return Err(ApiError::invalid_body(
                    &format!("{pointer}/{i}"),
                    format!("Unknown trigger {item}."),
                ));
            }
        }
    }
    Ok(triggers)
}

/// `true`, `false`, or those words as strings (Patreon's own sample sends `"false"`).
fn lenient_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The campaign a new webhook listens to: `relationships.campaign`, which must be the
/// caller's; without it, the caller's own campaign.
async fn campaign_of(
    state: &PatreonState,
    caller: &Caller,
    data: &serde_json::Map<String, Value>,
) -> Result<i64, ApiError> {
    let pointer = "/data/relationships/campaign";
    let given = data
        .get("relationships")
        .and_then(|r| r.get("campaign"))
        .map(|c| c.pointer("/data/id").cloned());
    let id = match given {
        Some(Some(Value::String(s))) => s
            .parse::<i64>()
            .map_err(|_| ApiError::invalid_body(pointer, "Not a campaign id."))?,
        Some(Some(Value::Number(n))) => n
            .as_i64()
            .ok_or_else(|| ApiError::invalid_body(pointer, "Not a campaign id."))?,
        Some(_) => return Err(ApiError::invalid_body(pointer, "Name the campaign by id.")),
        None => {
            return state
                .store
                .campaign_by_creator(caller.user_id)
                .await
                .map_err(internal)?
                .map(|c| c.id)
                .ok_or_else(|| ApiError::forbidden("You have no campaign."));
        }
    };
    let campaign = state
        .store
        .campaigns_by_ids(&[id])
        .await
        .map_err(internal)?
        .into_iter()
        .next();
    match campaign {
        Some(c) if c.creator_id == caller.user_id => Ok(c.id),
        _ => Err(ApiError::forbidden(
            "You may only add webhooks to your own campaign.",
        )),
    }
}
