//! The middleware stack every route gets: request ids and tracing, a request timeout, the body
//! limit, and headers that keep pages from being framed or sniffed. Overlay secrets are kept
//! out of the request log.

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderName, HeaderValue, Request, StatusCode, header},
};
use tower::ServiceBuilder;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};

use crate::{settings::Limits, state::AppState};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Content-Security-Policy for every response: nothing may frame us, forms post only here.
const CSP: &str = "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; \
                   frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

pub(crate) fn apply(routes: Router<AppState>, limits: &Limits) -> Router<AppState> {
    let headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ));
    let tracing = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %loggable_path(req.uri().path()))
        })
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID));
    routes
        .fallback(crate::pages::not_found)
        .layer(DefaultBodyLimit::max(limits.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout(),
        ))
        .layer(headers)
        .layer(tracing)
}

/// `path` as logs may show it: an alert overlay's URL carries its secret, which is replaced.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    const OVERLAY: &str = "/widget/alerts/";
    match path.strip_prefix(OVERLAY) {
        Some(rest) => {
            let tail = rest.find('/').map_or("", |at| &rest[at..]);
            format!("{OVERLAY}<secret>{tail}").into()
        }
        None => path.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn overlay_secrets_stay_out_of_logs() {
        assert_eq!(
            loggable_path("/widget/alerts/abc123"),
            "/widget/alerts/<secret>"
        );
        assert_eq!(
            loggable_path("/widget/alerts/abc123/shown/7"),
            "/widget/alerts/<secret>/shown/7"
        );
        assert_eq!(loggable_path("/profile"), "/profile");
    }
}
