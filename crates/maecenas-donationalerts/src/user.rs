//! `GET /api/v1/user/oauth` (scope `oauth-user-show`): the token's user with a Centrifugo
//! connection token (no `exp`: DA clients never refresh it, spec §2) and `language`, which
//! DonationAlertsAPI 2.0.2 requires.

use axum::Json;
use maecenas_store::entities::user;
use maecenas_types::Scope;

use crate::{
    auth::{Caller, Limited},
    error::ApiError,
    state::DonationAlertsState,
    wire::{Data, User, user_code},
};

/// The profile.
pub async fn show(
    axum::extract::State(state): axum::extract::State<DonationAlertsState>,
    caller: Caller,
) -> Result<Limited<Json<Data<User>>>, ApiError> {
    caller.require(Scope::DaUserShow)?;
    let user = load_user(&state, caller.user_id).await?;
    let socket_connection_token = state
        .realtime
        .issue_connection_token(&user.id.to_string(), None)
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Limited(
        caller.limit_headers,
        Json(Data {
            data: User {
                id: user.id,
                code: user_code(&user),
                name: user.full_name.clone(),
                avatar: user.image_url.clone(),
                email: user.email.clone(),
                socket_connection_token,
                language: locale(&user.language).to_owned(),
            },
        }),
    ))
}

/// The token's user; a token whose user is gone is no longer a credential.
pub async fn load_user(state: &DonationAlertsState, id: i64) -> Result<user::Model, ApiError> {
    state
        .store
        .user_by_id(id)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .ok_or(ApiError::Unauthenticated)
}

/// DonationAlerts names languages by locale (`en_US`); a bare language maps to its usual one.
fn locale(language: &str) -> &str {
    const LOCALES: [&str; 20] = [
        "be_BY", "de_DE", "en_US", "es_ES", "es_US", "et_EE", "fr_FR", "he_HE", "it_IT", "ka_GE",
        "kk_KZ", "ko_KR", "lv_LV", "pl_PL", "pt_BR", "ru_RU", "sv_SE", "tr_TR", "uk_UA", "zh_CN",
    ];
    LOCALES
        .iter()
        .find(|l| l.eq_ignore_ascii_case(language) || l.starts_with(&format!("{language}_")))
        .copied()
        .unwrap_or("en_US")
}

#[cfg(test)]
mod tests {
    use super::locale;

    #[test]
    fn languages_become_locales() {
        assert_eq!(locale("en"), "en_US");
        assert_eq!(locale("ru"), "ru_RU");
        assert_eq!(locale("pt_BR"), "pt_BR");
        assert_eq!(locale("xx"), "en_US");
    }
}
