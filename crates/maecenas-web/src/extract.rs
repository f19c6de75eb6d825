//! Extractors whose rejections come out as this surface's error pages instead of axum's plain
//! text: an oversized or malformed form gets a page that says what happened.

use axum::{
    extract::{FromRequest, Request, rejection::FormRejection},
    http::StatusCode,
};
use serde::de::DeserializeOwned;

use crate::error::PageError;

/// `axum::Form`, with rejections as [`PageError`].
#[derive(Debug)]
pub(crate) struct HtmlForm<T>(pub T);

impl<S, T> FromRequest<S> for HtmlForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(Self(value)),
            Err(rejection) => Err(form_rejection(&rejection)),
        }
    }
}

fn form_rejection(rejection: &FormRejection) -> PageError {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return PageError::new(
            status,
            "Too large",
            "That form is larger than this server accepts. Shorten what you typed and try again.",
        );
    }
    tracing::debug!(error = %rejection.body_text(), "form rejected");
    PageError::new(
        if status.is_client_error() {
            status
        } else {
            StatusCode::BAD_REQUEST
        },
        "Bad form",
        "The form could not be read. Go back, reload the page and try again.",
    )
}
