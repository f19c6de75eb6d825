//! The donation page through the real HTTP server, against the demo seed: a donation paid with a
//! sandbox card is stored with its event and reaches the streamer's socket (the overlay's
//! channel) and the DonationAlerts API; anonymous donations; every bad input (unsupported
//! currency, negative or enormous amounts, declined cards) refused with its message and
//! nothing stored; HTML escaped on the page. Each on SQLite and PostgreSQL.

use maecenas_testkit::both_backends;
use reqwest::StatusCode;

use crate::{
    alerts_outbox::{next_publication, subscribed_socket},
    donationalerts::{Demo, send},
    pages_checkout::hidden,
    support::{csrf_token, location, submit},
};

const EVIL: &str = "<img src=x onerror=alert(1)>";

async fn donate(d: &Demo, client: &reqwest::Client, fields: &[(&str, &str)]) -> reqwest::Response {
    submit(
        &d.app,
        client,
        "/donate/noravance",
        "/donate/noravance",
        fields,
    )
    .await
}

/// The publication of donation `id` (the demo's own donations may come first).
async fn publication_of(ws: &mut crate::alerts_outbox::Socket, id: i64) -> serde_json::Value {
    loop {
        let publication = next_publication(ws).await;
        if publication["result"]["data"]["data"]["id"] == id {
            return publication;
        }
    }
}

both_backends! {
    async fn a_page_donation_reaches_the_socket_and_the_api(db: TestDb) {
        let d = Demo::new(db).await;
        let client = d.app.client();
        let page = client.get(d.app.url("/donate/noravance")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()["x-frame-options"], "DENY");
        let html = page.text().await.unwrap();
        assert!(html.contains("Nora Vance"));
        for c in ["EUR", "USD", "RUB", "BRL", "TRY"] {
            assert!(html.contains(&format!(r#"<option value="{c}""#)), "{c}");
        }
        assert!(!html.contains(r#"<option value="GBP""#));
        let missing = client.get(d.app.url("/donate/nobody-here")).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let mut ws = subscribed_socket(&d.app, d.creator.id).await;

        let r = donate(&d, &client, &[("username", EVIL), ("amount", "12.50"), ("currency", "EUR"),
            ("message", EVIL), ("card", "4242 4242 4242 4242")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
        assert!(location(&r).starts_with("/donate/noravance?thanks="), "{}", location(&r));
        let thanks = client.get(d.app.url(location(&r))).send().await.unwrap().text().await.unwrap();
        assert!(thanks.contains("Thank you! Your donation of 12.50 EUR was sent."), "{thanks}");

        let id: i64 = location(&r).rsplit('=').next().unwrap().parse().unwrap();
        let publication = publication_of(&mut ws, id).await;
        let donation = &publication["result"]["data"]["data"];
        assert_eq!(donation["username"], EVIL, "the wire carries the text; the overlay escapes it");
        assert_eq!(donation["message"], EVIL);
        assert_eq!(donation["amount"], 12.5);
        assert_eq!(donation["currency"], "EUR");
        assert_eq!(donation["payin_system"], "sandbox");

        let token = d.creator_token().await;
        let (status, body) = send(d.get("/api/v1/alerts/donations").bearer_auth(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["data"][0]["id"], donation["id"]);
        assert_eq!(body["data"][0]["message"], EVIL);

        // Anonymous: no name even when one was typed.
        let r = donate(&d, &client, &[("username", "Shy"), ("anonymous", "on"), ("amount", "500"),
            ("currency", "RUB"), ("message", ""), ("card", "4242424242424242")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let id: i64 = location(&r).rsplit('=').next().unwrap().parse().unwrap();
        let publication = publication_of(&mut ws, id).await;
        assert_eq!(publication["result"]["data"]["data"]["username"], serde_json::Value::Null);
        assert_eq!(publication["result"]["data"]["data"]["amount"], 500);
        d.app.stop().await;
    }

    async fn bad_donations_are_refused_and_nothing_stored(db: TestDb) {
        let d = Demo::new(db).await;
        let client = d.app.client();
        let before = d.app.db.store.donations_to(d.creator.id, 1000).await.unwrap().len();
        let card = ("card", "4242424242424242");
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("amount", "5"), ("currency", "GBP"), card], "currency: this page takes EUR, USD, RUB, BRL, TRY only"),
            (vec![("amount", "5"), ("currency", "XYZ"), card], "this page takes EUR, USD, RUB, BRL, TRY only"),
            (vec![("amount", "-5"), ("currency", "USD"), card], "give a positive amount in USD"),
            (vec![("amount", "0"), ("currency", "USD"), card], "give a positive amount in USD"),
            (vec![("amount", "99999999999"), ("currency", "USD"), card], "at most 1000000 USD"),
            (vec![("amount", "5"), ("currency", "USD"), ("card", "4000000000000002")], "the payment was refused (card_declined)"),
            (vec![("amount", "5"), ("currency", "USD"), ("card", "4100000000000019")], "the payment was refused (fraudulent)"),
            (vec![("amount", "5"), ("currency", "USD"), ("card", "1234")], "not a sandbox test card"),
        ];
        for (fields, message) in cases {
            let mut fields = fields;
            fields.push(("username", EVIL));
            fields.push(("message", EVIL));
            let r = donate(&d, &client, &fields).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
            let html = r.text().await.unwrap();
            assert!(html.contains(message), "{message}: {html}");
            assert!(!html.contains(EVIL), "typed markup comes back escaped");
            assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;") || html.contains("&#60;img"), "{html}");
        }
        let after = d.app.db.store.donations_to(d.creator.id, 1000).await.unwrap().len();
        assert_eq!(before, after, "nothing stored");
        // Without the CSRF token nothing is stored either.
        let r = client.post(d.app.url("/donate/noravance"))
            .form(&[("amount", "5"), ("currency", "USD"), card, ("csrf_token", "x")]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        d.app.stop().await;
    }

    async fn a_double_submitted_donation_is_sent_once(db: TestDb) {
        let d = Demo::new(db).await;
        let client = d.app.client();
        let before = d.app.db.store.donations_to(d.creator.id, 1000).await.unwrap().len();
        let html = client.get(d.app.url("/donate/noravance")).send().await.unwrap().text().await.unwrap();
        let form = [
            ("csrf_token", csrf_token(&html)), ("idempotency_key", hidden(&html, "idempotency_key")),
            ("username", "Twice".to_owned()), ("amount", "7".to_owned()), ("currency", "USD".to_owned()),
            ("message", "double click".to_owned()), ("card", "4242424242424242".to_owned()),
        ];
        let first = client.post(d.app.url("/donate/noravance")).form(&form).send().await.unwrap();
        let second = client.post(d.app.url("/donate/noravance")).form(&form).send().await.unwrap();
        assert_eq!(first.status(), StatusCode::SEE_OTHER);
        assert_eq!(second.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&first), location(&second), "the same donation both times");
        let after = d.app.db.store.donations_to(d.creator.id, 1000).await.unwrap();
        assert_eq!(after.len(), before + 1, "one donation");
        let charge_id = after[0].charge_id.expect("the donation names its charge");
        assert_eq!(after[0].username, "Twice");
        assert!(charge_id > 0);

        // A declined card with its form sent twice: refused both times, nothing stored; the
        // re-rendered form carries a new key, so the corrected one goes through.
        let html = client.get(d.app.url("/donate/noravance")).send().await.unwrap().text().await.unwrap();
        let key = hidden(&html, "idempotency_key");
        let mut form = vec![
            ("csrf_token", csrf_token(&html)), ("idempotency_key", key.clone()),
            ("amount", "7".to_owned()), ("currency", "USD".to_owned()), ("card", "4000000000009995".to_owned()),
        ];
        for _ in 0..2 {
            let r = client.post(d.app.url("/donate/noravance")).form(&form).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
            let html = r.text().await.unwrap();
            assert!(html.contains("insufficient_funds"), "{html}");
            assert_ne!(hidden(&html, "idempotency_key"), key, "a new key for the corrected form");
        }
        assert_eq!(d.app.db.store.donations_to(d.creator.id, 1000).await.unwrap().len(), before + 1);
        form[4].1 = "4242424242424242".to_owned();
        form[1].1 = uuid::Uuid::new_v4().to_string();
        let r = client.post(d.app.url("/donate/noravance")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(d.app.db.store.donations_to(d.creator.id, 1000).await.unwrap().len(), before + 2);
        d.app.stop().await;
    }
}
