//! `POST /api/v1/custom_alert` (scope `oauth-custom_alert-store`): parameters from the query,
//! a form or JSON; `headline` is read as `header` (DonationAlertsAPI 2.0.2 sends it). Rules as
//! the doc gives them: `external_id` ≤ 32, `header` ≤ 255, `message` ≤ 300, `is_shown` 0/1,
//! `image_url`/`sound_url` ≤ 255, all optional.

use axum::{Json, extract::State};
use maecenas_store::alerts::NewCustomAlert;
use maecenas_types::Scope;
use serde_json::Value;

use crate::{
    auth::{Caller, Limited},
    error::{ApiError, Errors},
    params::Params,
    state::DonationAlertsState,
    wire::{CustomAlert, Data},
};

/// Creates the alert and answers it.
pub async fn store(
    State(state): State<DonationAlertsState>,
    caller: Caller,
    params: Params,
) -> Result<Limited<Json<Data<CustomAlert>>>, ApiError> {
    caller.require(Scope::DaCustomAlertStore)?;
    let mut errors = Errors::default();
    let external_id = text(&params, "external_id", 32, &mut errors);
    let header_name = if params.get("header").is_some() {
        "header"
    } else {
        "headline"
    };
    let header = text(&params, header_name, 255, &mut errors);
    let message = text(&params, "message", 300, &mut errors);
    let is_shown = flag(&params, "is_shown", &mut errors);
    let image_url = text(&params, "image_url", 255, &mut errors);
    let sound_url = text(&params, "sound_url", 255, &mut errors);
    errors.into_result()?;
    let row = state
        .store
        .create_custom_alert(NewCustomAlert {
            user_id: caller.user_id,
            external_id,
            header: header.unwrap_or_default(),
            message: message.unwrap_or_default(),
            image_url,
            sound_url,
            is_shown,
            created_at: state.clock.now(),
        })
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Limited(
        caller.limit_headers,
        Json(Data { data: row.into() }),
    ))
}

/// An optional string of at most `max` characters; empty counts as absent (Laravel's
/// `ConvertEmptyStringsToNull`).
fn text(params: &Params, name: &str, max: usize, errors: &mut Errors) -> Option<String> {
    match params.get(name)? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) if s.chars().count() > max => {
            errors.add(
                name,
                format!(
                    "The {} must not be greater than {max} characters.",
                    label(name)
                ),
            );
            None
        }
        Value::String(s) => Some(s.clone()),
        _ => {
            errors.add(name, format!("The {} must be a string.", label(name)));
            None
        }
    }
}

/// `0`/`1` (and Laravel's other boolean spellings); absent is 0.
fn flag(params: &Params, name: &str, errors: &mut Errors) -> bool {
    let value = match params.get(name) {
        None | Some(Value::Null) => return false,
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Some(Value::String(s)) => match s.as_str() {
            "" | "0" | "false" => Some(false),
            "1" | "true" => Some(true),
            _ => None,
        },
        Some(_) => None,
    };
    value.unwrap_or_else(|| {
        errors.add(name, format!("The {} field must be 0 or 1.", label(name)));
        false
    })
}

/// Laravel names a field in messages with spaces for underscores.
fn label(name: &str) -> String {
    name.replace('_', " ")
}
