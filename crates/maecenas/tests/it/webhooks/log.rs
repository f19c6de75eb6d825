//! The delivery log: the portal page (`/portal/webhooks`) over HTTP — create, the log with every
//! attempt's headers, body, status and latency, resend, "send test event", pause/resume,
//! delete, CSRF on every form, another user's webhook a 404 — and
//! `maecenas admin webhooks deliveries|resend` as a child process on the same database.

use maecenas_testkit::{TestApp, both_backends};
use reqwest::{Client, StatusCode};
use serde_json::Value;

use super::{
    receiver::Receiver,
    setup::{create_webhook, join, setup, token},
};
use crate::{
    cli::{maecenas, run, stderr},
    support::{csrf_token, location, log_in},
};

async fn page(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// POSTs `fields` with the CSRF token of `from` to `action`.
async fn post(
    app: &TestApp,
    client: &Client,
    from: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = page(app, client, from).await;
    let token = csrf_token(&html);
    let mut form = fields.to_vec();
    form.push(("csrf_token", &token));
    client
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap()
}

both_backends! {
    async fn portal_log_resend_test_event_and_csrf(db: TestDb) {
        let (app, creds) = setup(db).await;
        let receiver = Receiver::start().await;
        let browser = app.client();
        assert_eq!(log_in(&app, &browser, &creds.creator.email, &creds.creator.password).await.status(), StatusCode::SEE_OTHER);
        let (status, html) = page(&app, &browser, "/portal/webhooks").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("id=\"no-webhooks\""), "{html}");

        // Bad input is refused with the form kept, nothing created.
        for (uri, triggers, says) in [
            ("ftp://x.example.org/", vec!["members:create"], "URI"),
            ("https://10.1.2.3/hook", vec!["members:create"], "URI"),
            (receiver.url.as_str(), vec![], "at least one trigger"),
            (receiver.url.as_str(), vec!["members:explode"], "Unknown trigger"),
        ] {
            let mut fields = vec![("client_id", creds.client.client_id.as_str()), ("uri", uri)];
            fields.extend(triggers.iter().map(|t| ("triggers", *t)));
            let r = post(&app, &browser, "/portal/webhooks", "/portal/webhooks", &fields).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert!(r.text().await.unwrap().contains(says), "{says}");
        }
        assert!(app.db.store.all_webhooks().await.unwrap().is_empty());
        // No CSRF token: refused.
        let r = browser.post(app.url("/portal/webhooks")).form(&[("client_id", creds.client.client_id.as_str()), ("uri", receiver.url.as_str()), ("triggers", "members:create")]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        let r = post(&app, &browser, "/portal/webhooks", "/portal/webhooks", &[
            ("client_id", creds.client.client_id.as_str()), ("uri", receiver.url.as_str()),
            ("triggers", "members:create"), ("triggers", "members:pledge:create"),
        ]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/portal/webhooks?done=created");
        let w = app.db.store.all_webhooks().await.unwrap().pop().unwrap();
        receiver.set_secret(&w.secret);
        let log_path = format!("/portal/webhooks/{}", w.id);
        let (_, html) = page(&app, &browser, "/portal/webhooks?done=created").await;
        assert!(html.contains(&log_path) && html.contains("members:pledge:create"), "{html}");

        // Deliveries appear in the log with every attempt.
        let member = join(&app, creds.campaign.id, 1, 500).await;
        let got = receiver.wait_for(2).await;
        assert!(got.iter().all(|r| r.md5_ok && r.standard_ok));
        wait_logged(&app, w.id, 2).await;
        let (status, html) = page(&app, &browser, &log_path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(html.matches("<section class=\"card delivery\"").count(), 2, "{html}");
        assert!(html.contains("x-patreon-signature") && html.contains("webhook-signature"));
        assert!(html.contains(&member), "the request body is shown");
        assert!(html.contains("class=\"response-status\">200<"), "{html}");
        assert!(html.contains(" ms</span>"));
        assert!(html.contains(&w.secret));

        // Resend: the same delivery goes out again with the same webhook-id.
        let first = app.db.store.deliveries_of(w.id).await.unwrap()[0].clone();
        let r = post(&app, &browser, &log_path, &format!("{log_path}/deliveries/{}/resend", first.id), &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let got = receiver.wait_for(3).await;
        assert_eq!(got[2].webhook_id, format!("msg_{}", first.id));
        assert!(got[2].md5_ok);

        // Send test event, under a trigger the webhook listens to.
        let r = post(&app, &browser, &log_path, &format!("{log_path}/test"), &[("trigger", "members:pledge:create")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), format!("{log_path}?done=test"));
        let got = receiver.wait_for(4).await;
        assert_eq!(got[3].event, "members:pledge:create");
        assert!(got[3].md5_ok && got[3].standard_ok);
        assert_eq!(got[3].body["data"]["type"], "member");
        let r = post(&app, &browser, &log_path, &format!("{log_path}/test"), &[("trigger", "posts:publish")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "not a trigger it listens to");

        // Pause and resume, each with its token.
        let r = post(&app, &browser, &log_path, &format!("{log_path}/pause"), &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(app.db.store.webhook(w.id).await.unwrap().unwrap().paused);
        join(&app, creds.campaign.id, 2, 0).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(receiver.got().len(), 4, "nothing sent while paused");
        let (_, html) = page(&app, &browser, &log_path).await;
        assert!(html.contains("class=\"state\">paused<"));
        let r = post(&app, &browser, &log_path, &format!("{log_path}/resume"), &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        receiver.wait_for(5).await;

        // Forms without the token are refused, whatever the action.
        for action in ["pause", "resume", "delete", "test"] {
            let r = browser.post(app.url(&format!("{log_path}/{action}"))).form(&[("csrf_token", "forged")]).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{action}");
        }
        let r = browser.post(app.url(&format!("{log_path}/deliveries/{}/resend", first.id))).send().await.unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());

        // Someone else sees nothing of it.
        let stranger = app.client();
        crate::support::sign_up(&app, &stranger, "stranger@example.org", "correct horse battery").await;
        let (status, _) = page(&app, &stranger, &log_path).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let r = post(&app, &stranger, "/profile", &format!("{log_path}/delete"), &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = post(&app, &stranger, "/profile", &format!("{log_path}/deliveries/{}/resend", first.id), &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(app.db.store.webhook(w.id).await.unwrap().is_some());

        let r = post(&app, &browser, &log_path, &format!("{log_path}/delete"), &[]).await;
        assert_eq!(location(&r), "/portal/webhooks?done=deleted");
        assert!(app.db.store.webhook(w.id).await.unwrap().is_none());
        // Logged out: to the login page.
        let r = app.client().get(app.url("/portal/webhooks")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        app.stop().await;
    }

    async fn cli_lists_the_log_and_resends(db: TestDb) {
        let (app, creds) = setup(db).await;
        let receiver = Receiver::start().await;
        receiver.answer(503);
        let t = token(&app, &creds, &creds.creator.email, "identity campaigns w:campaigns.webhook campaigns.members").await;
        let w = create_webhook(&app, &t, creds.campaign.id, &receiver.url, &["members:create"]).await;
        receiver.set_secret(w["attributes"]["secret"].as_str().unwrap());
        let webhook_id: i64 = w["id"].as_str().unwrap().parse().unwrap();
        join(&app, creds.campaign.id, 1, 0).await;
        receiver.wait_for(1).await;
        wait_logged(&app, webhook_id, 1).await;

        let dir = tempfile::tempdir().unwrap();
        let url = app.db.isolated_url();
        let out = run(maecenas(dir.path()).args(["admin", "webhooks", "deliveries", "--json", "--database-url", &url])).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let log: Value = serde_json::from_slice(&out.stdout).unwrap();
        let d = &log[0];
        assert_eq!(d["webhook_id"], webhook_id);
        assert_eq!(d["trigger"], "members:create");
        assert_eq!(d["status"], "pending", "503 leaves it queued for the retry");
        assert_eq!(d["attempts"][0]["response_status"], 503);
        assert_eq!(d["attempts"][0]["request_headers"]["x-patreon-event"], "members:create");
        assert!(d["attempts"][0]["request_headers"]["x-patreon-signature"].as_str().unwrap().len() == 32);
        assert!(d["attempts"][0]["latency_ms"].as_i64().unwrap() >= 0);
        assert_eq!(d["body"]["data"]["type"], "member");
        let id = d["id"].as_i64().unwrap();
        assert_eq!(d["message_id"], format!("msg_{id}"));

        // Human output, filtered by webhook.
        let out = run(maecenas(dir.path()).args(["admin", "webhooks", "deliveries", "--webhook", &webhook_id.to_string(), "--database-url", &url])).await;
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("members:create") && text.contains("503") && text.contains("1 delivery"), "{text}");
        let out = run(maecenas(dir.path()).args(["admin", "webhooks", "deliveries", "--webhook", "999999", "--database-url", &url])).await;
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("no webhook 999999"));

        // Resend from the CLI: the running server sends it now (not at the retry time).
        receiver.answer(200);
        app.db.store.update_webhook(app.db.store.webhook(webhook_id).await.unwrap().unwrap(),
            maecenas_store::webhooks::WebhookPatch { paused: Some(false), ..Default::default() }, app.state.clock().now()).await.unwrap();
        let got = receiver.wait_for(2).await;
        assert_eq!(got[1].webhook_id, format!("msg_{id}"));
        wait_delivered(&app, id).await;
        let out = run(maecenas(dir.path()).args(["admin", "webhooks", "resend", &id.to_string(), "--database-url", &url])).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let got = receiver.wait_for(3).await;
        assert_eq!(got[2].webhook_id, format!("msg_{id}"), "same webhook-id");
        assert!(got[2].md5_ok && got[2].standard_ok);
        let out = run(maecenas(dir.path()).args(["admin", "webhooks", "resend", "424242", "--database-url", &url])).await;
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("no delivery 424242"));
        app.stop().await;
    }
}

/// Waits until `webhook_id` has at least `n` attempts recorded.
async fn wait_logged(app: &TestApp, webhook_id: i64, n: usize) {
    for _ in 0..200 {
        let ids: Vec<i64> = app
            .db
            .store
            .deliveries_of(webhook_id)
            .await
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect();
        if app.db.store.attempts_of(&ids).await.unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{n} attempts never recorded");
}

/// Waits until delivery `id` is recorded delivered.
async fn wait_delivered(app: &TestApp, id: i64) {
    for _ in 0..200 {
        if app.db.store.delivery(id).await.unwrap().unwrap().status == "delivered" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("delivery {id} never recorded delivered");
}
