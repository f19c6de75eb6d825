//! Real clients against the running server, their parsed values checked against the seed:
//! DonationAlertsAPI==2.0.2 (`tests/clients/.venv`) reads the profile and two pages of
//! donations; donationalerts==1.0.1 (`tests/clients/.venv-da1`) polls for a new donation.

use std::{path::PathBuf, process::Stdio, time::Duration};

use chrono::Duration as Span;
use maecenas_store::money::NewDonation;
use maecenas_testkit::both_backends;
use maecenas_types::Clock;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};

use super::Demo;

fn clients_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients");
    dir.canonicalize().unwrap_or(dir)
}

/// Runs `script` with `args` in the client virtualenv and parses its JSON output.
async fn run_python(script: &str, args: &[&str]) -> Value {
    let python = clients_dir().join(".venv/bin/python");
    assert!(
        python.exists(),
        "tests/clients/.venv is missing: run scripts/test"
    );
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(python)
            .arg(script)
            .args(args)
            .current_dir(clients_dir())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("client finished within 60 s")
    .expect("client started");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "client failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"))
}

both_backends! {
    async fn da_real_client_donationalerts_api_2_0_2_user_and_donations(db: TestDb) {
        let d = Demo::new(db).await;
        // 25 more, so the library reads a second page.
        let now = d.app.clock.now();
        let more: Vec<NewDonation> = (0..25).map(|i| NewDonation {
            recipient_user_id: d.creator.id,
            donor_user_id: None,
            username: format!("fan{i}"),
            message: format!("message {i}"),
            amount_cents: 100 * (i + 1),
            currency: "EUR".to_owned(),
            amount_in_user_currency_cents: 110 * (i + 1),
            payin_system: "sandbox".to_owned(),
            created_at: now + Span::minutes(i),
            shown_at: None,
        }).collect();
        d.app.db.store.create_donations(more).await.unwrap();
        let token = d.token(&d.creds.creator.email, "oauth-user-show oauth-donation-index oauth-custom_alert-store").await;
        let out = run_python("donationalerts_api.py", &[&d.app.url("/"), &token]).await;
        let user = &out["user"];
        assert_eq!(user["id"], d.creator.id);
        assert_eq!(user["code"], "noravance");
        assert_eq!(user["name"], "Nora Vance");
        assert_eq!(user["email"], "creator@maecenas.example");
        assert_eq!(user["language"], "en_US");
        let socket = user["socket_connection_token"].as_str().unwrap();
        assert_eq!(d.app.state.realtime().key().verify_connection(socket, now).unwrap().user, d.creator.id.to_string());

        let pages = out["pages"].as_array().unwrap();
        let (one, two) = (pages[0].as_array().unwrap(), pages[1].as_array().unwrap());
        assert_eq!((one.len(), two.len()), (30, 5));
        let rows = d.app.db.store.donations_to(d.creator.id, 100).await.unwrap();
        let parsed: Vec<&Value> = one.iter().chain(two).collect();
        for (got, row) in parsed.iter().zip(&rows) {
            assert_eq!(got["id"], row.id);
            assert_eq!(got["username"], row.username.as_str());
            assert_eq!(got["message"], row.message.as_str());
            assert_eq!(got["currency"], row.currency.as_str());
            assert_eq!(got["created_at"], row.created_at.format("%Y-%m-%d %H:%M:%S").to_string());
            assert_eq!(got["is_shown"], i64::from(row.is_shown));
            assert_eq!(got["recipient_name"], "Nora Vance");
            assert_eq!(got["payin_system"], "sandbox");
            assert_eq!(got["name"], "Donations");
            assert_eq!(got["message_type"], "text");
        }
        // Newest first: fan24 (25 EUR, 27.50 in the creator's USD) opens page 1 …
        assert_eq!(one[0]["username"], "fan24");
        assert_eq!(one[0]["amount"], json!(25));
        assert_eq!(one[0]["amount_in_user_currency"], json!(27.5));
        assert_eq!(one[0]["created_at"], "2026-11-01 12:24:00");
        assert_eq!(one[0]["shown_at"], Value::Null);
        // … and the seed's oldest, Vasya's 500 RUB ten days back, closes page 2.
        assert_eq!(two[4]["username"], "Vasya");
        assert_eq!(two[4]["amount"], json!(500));
        assert_eq!(two[4]["created_at"], "2026-10-22 12:00:00");
        assert_eq!(two[4]["is_shown"], 1);
        // send_custom_alert() posts a form with `headline`; None URLs are left out.
        let alert = &out["custom_alert"]["data"];
        assert_eq!(alert["external_id"], "py-1");
        assert_eq!(alert["header"], "From Python");
        assert_eq!(alert["message"], "Hello overlay");
        assert_eq!(alert["is_shown"], 1);
        assert_eq!((alert["image_url"].clone(), alert["sound_url"].clone()), (Value::Null, Value::Null));
        assert_eq!(alert["created_at"], "2026-11-01 12:00:00");
    }

    async fn da_real_client_donationalerts_1_0_1_polls_a_new_donation(db: TestDb) {
        let d = Demo::new(db).await;
        let python = clients_dir().join(".venv-da1/bin/python");
        assert!(python.exists(), "tests/clients/.venv-da1 is missing: run scripts/test");
        let token = d.token(&d.creds.creator.email, "oauth-donation-index").await;
        let mut child = Command::new(python)
            .args(["donationalerts_da1_polling.py", &d.app.url("/"), &token])
            .current_dir(clients_dir())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let next = async |lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>| {
            tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.expect("client answered in time").unwrap().expect("a line")
        };
        assert_eq!(next(&mut lines).await, "polling");
        let now = d.app.clock.now();
        let created = d.app.db.store.create_donations(vec![NewDonation {
            recipient_user_id: d.creator.id,
            donor_user_id: None,
            username: "Polina".to_owned(),
            message: "Только что!".to_owned(),
            amount_cents: 30_000,
            currency: "RUB".to_owned(),
            amount_in_user_currency_cents: 330,
            payin_system: "sandbox".to_owned(),
            created_at: now,
            shown_at: None,
        }]).await.unwrap();
        let donation: Value = serde_json::from_str(&next(&mut lines).await).unwrap();
        assert_eq!(donation, json!({
            "id": created[0].id, "username": "Polina", "message": "Только что!", "amount": 300,
            "currency": "RUB", "amount_in_account_currency": 3.3, "date": "2026-11-01 12:00:00",
        }));
        let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await.unwrap().unwrap();
        assert!(status.success());
    }
}
