//! The API's error answers, Laravel-shaped as DonationAlerts' clients read them: 401
//! `{"message":"Unauthenticated."}`, 403 for a missing scope (Passport's wording), 404/405,
//! 422 validation `{"message":…,"errors":{field:[…]}}` (Laravel ≥ 9: the first error is the
//! message), 429 `{"message":"Too Many Attempts."}` with `Retry-After` and `X-RateLimit-*`.

use std::collections::BTreeMap;

use axum::{
    Json,
    http::{HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;

/// Every error the API answers with.
#[derive(Debug)]
pub enum ApiError {
    /// No token, or one that is unknown, expired or revoked.
    Unauthenticated,
    /// The token lacks the route's scope.
    MissingScope,
    /// Unknown path.
    NotFound,
    /// Known path, wrong method.
    MethodNotAllowed,
    /// Input failed validation.
    Validation(Errors),
    /// Over the application's limit: the headers to send.
    Throttled(Vec<(&'static str, String)>),
    /// Something failed on our side (already logged).
    Internal,
}

/// Validation errors by field, in the order fields were checked.
#[derive(Debug, Default)]
pub struct Errors {
    fields: Vec<(String, Vec<String>)>,
}

impl Errors {
    /// Adds `message` to `field`.
    pub fn add(&mut self, field: &str, message: String) {
        match self.fields.iter_mut().find(|(name, _)| name == field) {
            Some((_, messages)) => messages.push(message),
            None => self.fields.push((field.to_owned(), vec![message])),
        }
    }

    /// Whether nothing failed.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// `Ok(())` when empty, the 422 otherwise.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self))
        }
    }
}

/// `{"message": …}`.
#[derive(Debug, Serialize)]
struct MessageBody<'a> {
    message: &'a str,
}

/// Laravel's validation body.
#[derive(Debug, Serialize)]
struct ValidationBody {
    message: String,
    errors: BTreeMap<String, Vec<String>>,
}

impl ApiError {
    /// A body that is neither a JSON object nor a form: Laravel answers such input as
    /// invalid data.
    pub fn invalid_body() -> Self {
        let mut errors = Errors::default();
        errors.add(
            "body",
            "The request body must be a JSON object or a form.".to_owned(),
        );
        Self::Validation(errors)
    }

    /// The answer to a store or signing failure: logged here, 500 to the client.
    pub fn internal(err: &dyn std::fmt::Debug) -> Self {
        tracing::error!(error = ?err, "DonationAlerts API request failed");
        Self::Internal
    }
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, Json(MessageBody { message: text })).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthenticated => message(StatusCode::UNAUTHORIZED, "Unauthenticated."),
            Self::MissingScope => message(StatusCode::FORBIDDEN, "Invalid scope(s) provided."),
            Self::NotFound => message(StatusCode::NOT_FOUND, "Not Found"),
            Self::MethodNotAllowed => message(
                StatusCode::METHOD_NOT_ALLOWED,
                "The method is not supported for this route.",
            ),
            Self::Validation(errors) => {
                let count: usize = errors.fields.iter().map(|(_, m)| m.len()).sum();
                let first = errors
                    .fields
                    .first()
                    .and_then(|(_, m)| m.first())
                    .cloned()
                    .unwrap_or_else(|| "The given data was invalid.".to_owned());
                let message = match count.saturating_sub(1) {
                    0 => first,
                    1 => format!("{first} (and 1 more error)"),
                    more => format!("{first} (and {more} more errors)"),
                };
                let body = ValidationBody {
                    message,
                    errors: errors.fields.into_iter().collect(),
                };
                (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
            }
            Self::Throttled(headers) => {
                let mut response = message(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.");
                append_headers(&mut response, &headers);
                response
            }
            Self::Internal => message(StatusCode::INTERNAL_SERVER_ERROR, "Server Error"),
        }
    }
}

/// Adds `headers` to `response`, skipping any that are not valid header text.
pub(crate) fn append_headers(response: &mut Response, headers: &[(&'static str, String)]) {
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
}
