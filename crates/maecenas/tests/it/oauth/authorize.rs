//! The authorization endpoints' request checks over HTTP on both backends: which problems get
//! our own error page (OA-01/02/04), the way through the login page and back (OA-06), and the
//! errors that return to the client with `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207).

use maecenas_oauth::NewClient;
use maecenas_store::oauth::NewOAuthClient;
use maecenas_testkit::both_backends;
use maecenas_types::{Clock, ScopeSet};

use super::{
    browser::{Browser, EMAIL, PASSWORD, encode, error_page, field, patreon_url, redirect_params},
    fixture::{CHALLENGE, REDIRECT, tokens},
};
use crate::support::{csrf_token, location};

both_backends! {
    async fn oa_01_exact_redirect_match(db: TestDb) {
        let b = Browser::new(db).await;
        for bad in [
            "https://client.example.com:443/cb",
            "https://CLIENT.EXAMPLE.COM/cb",
            "HTTPS://client.example.com/cb",
            "https://client.example.com/cb/",
            "https://client.example.com/cb?x=1",
            "https://client.example.com/cb#f",
            "https://client.example.com/cb/../cb",
            "https://client.example.com/%2E%2E/cb",
            "https://client.example.com/%252E%252E/cb",
            "https://client.example.com/Cb",
            "https://a@client.example.com/cb",
            "https://client.example.com/cbx",
            "https://evil.example/cb",
        ] {
            let url = format!("/oauth2/authorize?{}", encode(&[("response_type", "code"),
                ("client_id", &b.f.client.client_id), ("redirect_uri", bad), ("state", "s")]));
            let html = error_page(b.get(&url).await, 400).await;
            assert!(html.contains("redirect_uri"), "{bad}: {html}");
        }
        b.consent(&patreon_url(&b.f, &[("state", "s")])).await;

        // A native app registered a loopback IP literal: any port, nothing else, may differ.
        let created = b.f.app.state.oauth().create_client(NewClient {
            owner_user_id: b.f.user_id,
            name: "Desktop app".into(),
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            default_scopes: ScopeSet::default(),
        }).await.unwrap();
        let url_for = |uri: &str| format!("/oauth2/authorize?{}", encode(&[("response_type", "code"),
            ("client_id", &created.client_id), ("redirect_uri", uri), ("scope", "identity")]));
        for bad in ["http://localhost:53682/callback", "http://127.0.0.1:53682/callback/",
            "http://127.0.0.1:53682/other", "https://127.0.0.1:53682/callback"] {
            error_page(b.get(&url_for(bad)).await, 400).await;
        }
        let uri = "http://127.0.0.1:53682/callback";
        let params = b.allow("/oauth2/authorize", &url_for(uri)).await;
        let body = tokens(b.f.post("/api/oauth2/token").form(&[
            ("grant_type", "authorization_code"), ("code", &params["code"]), ("redirect_uri", uri),
            ("client_id", &created.client_id), ("client_secret", created.client_secret.expose()),
        ]).send().await.unwrap()).await;
        assert_eq!(body["scope"], "identity");
        // The code is bound to the port it was issued for.
        let params = b.allow("/oauth2/authorize", &url_for(uri)).await;
        let response = b.f.post("/api/oauth2/token").form(&[
            ("grant_type", "authorization_code"), ("code", &params["code"]),
            ("redirect_uri", "http://127.0.0.1:1/callback"),
            ("client_id", &created.client_id), ("client_secret", created.client_secret.expose()),
        ]).send().await.unwrap();
        assert_eq!(response.status(), 400);
    }

    async fn oa_04_unknown_client_error_page_no_redirect(db: TestDb) {
        let b = Browser::new(db).await;
        let anonymous = b.f.app.client();
        let id = b.f.client.client_id.clone();
        let cases = [
            format!("/oauth2/authorize?{}", encode(&[("response_type", "code"), ("client_id", "nope"),
                ("redirect_uri", "https://evil.example/cb"), ("state", "s")])),
            format!("/oauth2/authorize?{}", encode(&[("response_type", "code"),
                ("redirect_uri", REDIRECT), ("state", "s")])),
            format!("/oauth/authorize?{}", encode(&[("response_type", "token"), ("client_id", "999999"),
                ("redirect_uri", REDIRECT)])),
            format!("/oauth2/authorize?{}", encode(&[("response_type", "code"), ("client_id", &id),
                ("client_id", &id), ("redirect_uri", REDIRECT)])),
            format!("/oauth2/authorize?{}", encode(&[("response_type", "code"), ("client_id", &id),
                ("redirect_uri", REDIRECT), ("redirect_uri", REDIRECT)])),
            format!("/oauth2/authorize?{}", encode(&[("response_type", "code"), ("client_id", &id),
                ("redirect_uri", "https://evil.example/cb")])),
        ];
        for url in &cases {
            // Logged in or not: the page comes before the login (nothing to come back to).
            for client in [&b.client, &anonymous] {
                let response = client.get(b.f.app.url(url)).send().await.unwrap();
                error_page(response, 400).await;
            }
        }
        // OA-02: several registered URIs and none named is an error page; with only one
        // registered it may be left out (DonationAlerts clients do).
        let two = b.f.app.state.oauth().create_client(NewClient {
            owner_user_id: b.f.user_id,
            name: "Two URIs".into(),
            redirect_uris: vec![REDIRECT.into(), "https://client.example.com/other".into()],
            default_scopes: ScopeSet::default(),
        }).await.unwrap();
        let url = format!("/oauth2/authorize?response_type=code&client_id={}", two.client_id);
        error_page(b.get(&url).await, 400).await;
        b.consent(&format!("/oauth2/authorize?response_type=code&client_id={id}")).await;
    }

    async fn login_then_back_keeps_the_query(db: TestDb) {
        let b = Browser::new(db).await;
        let anonymous = b.f.app.client();
        let authorize = patreon_url(&b.f, &[("scope", "identity campaigns"), ("state", "a&b=c d")]);
        let response = anonymous.get(b.f.app.url(&authorize)).send().await.unwrap();
        assert_eq!(response.status(), 303);
        let to_login = location(&response).to_owned();
        assert!(to_login.starts_with("/login?next="), "{to_login}");
        let next = url::form_urlencoded::parse(&to_login.as_bytes()["/login?".len()..])
            .find(|(k, _)| k == "next").unwrap().1.into_owned();
        assert_eq!(next, authorize);
        // OA-06: a bad scope without a session also goes to the login page, not to the client.
        let bad = patreon_url(&b.f, &[("scope", "nope")]);
        let response = anonymous.get(b.f.app.url(&bad)).send().await.unwrap();
        assert!(location(&response).starts_with("/login?next="));

        let html = anonymous.get(b.f.app.url(&to_login)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(r#"name="next""#));
        let shown = field(&html, "next");
        assert!(!shown.contains("&client_id"), "HTML-escaped: {shown}");
        let unescaped = ["&#38;", "&amp;"].iter().fold(shown, |s, e| s.replace(e, "&"));
        assert_eq!(unescaped, next, "the login form carries the whole authorize URL");
        let response = anonymous.post(b.f.app.url("/login")).form(&[
            ("csrf_token", csrf_token(&html).as_str()), ("email", EMAIL), ("password", PASSWORD),
            ("next", next.as_str()),
        ]).send().await.unwrap();
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), authorize);
        let page = anonymous.get(b.f.app.url(&authorize)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        // Other pages come back with their query too; other sites are never a destination.
        let response = b.f.app.client().get(b.f.app.url("/settings/apps?x=1")).send().await.unwrap();
        assert_eq!(location(&response), "/login?next=%2Fsettings%2Fapps%3Fx%3D1");
        let response = b.client.get(b.f.app.url("/login?next=%2F%2Fevil.example%2F")).send().await.unwrap();
        assert_eq!(location(&response), "/profile");
    }

    async fn invalid_requests_redirect_with_error_state_and_iss(db: TestDb) {
        let b = Browser::new(db).await;
        let id = b.f.client.client_id.clone();
        let issuer = b.f.app.url("");
        let challenge = CHALLENGE;
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("response_type", "code"), ("scope", "identity nope")], "invalid_scope"),
            (vec![("response_type", "code"), ("scope", "oauth-user-show")], "invalid_scope"),
            (vec![("response_type", "token")], "unsupported_response_type"),
            (vec![("response_type", "id_token")], "unsupported_response_type"),
            (vec![], "invalid_request"),
            (vec![("response_type", "code"), ("response_type", "code")], "invalid_request"),
            (vec![("response_type", "code"), ("scope", "identity"), ("scope", "campaigns")], "invalid_request"),
            (vec![("response_type", "code"), ("code_challenge", challenge),
                ("code_challenge_method", "plain")], "invalid_request"),
            (vec![("response_type", "code"), ("code_challenge", challenge)], "invalid_request"),
            (vec![("response_type", "code"), ("code_challenge_method", "S256")], "invalid_request"),
            (vec![("response_type", "code"), ("code_challenge", "short"),
                ("code_challenge_method", "S256")], "invalid_request"),
        ];
        for (extra, expected) in cases {
            let mut params = vec![("client_id", id.as_str()), ("redirect_uri", REDIRECT),
                ("state", "xyz")];
            params.extend(extra.iter().copied());
            let response = b.get(&format!("/oauth2/authorize?{}", encode(&params))).await;
            assert_eq!(response.status(), 303, "{extra:?}");
            assert!(location(&response).starts_with(&format!("{REDIRECT}?")), "{extra:?}");
            let (base, got) = redirect_params(location(&response));
            assert_eq!(base, REDIRECT);
            assert_eq!(got["error"], expected, "{extra:?}: {got:?}");
            assert_eq!(got["state"], "xyz");
            assert_eq!(got["iss"], issuer);
            assert!(got.contains_key("error_description"));
            assert!(!got.contains_key("code"));
        }
        // Implicit-grant errors go in the fragment.
        let url = format!("/oauth/authorize?{}", encode(&[("client_id", &b.f.client.id.to_string()),
            ("redirect_uri", REDIRECT), ("response_type", "token"), ("scope", "identity"),
            ("state", "da")]));
        let response = b.get(&url).await;
        assert!(location(&response).starts_with(&format!("{REDIRECT}#")), "{}", location(&response));
        let (_, got) = redirect_params(location(&response));
        assert_eq!((got["error"].as_str(), got["state"].as_str()), ("invalid_scope", "da"));
    }

    async fn oa_18_public_client_must_send_a_pkce_challenge(db: TestDb) {
        let b = Browser::new(db).await;
        let now = b.f.app.clock.now();
        let public = b.f.app.db.store.create_oauth_client(NewOAuthClient {
            client_id: "public-spa".into(),
            secret_hash: None,
            owner_user_id: b.f.user_id,
            name: "Single-page app".into(),
            description: String::new(),
            author_name: String::new(),
            domain: String::new(),
            redirect_uris: vec![REDIRECT.into()],
            default_scopes: "identity".into(),
        }, now).await.unwrap();
        let url = |extra: &[(&str, &str)]| {
            let mut params = vec![("response_type", "code"), ("client_id", public.client_id.as_str()),
                ("redirect_uri", REDIRECT), ("state", "p"), ("scope", "identity")];
            params.extend(extra.iter().copied());
            format!("/oauth2/authorize?{}", encode(&params))
        };
        let response = b.get(&url(&[])).await;
        assert_eq!(response.status(), 303);
        let (base, got) = redirect_params(location(&response));
        assert_eq!(base, REDIRECT);
        assert_eq!((got["error"].as_str(), got["state"].as_str()), ("invalid_request", "p"));
        assert!(got["error_description"].contains("code_challenge"), "{got:?}");
        assert!(!got.contains_key("code"));
        // With a challenge the same request reaches the consent page; a confidential client
        // may still do without one (Patreon's clients send none).
        b.consent(&url(&[("code_challenge", CHALLENGE), ("code_challenge_method", "S256")])).await;
        b.consent(&patreon_url(&b.f, &[("state", "c")])).await;
    }
}
