//! Small helpers shared by the integration tests: form posting with the page's CSRF token.

use maecenas_testkit::TestApp;
use reqwest::{Client, Response};

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
    let html = client
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_token(&html);
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
