//! The alert overlay over real HTTP on both backends: the settings page makes the secret URL
//! (shown once, stored hashed, regenerating kills the old one), saves the sound setting and sends
//! a test alert through the event outbox (CSRF-protected); the overlay page needs no login, only
//! the secret, and its token endpoints hand out tokens for the owner's channel alone; marking an
//! alert shown makes the DonationAlerts API report `is_shown: 1` and `shown_at`.

use maecenas_core::SandboxDonation;
use maecenas_testkit::both_backends;
use maecenas_types::{Clock, SecretToken};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::{
    alerts_outbox::{next_publication, next_text, subscribed_socket},
    donationalerts::{Demo, send},
    support::{csrf_token, location, log_in, submit},
};

/// The value of `data-<name>="…"` in `html`.
fn data(html: &str, name: &str) -> String {
    let marker = format!("data-{name}=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no data-{name}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// Makes a new overlay URL through the settings form; returns its secret.
async fn make_url(d: &Demo, client: &Client) -> String {
    let page = submit(
        &d.app,
        client,
        "/settings/alerts",
        "/settings/alerts/url",
        &[],
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        page.headers()["cache-control"],
        "no-store",
        "the page shows a secret"
    );
    let html = page.text().await.unwrap();
    let start = html
        .find("<code id=\"overlay-url\">")
        .expect("the URL is shown once")
        + 23;
    let url = &html[start..start + html[start..].find('<').unwrap()];
    assert!(url.starts_with(&d.app.url("/widget/alerts/")), "{url}");
    url.rsplit('/').next().unwrap().to_owned()
}

async fn logged_in(d: &Demo) -> Client {
    let client = d.app.client();
    let response = log_in(
        &d.app,
        &client,
        &d.creds.creator.email,
        &d.creds.creator.password,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    client
}

both_backends! {
    async fn overlay_settings_make_the_url_save_sound_and_send_a_test_alert(db: TestDb) {
        let d = Demo::new(db).await;
        let anonymous = d.app.client().get(d.app.url("/settings/alerts")).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
        assert!(location(&anonymous).starts_with("/login"), "{}", location(&anonymous));

        let client = logged_in(&d).await;
        let html = client.get(d.app.url("/settings/alerts")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("You have no overlay URL yet."));
        // Forms without the CSRF token are refused, and nothing happens.
        for action in ["/settings/alerts/url", "/settings/alerts/test", "/settings/alerts/sound"] {
            let refused = client.post(d.app.url(action)).form(&[("sound", "on")]).send().await.unwrap();
            assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{action}");
        }
        assert!(d.app.state.alerts().widget_of(d.creator.id).await.unwrap().is_none());

        let secret = make_url(&d, &client).await;
        assert_eq!(secret.len(), 64);
        assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
        let widget = d.app.state.alerts().widget_of(d.creator.id).await.unwrap().unwrap();
        assert_eq!(widget.secret_hash, SecretToken::from_presented(secret.clone()).hash().0, "stored as its hash");
        let html = client.get(d.app.url("/settings/alerts")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("id=\"overlay-made\""));
        assert!(!html.contains(&secret), "shown only once");

        // The overlay: no login, the secret is the credential.
        let page = d.app.client().get(d.app.url(&format!("/widget/alerts/{secret}"))).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
        for directive in ["default-src 'none'", "script-src 'self'", "connect-src 'self'"] {
            assert!(csp.contains(directive), "{csp}");
        }
        assert_eq!(page.headers()["cache-control"], "no-store");
        let html = page.text().await.unwrap();
        assert!(html.contains(r#"<script src="/static/overlay.js"></script>"#));
        assert_eq!(data(&html, "channel"), format!("$alerts:donation_{}", d.creator.id));
        assert_eq!(data(&html, "sound"), "0");
        let claims = d.app.state.realtime().key().verify_connection(&data(&html, "token"), d.app.clock.now()).unwrap();
        assert_eq!(claims.user, d.creator.id.to_string());
        assert_eq!(claims.exp, Some((d.app.clock.now() + chrono::Duration::hours(1)).timestamp()), "short-lived");
        let script = d.app.client().get(d.app.url("/static/overlay.js")).send().await.unwrap();
        assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
        assert!(script.text().await.unwrap().contains("textContent"));

        // Sound: the setting, overridden by ?sound=.
        let html = client.get(d.app.url("/settings/alerts")).send().await.unwrap().text().await.unwrap();
        let saved = client.post(d.app.url("/settings/alerts/sound"))
            .form(&[("csrf_token", csrf_token(&html).as_str()), ("sound", "on")]).send().await.unwrap();
        assert_eq!(location(&saved), "/settings/alerts?done=sound");
        assert!(d.app.state.alerts().widget_of(d.creator.id).await.unwrap().unwrap().sound);
        let overlay = |query: &str| d.app.client().get(d.app.url(&format!("/widget/alerts/{secret}{query}"))).send();
        assert_eq!(data(&overlay("").await.unwrap().text().await.unwrap(), "sound"), "1");
        assert_eq!(data(&overlay("?sound=0").await.unwrap().text().await.unwrap(), "sound"), "0");
        assert_eq!(data(&overlay("?duration=10").await.unwrap().text().await.unwrap(), "duration"), "500", "clamped");

        // A new URL kills the old one.
        let newer = make_url(&d, &client).await;
        assert_ne!(newer, secret);
        assert_eq!(overlay("").await.unwrap().status(), StatusCode::NOT_FOUND);
        let fresh = d.app.client().get(d.app.url(&format!("/widget/alerts/{newer}"))).send().await.unwrap();
        assert_eq!(fresh.status(), StatusCode::OK);
        for junk in ["x".to_owned(), "g".repeat(64), newer.to_uppercase(), SecretToken::generate().expose().to_owned()] {
            let status = d.app.client().get(d.app.url(&format!("/widget/alerts/{junk}"))).send().await.unwrap().status();
            assert_eq!(status, StatusCode::NOT_FOUND, "{junk}");
        }

        // The test alert goes through the outbox to the channel, like a real donation.
        let mut ws = subscribed_socket(&d.app, d.creator.id).await;
        let html = client.get(d.app.url("/settings/alerts")).send().await.unwrap().text().await.unwrap();
        let sent = client.post(d.app.url("/settings/alerts/test"))
            .form(&[("csrf_token", csrf_token(&html).as_str())]).send().await.unwrap();
        assert_eq!(location(&sent), "/settings/alerts?done=test");
        let alert = next_publication(&mut ws).await;
        let donation = &alert["result"]["data"]["data"];
        assert_eq!(donation["username"], "Maecenas");
        assert_eq!(donation["message"], "This is a test alert.");
        assert_eq!((donation["amount"].clone(), donation["currency"].clone()), (json!(100), json!("USD")));
        assert_eq!(donation["payin_system"], Value::Null, "test alerts have no payment system");
        assert_eq!(donation["is_shown"], 0);
        d.app.stop().await;
    }

    async fn overlay_tokens_and_shown_are_authorized_by_the_secret(db: TestDb) {
        let d = Demo::new(db).await;
        let (secret, _) = d.app.state.alerts().regenerate_widget_secret(d.creator.id).await.unwrap();
        let base = format!("/widget/alerts/{}", secret.expose());
        let unknown = format!("/widget/alerts/{}", SecretToken::generate().expose());
        let post = |path: String| d.app.client().post(d.app.url(&path));

        for path in ["/connection-token", "/subscription-token", "/shown/1"] {
            let (status, body) = send(post(format!("{unknown}{path}")).json(&json!({}))).await;
            assert_eq!((status, body), (StatusCode::NOT_FOUND, json!({"error": "unknown overlay"})), "{path}");
        }

        // Connect with a fresh connection token, then subscribe with the overlay's subscription token.
        let (status, body) = send(post(format!("{base}/connection-token"))).await;
        assert_eq!(status, StatusCode::OK);
        let token = body["token"].as_str().unwrap().to_owned();
        assert_eq!(d.app.state.realtime().key().verify_connection(&token, d.app.clock.now()).unwrap().user, d.creator.id.to_string());
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/connection/websocket", d.app.addr)).await.unwrap();
        use futures::SinkExt;
        use tokio_tungstenite::tungstenite::Message;
        ws.send(Message::text(json!({"id": 1, "params": {"token": token}}).to_string())).await.unwrap();
        let client = next_text(&mut ws).await["result"]["client"].as_str().unwrap().to_owned();
        let (status, body) = send(post(format!("{base}/subscription-token")).json(&json!({"client": "nope"}))).await;
        assert_eq!((status, body), (StatusCode::UNPROCESSABLE_ENTITY, json!({"error": "client must be the connection's UUID"})));
        let (status, body) = send(post(format!("{base}/subscription-token")).json(&json!({"client": client}))).await;
        assert_eq!(status, StatusCode::OK);
        let channel = format!("$alerts:donation_{}", d.creator.id);
        assert_eq!(body["channel"], channel.as_str(), "the owner's channel, and only that");
        ws.send(Message::text(json!({"id": 2, "method": 1, "params": {"channel": channel, "token": body["token"]}}).to_string())).await.unwrap();
        assert_eq!(next_text(&mut ws).await, json!({"id": 2, "result": {}}));
        assert_eq!(next_text(&mut ws).await["result"]["type"], 1, "the JOIN push");

        // A donation arrives, the overlay reports it shown, the DonationAlerts API says so.
        let alerts = d.app.state.alerts();
        let request = |to: &str| SandboxDonation {
            to: to.to_owned(), amount: "250".into(), currency: "RUB".into(), username: "Vera".into(), message: "Hi".into(),
        };
        let mine = alerts.sandbox_donation(request(&d.creds.creator.email)).await.unwrap();
        let theirs = alerts.sandbox_donation(request(&d.creds.patron.email)).await.unwrap();
        let (status, _) = send(d.app.client().post(d.app.url(&format!("{base}/shown/{}", theirs.id)))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another creator's donation");
        d.app.clock.advance(chrono::Duration::seconds(2));
        let shown = post(format!("{base}/shown/{}", mine.id)).send().await.unwrap();
        assert_eq!(shown.status(), StatusCode::NO_CONTENT);
        let when = d.app.clock.now();
        let token = d.token(&d.creds.creator.email, "oauth-donation-index").await;
        let (_, page) = send(d.get("/api/v1/alerts/donations").bearer_auth(&token)).await;
        let listed = page["data"].as_array().unwrap().iter().find(|x| x["id"] == mine.id).unwrap().clone();
        assert_eq!(listed["is_shown"], 1);
        assert_eq!(listed["shown_at"], when.format("%Y-%m-%d %H:%M:%S").to_string());
        assert_eq!(listed["shown_at_ts"], when.timestamp());
        assert!(!d.app.db.store.donation_by_id(theirs.id).await.unwrap().unwrap().is_shown);
        d.app.stop().await;
    }
}
