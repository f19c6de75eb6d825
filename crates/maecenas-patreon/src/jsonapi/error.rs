//! The Patreon surface's one error type: always a JSON `{"errors":[…]}` array, never HTML
//! (`patreon.md` §2.5). Known Patreon codes are reproduced (1 Unauthorized, 3 for a bad
//! parameter such as `page[cursor]`, `RequestThrottled` with `retry_after_seconds`); where
//! Patreon's own code is unknown (403, 404, 405, 406) `code` is `null` and `code_name` is ours.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

/// One failed request, rendered as a one-element JSON:API errors array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    code: Option<u32>,
    code_name: &'static str,
    title: &'static str,
    detail: String,
    source: Option<Origin>,
    retry_after_seconds: Option<u64>,
}

/// What an error's `source` names: a query parameter or a body member's JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    Parameter(String),
    Pointer(String),
}

impl ApiError {
    fn new(
        status: StatusCode,
        code: Option<u32>,
        code_name: &'static str,
        title: &'static str,
        detail: String,
    ) -> Self {
        Self {
            status,
            code,
            code_name,
            title,
            detail,
            source: None,
            retry_after_seconds: None,
        }
    }

    /// 400, code 3: a request body member is malformed or not allowed, named by its JSON
    /// pointer in `source.pointer` (`/data/attributes/uri`; empty for the whole body).
    pub fn invalid_body(pointer: &str, detail: impl Into<String>) -> Self {
        Self {
            source: Some(Origin::Pointer(pointer.to_owned())),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                Some(3),
                "ParameterInvalid",
                "Invalid parameter",
                detail.into(),
            )
        }
    }

    /// The `source.pointer`, if any.
    pub fn pointer(&self) -> Option<&str> {
        match &self.source {
            Some(Origin::Pointer(p)) => Some(p),
            _ => None,
        }
    }

    /// 401, code 1: no token, or a bad, expired or revoked one.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            Some(1),
            "Unauthorized",
            "Unauthorized",
            "The server could not verify that you are authorized to access the URL requested. You \
             either supplied the wrong credentials (e.g. a bad password), or your browser doesn't \
             understand how to supply the credentials required."
                .to_owned(),
        )
    }

    /// 401, code 1: the token lacks a scope the request needs.
    pub fn missing_scope(scope: &str) -> Self {
        Self {
            detail: format!("This request requires the `{scope}` scope."),
            ..Self::unauthorized()
        }
    }

    /// 403: the resource belongs to someone the token may not see.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            None,
            "Forbidden",
            "Forbidden",
            detail.into(),
        )
    }

    /// 400, code 3: a query parameter is malformed or not allowed, named in `source.parameter`.
    pub fn invalid_parameter(parameter: &str, detail: impl Into<String>) -> Self {
        Self {
            source: Some(Origin::Parameter(parameter.to_owned())),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                Some(3),
                "ParameterInvalid",
                "Invalid parameter",
                detail.into(),
            )
        }
    }

    /// 400, code 3, `ParameterInvalidOnType`: an include or field the resource type does not
    /// have. Patreon answers an unknown include (`include=media` on posts) or field
    /// (`fields[campaign]=pledge_sum`) with this code name.
    pub fn invalid_on_type(parameter: &str, detail: impl Into<String>) -> Self {
        Self {
            code_name: "ParameterInvalidOnType",
            ..Self::invalid_parameter(parameter, detail)
        }
    }

    /// 400, code 3 on `page[cursor]`: the cursor is not one this server issued for this list.
    pub fn bad_cursor() -> Self {
        Self::invalid_parameter("page[cursor]", "The cursor is invalid or has expired.")
    }

    /// 404.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            None,
            "NotFound",
            "Not Found",
            "The requested resource was not found.".to_owned(),
        )
    }

    /// 405.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            "MethodNotAllowed",
            "Method Not Allowed",
            "The method is not allowed for the requested URL.".to_owned(),
        )
    }

    /// 406: the client accepts no JSON.
    pub fn not_acceptable() -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            None,
            "NotAcceptable",
            "Not Acceptable",
            "This API only answers with JSON.".to_owned(),
        )
    }

    /// 429 with `Retry-After` and `retry_after_seconds`.
    pub fn throttled(retry_after_seconds: u64) -> Self {
        Self {
            retry_after_seconds: Some(retry_after_seconds),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                None,
                "RequestThrottled",
                "You have made too many attempts. Please try again later.",
                "You have made too many attempts. Please try again later.".to_owned(),
            )
        }
    }

    /// 500; the cause is logged by the caller, never shown.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "InternalServerError",
            "Internal Server Error",
            "The server encountered an internal error.".to_owned(),
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `detail` text.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The `code_name`.
    pub fn code_name(&self) -> &str {
        self.code_name
    }

    /// The `source.parameter`, if any.
    pub fn parameter(&self) -> Option<&str> {
        match &self.source {
            Some(Origin::Parameter(p)) => Some(p),
            _ => None,
        }
    }

    /// The wire body.
    pub fn body(&self) -> ErrorsBody {
        ErrorsBody {
            errors: vec![ErrorObject {
                id: uuid::Uuid::new_v4().to_string(),
                status: self.status.as_u16().to_string(),
                code: self.code,
                code_name: self.code_name,
                code_challenge: None,
                title: self.title,
                detail: self.detail.clone(),
                source: self.source.as_ref().map(|origin| match origin {
                    Origin::Parameter(p) => Source {
                        parameter: Some(p.clone()),
                        pointer: None,
                    },
                    Origin::Pointer(p) => Source {
                        parameter: None,
                        pointer: Some(p.clone()),
                    },
                }),
                retry_after_seconds: self.retry_after_seconds,
            }],
        }
    }
}

/// `{"errors":[…]}`.
#[derive(Debug, Serialize)]
pub struct ErrorsBody {
    pub errors: Vec<ErrorObject>,
}

/// One JSON:API error object as Patreon sends it (`status` is a string).
#[derive(Debug, Serialize)]
pub struct ErrorObject {
    pub id: String,
    pub status: String,
    pub code: Option<u32>,
    pub code_name: &'static str,
    /// Always `null`; patreon-api.ts types it.
    pub code_challenge: Option<()>,
    pub title: &'static str,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

/// `source` of an error object.
#[derive(Debug, Serialize)]
pub struct Source {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(secs) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_matches_patreon() {
        let body = serde_json::to_value(ApiError::bad_cursor().body()).unwrap();
        let e = &body["errors"][0];
        assert_eq!(e["status"], "400");
        assert_eq!(e["code"], 3);
        assert_eq!(e["source"]["parameter"], "page[cursor]");
        assert!(e["code_challenge"].is_null());
        assert_eq!(e["id"].as_str().unwrap().len(), 36);

        let body = serde_json::to_value(ApiError::unauthorized().body()).unwrap();
        assert_eq!(body["errors"][0]["code"], 1);
        assert_eq!(body["errors"][0]["code_name"], "Unauthorized");
        assert!(body["errors"][0].get("source").is_none());

        let throttled = ApiError::throttled(9);
        let body = serde_json::to_value(throttled.body()).unwrap();
        assert_eq!(body["errors"][0]["retry_after_seconds"], 9);
        assert!(body["errors"][0]["code"].is_null());
        let response = throttled.into_response();
        assert_eq!(response.headers()["retry-after"], "9");
    }
}
