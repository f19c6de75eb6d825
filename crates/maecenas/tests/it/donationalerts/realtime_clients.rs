//! Real Centrifugo clients receive donations made by `maecenas sandbox donation` after they
//! subscribed, on both backends: npm centrifuge@2.8.5 (ws + xmlhttprequest, the private channel
//! through `subscribeEndpoint` with an `Authorization` header) and DonationAlertsAPI==2.0.2's
//! `Centrifugo.subscribe` (pointed at the server as spec §5 says). Each publication is checked
//! field for field, and against the object `/api/v1/alerts/donations` shows for the same id.

use std::{path::PathBuf, process::Stdio, time::Duration};

use maecenas_testkit::both_backends;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines},
    process::{Child, ChildStdout, Command},
};

use super::{Demo, send};
use crate::cli::{maecenas, run, stderr};

fn clients_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients");
    dir.canonicalize().unwrap_or(dir)
}

/// A client process and its output lines.
struct Client {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Client {
    fn spawn(program: PathBuf, args: &[&str]) -> Self {
        assert!(
            program.exists() || program.ends_with("node"),
            "{} is missing: run scripts/test",
            program.display()
        );
        let mut child = Command::new(program)
            .args(args)
            .current_dir(clients_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the client");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self { child, lines }
    }

    /// The payload of the next line starting with `prefix`; the client's stderr on failure.
    async fn expect(&mut self, prefix: &str) -> String {
        let read = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = self.lines.next_line().await {
                if let Some(rest) = line.strip_prefix(prefix) {
                    return Ok(rest.trim().to_owned());
                }
                if line.starts_with("ERROR") {
                    return Err(line);
                }
            }
            Err("(end of output)".to_owned())
        })
        .await;
        match read {
            Ok(Ok(payload)) => payload,
            outcome => {
                let mut said = String::new();
                if let Some(mut err) = self.child.stderr.take() {
                    let _ =
                        tokio::time::timeout(Duration::from_secs(5), err.read_to_string(&mut said))
                            .await;
                }
                panic!("no {prefix} line ({outcome:?}):\n{said}");
            }
        }
    }

    async fn finished(mut self) {
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "client exited with {status}");
    }
}

/// Makes a donation with the CLI; returns its id.
async fn donate(d: &Demo, args: &[&str]) -> i64 {
    let work = tempfile::tempdir().unwrap();
    let url = d.app.db.isolated_url();
    let mut command = maecenas(work.path());
    command
        .args([
            "sandbox",
            "donation",
            "--to",
            &d.creds.creator.email,
            "--json",
            "--database-url",
            &url,
        ])
        .args(args);
    let out = run(&mut command).await;
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// Donation `id` as `/api/v1/alerts/donations` shows it.
async fn listed(d: &Demo, id: i64) -> Value {
    let token = d
        .token(&d.creds.creator.email, "oauth-donation-index")
        .await;
    let (_, page) = send(d.get("/api/v1/alerts/donations").bearer_auth(&token)).await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .cloned()
        .unwrap()
}

both_backends! {
    async fn da_real_client_centrifuge_js_2_8_5_receives_cli_donations(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.token(&d.creds.creator.email, "oauth-user-show oauth-donation-subscribe").await;
        assert!(clients_dir().join("node_modules/centrifuge/package.json").exists(), "run scripts/test (npm ci in tests/clients)");
        let mut client = Client::spawn(PathBuf::from("node"), &["centrifuge_js.mjs", &d.app.url(""), &token, "2"]);
        let connected: Value = serde_json::from_str(&client.expect("CONNECTED ").await).unwrap();
        assert_eq!(uuid::Uuid::parse_str(connected["client"].as_str().unwrap()).unwrap().get_version_num(), 4);
        let subscribed: Value = serde_json::from_str(&client.expect("SUBSCRIBED ").await).unwrap();
        let channel = format!("$alerts:donation_{}", d.creator.id);
        assert_eq!(subscribed["channel"], channel.as_str());
        assert_eq!(subscribed["isResubscribe"], false);

        let first = donate(&d, &["--amount", "500", "--currency", "RUB", "--username", "Vasya", "--message", "Привет со стрима!"]).await;
        let second = donate(&d, &["--amount", "12.5", "--currency", "EUR"]).await;
        let one: Value = serde_json::from_str(&client.expect("PUBLICATION ").await).unwrap();
        let two: Value = serde_json::from_str(&client.expect("PUBLICATION ").await).unwrap();
        client.finished().await;

        assert_eq!(one["data"]["id"], first);
        assert_eq!(two["data"]["id"], second);
        assert_eq!(two["seq"].as_u64().unwrap(), one["seq"].as_u64().unwrap() + 1, "seq counts the channel's publications");
        for (ctx, id) in [(&one, first), (&two, second)] {
            assert_eq!(ctx["data"], listed(&d, id).await, "the same object the REST API lists");
            assert!(ctx.get("info").is_none());
        }
        let row = d.app.db.store.donation_by_id(first).await.unwrap().unwrap();
        assert_eq!(one["data"], json!({
            "id": first, "name": "Donations", "username": "Vasya", "recipient_name": "Nora Vance",
            "recipient": {"user_id": d.creator.id, "code": "noravance", "name": "Nora Vance", "avatar": d.creator.image_url},
            "message_type": "text", "message": "Привет со стрима!", "payin_system": "sandbox",
            "amount": 500, "currency": "RUB", "is_shown": 0, "amount_in_user_currency": 5,
            "created_at": row.created_at.format("%Y-%m-%d %H:%M:%S").to_string(), "created_at_ts": row.created_at.timestamp(),
            "shown_at": null, "shown_at_ts": null, "reason": "Donation",
        }));
        assert_eq!((two["data"]["username"].clone(), two["data"]["message"].clone()), (Value::Null, json!("")));
        assert_eq!((two["data"]["amount"].clone(), two["data"]["currency"].clone()), (json!(12.5), json!("EUR")));
        assert_eq!(two["data"]["amount_in_user_currency"], json!(13.5));
        d.app.stop().await;
    }

    async fn da_real_client_donationalerts_api_2_0_2_centrifugo_subscribe(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.token(&d.creds.creator.email, "oauth-user-show oauth-donation-subscribe").await;
        let python = clients_dir().join(".venv/bin/python");
        let mut client = Client::spawn(python, &["donationalerts_centrifugo.py", &d.app.url("/"), &token]);
        assert_eq!(client.expect("SUBSCRIBED").await, "");

        let id = donate(&d, &["--amount", "300", "--currency", "RUB", "--username", "Polina", "--message", "Только что!"]).await;
        let got: Value = serde_json::from_str(&client.expect("DONATION ").await).unwrap();
        client.finished().await;
        let row = d.app.db.store.donation_by_id(id).await.unwrap().unwrap();
        let created_at = row.created_at.format("%Y-%m-%d %H:%M:%S").to_string();
        let mut fields = got.clone();
        let objects = fields.as_object_mut().unwrap().remove("objects").unwrap();
        assert_eq!(fields, json!({
            "amount": 300, "amount_in_user_currency": 3, "created_at": created_at, "currency": "RUB", "id": id,
            "is_shown": 0, "message": "Только что!", "message_type": "text", "name": "Donations",
            "payin_system": "sandbox", "recipient_name": "Nora Vance", "shown_at": null, "username": "Polina",
            "reason": "Donation",
        }));
        assert_eq!(objects, listed(&d, id).await, "the same object the REST API lists");
        d.app.stop().await;
    }
}
