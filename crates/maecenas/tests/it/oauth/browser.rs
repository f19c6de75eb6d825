//! A logged-in browser for the authorization-endpoint tests: signs a person up over HTTP, opens
//! authorize URLs, reads the consent form and answers it, and takes redirects apart.

use std::collections::BTreeMap;

use maecenas_testkit::TestDb;
use reqwest::{Client, Response, header::HeaderMap};

use super::fixture::{Fixture, REDIRECT};
use crate::support::{csrf_token, location, sign_up};

pub(crate) const EMAIL: &str = "ada@example.org";
pub(crate) const PASSWORD: &str = "correct horse battery";

/// The fixture plus a browser logged in as a second person (not the client's owner).
pub(crate) struct Browser {
    pub f: Fixture,
    pub client: Client,
    pub user_id: i64,
}

/// A consent page as served.
pub(crate) struct Consent {
    pub html: String,
    pub headers: HeaderMap,
    pub csrf: String,
    pub challenge: String,
}

impl Browser {
    pub async fn new(db: TestDb) -> Self {
        let f = Fixture::new(db).await;
        let client = f.app.client();
        assert_eq!(
            sign_up(&f.app, &client, EMAIL, PASSWORD).await.status(),
            303
        );
        let user_id = f
            .app
            .db
            .store
            .user_by_email(EMAIL)
            .await
            .unwrap()
            .unwrap()
            .id;
        Self { f, client, user_id }
    }

    /// `GET path_and_query` with this browser's cookies.
    pub async fn get(&self, path_and_query: &str) -> Response {
        self.client
            .get(self.f.app.url(path_and_query))
            .send()
            .await
            .unwrap()
    }

    /// Opens an authorize URL and expects the consent page.
    pub async fn consent(&self, path_and_query: &str) -> Consent {
        let response = self.get(path_and_query).await;
        let status = response.status();
        let headers = response.headers().clone();
        let html = response.text().await.unwrap();
        assert_eq!(status, 200, "{path_and_query}: {html}");
        Consent {
            csrf: csrf_token(&html),
            challenge: field(&html, "consent"),
            html,
            headers,
        }
    }

    /// POSTs the consent form to `action` with `decision`.
    pub async fn answer(&self, action: &str, consent: &Consent, decision: &str) -> Response {
        self.post_form(
            action,
            &[
                ("csrf_token", &consent.csrf),
                ("consent", &consent.challenge),
                ("decision", decision),
            ],
        )
        .await
    }

    pub async fn post_form(&self, action: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(self.f.app.url(action))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Consent at `path_and_query`, allow, and return the redirect's parameters.
    pub async fn allow(&self, action: &str, path_and_query: &str) -> BTreeMap<String, String> {
        let consent = self.consent(path_and_query).await;
        let response = self.answer(action, &consent, "allow").await;
        assert_eq!(response.status(), 303);
        redirect_params(location(&response)).1
    }
}

/// A Patreon authorize URL for the fixture's client with `extra` parameters.
pub(crate) fn patreon_url(f: &Fixture, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", f.client.client_id.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    params.extend_from_slice(extra);
    format!("/oauth2/authorize?{}", encode(&params))
}

/// `application/x-www-form-urlencoded` (spaces as `+`).
pub(crate) fn encode(params: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// The value of the hidden input `name` in `html`.
pub(crate) fn field(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker).expect("field present") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// A redirect target split into the URI before `?`/`#` and its parameters (query, or the
/// fragment when there is one).
pub(crate) fn redirect_params(location: &str) -> (String, BTreeMap<String, String>) {
    let url = url::Url::parse(location).unwrap();
    let pairs: Vec<(String, String)> = match url.fragment() {
        Some(fragment) => url::form_urlencoded::parse(fragment.as_bytes())
            .into_owned()
            .collect(),
        None => url.query_pairs().into_owned().collect(),
    };
    let mut map = BTreeMap::new();
    for (k, v) in pairs {
        assert!(
            map.insert(k.clone(), v).is_none(),
            "{k} repeated in {location}"
        );
    }
    let base = location
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_owned();
    (base, map)
}

/// Asserts an HTML error page with `status` and no redirect (OA-04).
pub(crate) async fn error_page(response: Response, status: u16) -> String {
    assert_eq!(response.status(), status);
    assert!(response.headers().get("location").is_none());
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    response.text().await.unwrap()
}
