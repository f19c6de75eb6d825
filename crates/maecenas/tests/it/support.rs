//! Small helpers shared by the integration tests: pages, form posting with the page's CSRF
//! token, the event log.

use maecenas_store::Store;
use maecenas_testkit::TestApp;
use reqwest::{Client, Response};

/// The HTML of `path`, as `client` sees it.
pub async fn page(app: &TestApp, client: &Client, path: &str) -> String {
    client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The kinds of the events about `subject_id` with an id above `after`, oldest first.
pub async fn event_kinds(store: &Store, after: i64, subject_id: &str) -> Vec<String> {
    store
        .events_after(after, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.subject_id == subject_id)
        .map(|e| e.kind)
        .collect()
}

/// The CSRF token in the first form of `html`.
pub fn csrf_token(html: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_owned()
}

/// GETs `page`, then POSTs `fields` plus the page's CSRF token to `action`.
pub async fn submit(
    app: &TestApp,
    client: &Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> Response {
    let token = csrf_token(&self::page(app, client, page).await);
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &token));
    client
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Signs up through the form and returns the response (303 to /profile on success).
pub async fn sign_up(app: &TestApp, client: &Client, email: &str, password: &str) -> Response {
    submit(
        app,
        client,
        "/signup",
        "/signup",
        &[
            ("name", "Ada Lovelace"),
            ("email", email),
            ("password", password),
        ],
    )
    .await
}

/// Logs in through the form.
pub async fn log_in(app: &TestApp, client: &Client, email: &str, password: &str) -> Response {
    submit(
        app,
        client,
        "/login",
        "/login",
        &[("email", email), ("password", password)],
    )
    .await
}

/// The `Location` header of a redirect.
pub fn location(response: &Response) -> &str {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}
