//! Patreon's unified flow `/oauth2/become-patron` over HTTP on both backends: log in, pledge at
//! least `min_cents` at checkout, come back, consent, and land on the client's redirect URI with
//! a code and the state; bad clients and bad `min_cents` get our error page.

use maecenas_store::oauth::NewOAuthClient;
use maecenas_testkit::{TestApp, both_backends};
use maecenas_types::Clock;
use reqwest::StatusCode;

use crate::{
    pages_checkout::{hidden, patron, seed},
    support::{csrf_token, location},
};

const REDIRECT: &str = "https://app.example/callback";

fn flow(client_id: &str, min_cents: &str) -> String {
    let mut url = url::Url::parse("http://x/oauth2/become-patron").unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("min_cents", min_cents)
        .append_pair("scope", "identity")
        .append_pair("state", "s&t 1");
    url[url::Position::BeforePath..].to_owned()
}

both_backends! {
    async fn become_patron_pledges_then_returns_a_code(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let s = seed(&app.db.store, app.clock.as_ref(), "comics").await;
        app.db.store.create_oauth_client(NewOAuthClient {
            client_id: "bp-client".into(), secret_hash: Some("not-used-here".into()), owner_user_id: s.campaign.creator_id,
            name: "Fan app".into(), description: String::new(), author_name: "Maker".into(),
            domain: "app.example".into(), redirect_uris: vec![REDIRECT.into()],
            default_scopes: "identity".into(),
        }, app.clock.now()).await.unwrap();

        // Bad requests are refused on our own page, before anything else.
        let anon = app.client();
        for (url, status) in [
            (flow("nope", "500"), 400),
            (flow("bp-client", "-1"), 400),
            (flow("bp-client", "lots"), 400),
            (flow("bp-client", "500").replace("app.example", "evil.example"), 400),
        ] {
            let r = anon.get(app.url(&url)).send().await.unwrap();
            assert_eq!(r.status().as_u16(), status, "{url}");
        }
        // Not logged in: the login page, then back here.
        let start = flow("bp-client", "1000");
        let r = anon.get(app.url(&start)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(location(&r).starts_with("/login?next=%2Foauth2%2Fbecome-patron"), "{}", location(&r));

        let client = patron(&app, "fan@example.org").await;
        let r = client.get(app.url(&start)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let checkout = location(&r).to_owned();
        assert!(checkout.starts_with("/c/comics/join?min_cents=1000&next="), "{checkout}");
        let html = client.get(app.url(&checkout)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(r#"name="amount" value="10.00""#), "the minimum is filled in");
        let next = hidden(&html, "next").replace("&#38;", "&").replace("&amp;", "&");
        assert_eq!(next, start, "checkout comes back to the flow");
        let form = [
            ("csrf_token", csrf_token(&html)),
            ("idempotency_key", hidden(&html, "idempotency_key")),
            ("next", next.clone()),
            ("tier", String::new()),
            ("amount", "10.00".into()),
            ("cadence", "monthly".into()),
            ("card", "4242424242424242".into()),
        ];
        let r = client.post(app.url("/c/comics/join")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), start);

        // Pledging enough now: on to the ordinary authorization, its consent page and a code.
        let r = client.get(app.url(&start)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let authorize = location(&r).to_owned();
        assert!(authorize.starts_with("/oauth2/authorize?") && !authorize.contains("min_cents"), "{authorize}");
        let r = client.get(app.url(&authorize)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{:?}", r.headers().get("location"));
        let html = r.text().await.unwrap();
        let r = client.post(app.url("/oauth2/authorize")).form(&[
            ("csrf_token", csrf_token(&html)), ("consent", hidden(&html, "consent")),
            ("decision", "allow".into()),
        ]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let back = url::Url::parse(location(&r)).unwrap();
        assert_eq!(&back[..url::Position::AfterPath], REDIRECT);
        let params: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
        assert!(params.contains_key("code"), "{back}");
        assert_eq!(params["state"], "s&t 1");

        // A higher minimum than the pledge: raise it first.
        let r = client.get(app.url(&flow("bp-client", "5000"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.unwrap().contains("50.00 USD"));
        app.stop().await;
    }
}
