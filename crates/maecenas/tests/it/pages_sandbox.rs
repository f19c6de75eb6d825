//! The sandbox page `/sandbox` through the real HTTP server, against the demo seed: fake
//! patrons, a pledge, an upgrade, a decline, a hand-fired event and a cancellation, each with
//! its rows, events and webhook deliveries (as `maecenas sandbox …` has them); a donation; the
//! clock advanced with the billing due and reset. Bad input refused with its message and nothing
//! changed; the CSRF token and a login required; another creator's member refused. Each on
//! SQLite and PostgreSQL.

use maecenas_core::{
    billing::{Cadence, gateway::CARD_SUCCESS},
    sandbox::PledgeSpec,
};
use maecenas_store::events;
use maecenas_testkit::{TestApp, both_backends};
use reqwest::{Client, Response, StatusCode};

use crate::{
    pages_checkout::{EVIL, patron, seed},
    patreon_demo::{setup, token},
    support::{event_kinds, location, log_in, page, submit},
    webhooks::{receiver::Receiver, setup::create_webhook},
};

/// A control, its fields, and the message it is refused with.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, String);

const SCOPES: &str = "identity campaigns w:campaigns.webhook campaigns.members";

/// Posts the control `action` from the sandbox page.
async fn post(app: &TestApp, client: &Client, action: &str, fields: &[(&str, &str)]) -> Response {
    submit(
        app,
        client,
        "/sandbox",
        &format!("/sandbox/{action}"),
        fields,
    )
    .await
}

/// Posts a control; asserts it answered 303 back to the page and returns the result line.
async fn control(app: &TestApp, client: &Client, action: &str, fields: &[(&str, &str)]) -> String {
    let r = post(app, client, action, fields).await;
    let status = r.status();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{action}: {}",
        r.text().await.unwrap()
    );
    assert_eq!(location(&r), "/sandbox");
    result_line(app, client, action).await
}

/// The result line the page shows once.
async fn result_line(app: &TestApp, client: &Client, action: &str) -> String {
    let html = page(app, client, "/sandbox").await;
    let start = html
        .find(r#"id="sandbox-result">"#)
        .unwrap_or_else(|| panic!("{action}: no result line"))
        + 20;
    let end = html[start..].find("</p>").unwrap() + start;
    html[start..end].to_owned()
}

/// Posts a control that must be refused; returns the page.
async fn refused(app: &TestApp, client: &Client, action: &str, fields: &[(&str, &str)]) -> String {
    let r = post(app, client, action, fields).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "{action} {fields:?}"
    );
    r.text().await.unwrap()
}

async fn logged_in(app: &TestApp, email: &str, password: &str) -> Client {
    let client = app.client();
    let r = log_in(app, &client, email, password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    client
}

both_backends! {
    async fn every_sandbox_control_has_its_effect(db: TestDb) {
        let (app, creds) = setup(db).await;
        let store = &app.db.store;
        let c = store.campaign_by_vanity(&creds.campaign.vanity).await.unwrap().unwrap();
        let receiver = Receiver::start().await;
        let t = token(&app, &creds, &creds.creator.email, SCOPES).await;
        let w = create_webhook(&app, &t, c.id, &receiver.url, &[
            "members:create", "members:update", "members:pledge:create", "members:pledge:update", "members:pledge:delete",
        ]).await;
        receiver.set_secret(w["attributes"]["secret"].as_str().unwrap());
        let client = logged_in(&app, &creds.creator.email, &creds.creator.password).await;
        let page = client.get(app.url("/sandbox")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Sandbox time: <strong>2026-11-01 12:00:00 UTC</strong> (0d 0h 0m ahead"), "{page}");
        let members_before = store.count_members(c.id).await.unwrap();
        let after = store.last_event_id().await.unwrap();

        // Fake patrons: members with their pledges and events.
        let line = control(&app, &client, "patrons", &[("count", "5")]).await;
        assert!(line.starts_with("5 fake patrons joined"), "{line}");
        assert_eq!(store.count_members(c.id).await.unwrap(), members_before + 5);
        let kinds: Vec<String> = store.events_after(after, 1000).await.unwrap().into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds.iter().filter(|k| *k == events::MEMBER_CREATE).count(), 5, "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| *k == events::PLEDGE_CREATE).count(), 5, "{kinds:?}");

        // A pledge by an account, then an upgrade, a decline, an event by hand, a cancellation.
        let _pat = patron(&app, "pat@example.org").await;
        let line = control(&app, &client, "pledge", &[("email", "pat@example.org"), ("amount", "5")]).await;
        assert!(line.contains("is active_patron") && line.contains("will pay 5.00 USD"), "{line}");
        let pat = store.user_by_email("pat@example.org").await.unwrap().unwrap();
        let m = store.member_of(c.id, pat.id).await.unwrap().unwrap();
        let line = control(&app, &client, "upgrade", &[("member", "PAT@example.org"), ("amount", "15")]).await;
        assert!(line.contains("will pay 15.00 USD"), "{line}");
        let line = control(&app, &client, "decline", &[("member", &m.id.to_string())]).await;
        assert!(line.contains("is declined_patron (last charge Declined)"), "{line}");
        let line = control(&app, &client, "webhook", &[("member", &m.id.to_string()), ("trigger", "members:update")]).await;
        assert_eq!(line, format!("members:update recorded for member {}; webhooks deliver it.", m.id));
        let line = control(&app, &client, "cancel", &[("member", "pat@example.org")]).await;
        assert!(line.contains("is former_patron"), "{line}");
        let m = store.member_by_id(m.id).await.unwrap().unwrap();
        assert_eq!(m.patron_status.as_deref(), Some("former_patron"));
        assert_eq!(m.will_pay_amount_cents, 0);
        let kinds = event_kinds(store, after, &m.id.to_string()).await;
        assert_eq!(kinds, [
            events::MEMBER_CREATE, events::PLEDGE_CREATE,          // pledge
            events::PLEDGE_UPDATE, events::MEMBER_UPDATE,          // upgrade
            events::PLEDGE_UPDATE, events::MEMBER_UPDATE,          // decline
            events::MEMBER_UPDATE,                                 // fired by hand
            events::PLEDGE_DELETE, events::MEMBER_UPDATE,          // cancel
        ]);
        // The webhook heard all of them: 5 × 2 for the fake patrons, 9 for Pat.
        let got = receiver.wait_for(19).await;
        let pats: Vec<&str> = got.iter().filter(|r| r.body["data"]["id"] == m.id.to_string()).map(|r| r.event.as_str()).collect();
        assert_eq!(pats.len(), 9, "{pats:?}");
        assert!(got.iter().all(|r| r.md5_ok && r.standard_ok));

        // A donation to the creator.
        let before = store.donations_to(c.creator_id, 1000).await.unwrap().len();
        let line = control(&app, &client, "donation", &[("amount", "12.50"), ("currency", "EUR"), ("username", EVIL), ("message", "hi")]).await;
        assert!(line.contains("12.50 EUR from &#60;script&#62;") || line.contains("12.50 EUR from &lt;script&gt;"), "escaped: {line}");
        let donations = store.donations_to(c.creator_id, 1000).await.unwrap();
        assert_eq!(donations.len(), before + 1);
        assert_eq!(donations[0].username, EVIL);

        // A month later the fake patrons' second charges ran; the clock moved for every service.
        // Sessions live 30 days on the same clock: the creator logs in again to see the result.
        let r = submit(&app, &client, "/sandbox", "/sandbox/advance", &[("duration", "31d")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = client.get(app.url("/sandbox")).send().await.unwrap();
        assert!(location(&r).starts_with("/login"), "the session ended with the month");
        let r = log_in(&app, &client, &creds.creator.email, &creds.creator.password).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let line = result_line(&app, &client, "advance").await;
        assert!(line.starts_with("Advanced 31d: sandbox time is now 2026-12-02 12:00 UTC;"), "{line}");
        assert!(line.contains("charges paid"), "{line}");
        assert_eq!(store.sandbox_clock_offset().await.unwrap(), 31 * 86_400);
        assert_eq!(app.state.clock().now().format("%Y-%m-%d").to_string(), "2026-12-02");
        let page = client.get(app.url("/sandbox")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Sandbox time: <strong>2026-12-02 12:00:00 UTC</strong> (31d 0h 0m ahead"), "{page}");
        let paid = store.count_members_by_status(c.id).await.unwrap();
        assert!(paid.get(&Some("active_patron".to_owned())).copied().unwrap_or(0) >= 5, "{paid:?}");

        // Reset: the fake patrons go, Pat stays, the clock is the wall clock again; another
        // creator's fake patrons stay too.
        let other = seed(store, app.state.clock().as_ref(), "othercomics").await;
        let spec = PledgeSpec { tier: None, amount_cents: None, cadence: Cadence::Monthly, card: CARD_SUCCESS.into() };
        app.state.sandbox().fake_patrons_for(&other.campaign, 3, &spec).await.unwrap();
        let theirs = store.count_members(other.campaign.id).await.unwrap();
        let line = control(&app, &client, "reset", &[]).await;
        assert_eq!(line, "Deleted 5 fake patrons; the sandbox clock is the wall clock again.");
        assert_eq!(store.sandbox_clock_offset().await.unwrap(), 0);
        assert_eq!(store.count_members(c.id).await.unwrap(), members_before + 1);
        assert_eq!(store.count_members(other.campaign.id).await.unwrap(), theirs);
        assert_eq!(theirs, 3);
        app.stop().await;
    }

    async fn bad_sandbox_input_is_refused_and_changes_nothing(db: TestDb) {
        let (app, creds) = setup(db).await;
        let store = &app.db.store;
        let c = store.campaign_by_vanity(&creds.campaign.vanity).await.unwrap().unwrap();
        // Another creator's campaign with a member of its own.
        let other = seed(store, app.state.clock().as_ref(), "othercomics").await;
        let outsider = crate::webhooks::setup::join(&app, other.campaign.id, 77, 500).await;

        // Logged out: the page and every control send to the login page.
        let anonymous = app.client();
        let r = anonymous.get(app.url("/sandbox")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(location(&r).starts_with("/login"), "{}", location(&r));
        let r = anonymous.post(app.url("/sandbox/patrons")).form(&[("count", "5")]).send().await.unwrap();
        assert!(r.status() == StatusCode::SEE_OTHER || r.status() == StatusCode::FORBIDDEN, "{}", r.status());

        let client = logged_in(&app, &creds.creator.email, &creds.creator.password).await;
        let members = store.count_members(c.id).await.unwrap();
        let after = store.last_event_id().await.unwrap();
        // Without the CSRF token: refused.
        for action in ["patrons", "advance", "reset", "donation"] {
            let r = client.post(app.url(&format!("/sandbox/{action}")))
                .form(&[("count", "5"), ("duration", "31d"), ("amount", "5"), ("currency", "USD"), ("csrf_token", "forged")])
                .send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{action}");
        }
        let outsider_ref = outsider.as_str();
        let cases: Vec<Case> = vec![
            ("patrons", vec![("count", "ten")], "count: type a whole number".into()),
            ("patrons", vec![("count", "0")], "count: between 1 and 1000".into()),
            ("patrons", vec![("count", "1001")], "count: between 1 and 1000".into()),
            ("patrons", vec![("count", "-3")], "count: type a whole number".into()),
            ("patrons", vec![("count", "3"), ("tier", "Platinum")], "no tier \"Platinum\"".into()),
            ("advance", vec![("duration", "31x")], "duration: \"31x\" is not a duration".into()),
            ("advance", vec![("duration", "soon")], "is not a duration".into()),
            ("advance", vec![("duration", "0d")], "at most 3660 days".into()),
            ("advance", vec![("duration", "4000d")], "at most 3660 days".into()),
            ("decline", vec![("member", "nobody@example.org")], "\"nobody@example.org\" is not a member of".into()),
            ("cancel", vec![("member", "00000000-0000-0000-0000-000000000000")], "is not a member of".into()),
            ("cancel", vec![("member", outsider_ref)], format!("\"{outsider}\" is not a member of")),
            ("upgrade", vec![("member", outsider_ref), ("amount", "20")], "is not a member of".into()),
            ("webhook", vec![("member", outsider_ref), ("trigger", "members:update")], "is not a member of".into()),
            ("pledge", vec![("email", "ghost@example.org")], "no account with e-mail".into()),
            ("donation", vec![("amount", "-5"), ("currency", "USD")], "amount".into()),
        ];
        for (action, fields, message) in &cases {
            let html = refused(&app, &client, action, fields).await;
            let message = message.replace('"', "&#34;");
            assert!(html.contains(&message) || html.contains(&message.replace("&#34;", "&quot;")), "{action} {fields:?}: {message}: {html}");
        }
        let html = refused(&app, &client, "webhook", &[("member", &creds.patron.email), ("trigger", "posts:publish")]).await;
        assert!(html.contains("trigger: one of members:create"), "{html}");
        assert_eq!(store.count_members(c.id).await.unwrap(), members);
        assert_eq!(store.sandbox_clock_offset().await.unwrap(), 0);
        assert!(store.events_after(after, 10).await.unwrap().is_empty(), "no events");
        let o = store.member_by_id(outsider.parse().unwrap()).await.unwrap().unwrap();
        assert_eq!(o.patron_status.as_deref(), Some("active_patron"), "the other creator's member untouched");
        let r = submit(&app, &client, "/sandbox", "/sandbox/explode", &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        app.stop().await;
    }
}
