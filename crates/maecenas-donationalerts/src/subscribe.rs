//! `POST /api/v1/centrifuge/subscribe`: `{"client": uuid, "channels": [...]}` from JSON, a form
//! or the query → `{"channels":[{"channel","token"}]}` with a subscription token for each
//! channel the token may hear: the caller's own `$alerts:donation_<id>` (scope
//! `oauth-donation-subscribe`), `$goals:goal_<id>` (`oauth-goal-subscribe`) and
//! `$polls:poll_<id>` (`oauth-poll-subscribe`). Any other channel is left out (spec §4.1: return
//! only the permitted channels).

use axum::{Json, extract::State};
use maecenas_types::Scope;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    auth::{Caller, Limited},
    error::{ApiError, Errors},
    params::Params,
    state::DonationAlertsState,
    wire::{ChannelToken, Subscribed},
};

/// Signs the permitted channels.
pub async fn subscribe(
    State(state): State<DonationAlertsState>,
    caller: Caller,
    params: Params,
) -> Result<Limited<Json<Subscribed>>, ApiError> {
    let mut errors = Errors::default();
    let client = match params.get("client") {
        Some(Value::String(s)) if Uuid::parse_str(s).is_ok() => Some(s.clone()),
        Some(Value::String(s)) if !s.is_empty() => {
            errors.add("client", "The client must be a valid UUID.".to_owned());
            None
        }
        _ => {
            errors.add("client", "The client field is required.".to_owned());
            None
        }
    };
    let channels: Vec<String> = match params.get("channels") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(one)) if !one.is_empty() => vec![one.clone()],
        _ => {
            errors.add("channels", "The channels field is required.".to_owned());
            Vec::new()
        }
    };
    errors.into_result()?;
    let client = client.unwrap_or_default();
    let mut signed = Vec::new();
    for channel in channels {
        if !allowed(&caller, &channel) || signed.iter().any(|s: &ChannelToken| s.channel == channel)
        {
            continue;
        }
        let token = state
            .realtime
            .issue_subscription_token(&client, &channel, None)
            .map_err(|e| ApiError::internal(&e))?;
        signed.push(ChannelToken { channel, token });
    }
    Ok(Limited(
        caller.limit_headers,
        Json(Subscribed { channels: signed }),
    ))
}

/// Whether `caller` may hear `channel`: one of the three namespaces, their own id, the scope.
fn allowed(caller: &Caller, channel: &str) -> bool {
    let rules = [
        ("$alerts:donation_", Scope::DaDonationSubscribe),
        ("$goals:goal_", Scope::DaGoalSubscribe),
        ("$polls:poll_", Scope::DaPollSubscribe),
    ];
    rules.iter().any(|(prefix, scope)| {
        channel
            .strip_prefix(prefix)
            .is_some_and(|id| id == caller.user_id.to_string())
            && caller.has(*scope)
    })
}
