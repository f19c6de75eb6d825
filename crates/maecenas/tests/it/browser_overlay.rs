//! The OBS alert overlay in headless Chromium (`tests/browser/overlay.mjs`), on both backends:
//! a donation made by `maecenas sandbox donation` after the page subscribed is on screen within
//! one second of its creation (measured from the donation's own timestamp to the moment the page
//! put it on screen), with its text shown as text and a beep; the DonationAlerts API then reports
//! it shown. Two donations made together are queued and shown one after the other.

use std::{process::Stdio, time::Duration};

use maecenas_store::money::NewDonation;
use maecenas_testkit::both_backends;
use maecenas_types::Clock;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines},
    process::{ChildStderr, ChildStdout, Command},
};

use crate::{
    browser::{browser_dir, require_prerequisites},
    cli::{maecenas, run, stderr},
    donationalerts::{Demo, send},
};

/// The script's next line, or a failure carrying everything it wrote to stderr.
async fn next_line(lines: &mut Lines<BufReader<ChildStdout>>, err: &mut ChildStderr) -> String {
    match tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await {
        Ok(Ok(Some(line))) => line,
        outcome => {
            let mut said = String::new();
            let _ =
                tokio::time::timeout(Duration::from_secs(5), err.read_to_string(&mut said)).await;
            panic!("overlay.mjs stopped answering ({outcome:?}):\n{said}");
        }
    }
}

/// `/api/v1/alerts/donations` as the creator sees it, polled until `id` is shown (3 s at most).
async fn shown_in_the_api(d: &Demo, token: &str, id: i64) -> Value {
    for _ in 0..30 {
        let (_, page) = send(d.get("/api/v1/alerts/donations").bearer_auth(token)).await;
        let found = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .cloned()
            .unwrap();
        if found["is_shown"] == 1 {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("donation {id} was never reported shown");
}

both_backends! {
    async fn overlay_in_chromium_shows_a_cli_donation_within_a_second(db: TestDb) {
        let d = Demo::new(db).await;
        let alerts = d.app.state.alerts();
        let (secret, _) = alerts.regenerate_widget_secret(d.creator.id).await.unwrap();
        assert!(alerts.set_sound(d.creator.id, true).await.unwrap());
        let dir = browser_dir();
        require_prerequisites(&dir).await;
        let mut command = Command::new("node");
        command.env_remove("OVERLAY_SCREENSHOT");
        // `OVERLAY_SCREENSHOT=$PWD/docs/overlay.png` remakes the docs' picture (from one half only).
        if let (Ok(path), maecenas_store::Backend::Sqlite) = (std::env::var("OVERLAY_SCREENSHOT"), d.app.db.backend()) {
            command.env("OVERLAY_SCREENSHOT", path);
        }
        let mut child = command
            .arg(dir.join("overlay.mjs"))
            .arg(d.app.url(""))
            .arg(format!("/widget/alerts/{}?duration=1500", secret.expose()))
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start node");
        let mut to_page = child.stdin.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(next_line(&mut lines, &mut err).await, "READY");

        // Made by the CLI, in another process, after the page subscribed.
        let work = tempfile::tempdir().unwrap();
        let (name, message) = ("Зритель <i>", "<b>Hello</b> & welcome");
        let out = run(maecenas(work.path()).args([
            "sandbox", "donation", "--to", &d.creds.creator.email, "--amount", "500", "--currency", "RUB",
            "--username", name, "--message", message, "--json", "--database-url", &d.app.db.isolated_url(),
        ])).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let made: Value = serde_json::from_slice(&out.stdout).unwrap();
        let id = made["id"].as_i64().unwrap();
        let created_ms = chrono::DateTime::parse_from_rfc3339(made["created_at"].as_str().unwrap()).unwrap().timestamp_millis();
        let said = json!({"id": id, "created_ms": created_ms, "expect": {"name": name, "amount": "500 RUB", "message": message}});
        to_page.write_all(format!("{said}\n").as_bytes()).await.unwrap();

        let line = next_line(&mut lines, &mut err).await;
        let shown: Value = serde_json::from_str(line.strip_prefix("SHOWN ").unwrap_or_else(|| panic!("{line}"))).unwrap();
        let latency = shown["latency_ms"].as_i64().unwrap();
        println!("overlay: donation {id} on screen {latency} ms after it was made ({:?})", d.app.db.backend());
        assert!((0..=1_000).contains(&latency), "on screen {latency} ms after creation");
        assert_eq!(shown["message_elements"], 0, "text, not HTML");
        assert!(shown["beeps"].as_i64().unwrap() >= 1, "the sound setting is on: {shown}");

        // The page reported it shown; the DonationAlerts API says so.
        let token = d.token(&d.creds.creator.email, "oauth-donation-index").await;
        let listed = shown_in_the_api(&d, &token, id).await;
        assert_eq!(listed["shown_at"], d.app.clock.now().format("%Y-%m-%d %H:%M:%S").to_string());

        // Two at once: the page shows them in turn.
        let now = d.app.clock.now();
        let donation = |username: &str| NewDonation {
            recipient_user_id: d.creator.id, donor_user_id: None, username: username.to_owned(), message: String::new(),
            amount_cents: 1_000, currency: "USD".to_owned(), amount_in_user_currency_cents: 1_000,
            payin_system: "sandbox".to_owned(), created_at: now, shown_at: None,
        };
        let pair = d.app.db.store.create_donations(vec![donation("First"), donation("Second")]).await.unwrap();
        let queue = json!({"queue": [pair[0].id, pair[1].id]});
        to_page.write_all(format!("{queue}\n").as_bytes()).await.unwrap();
        let line = next_line(&mut lines, &mut err).await;
        assert!(line.starts_with("QUEUE "), "{line}");
        let status = tokio::time::timeout(Duration::from_secs(15), child.wait()).await.unwrap().unwrap();
        assert!(status.success(), "overlay.mjs exited with {status}");
        for one in &pair {
            shown_in_the_api(&d, &token, one.id).await;
        }
        d.app.stop().await;
    }
}
