//! The `maecenas` binary itself: configuration errors, an unreachable database, `migrate`,
//! `admin user …`, and `serve` end to end on SQLite and PostgreSQL.

use std::{process::Output, time::Duration};

use maecenas_testkit::both_backends;
use tokio::process::Command;

use crate::support::csrf_token;

/// The binary, run in `dir` with no `MAECENAS_*` variables inherited.
pub(crate) fn maecenas(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_maecenas"));
    command.current_dir(dir).kill_on_drop(true);
    for (key, _) in std::env::vars() {
        if key.starts_with("MAECENAS_") {
            command.env_remove(key);
        }
    }
    command
}

pub(crate) async fn run(command: &mut Command) -> Output {
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("command finished in time")
        .expect("command ran")
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn unknown_config_keys_stop_startup_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "[limits]\nbogus_limit = 3\n").unwrap();
    let out = run(maecenas(dir.path()).args(["--config", "bad.toml", "serve"])).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown configuration key `limits.bogus_limit`"),
        "{}",
        stderr(&out)
    );

    // ./maecenas.toml is read by default.
    std::fs::write(dir.path().join("maecenas.toml"), "bnd = \"127.0.0.1:1\"\n").unwrap();
    let out = run(maecenas(dir.path()).arg("serve")).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown configuration key `bnd`"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_file(dir.path().join("maecenas.toml")).unwrap();

    let out = run(maecenas(dir.path())
        .arg("serve")
        .env("MAECENAS_DATABSE_URL", "sqlite://x.db"))
    .await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown configuration key `databse_url`"),
        "{}",
        stderr(&out)
    );

    let out = run(maecenas(dir.path()).args(["--config", "missing.toml", "serve"])).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("missing.toml does not exist"),
        "{}",
        stderr(&out)
    );
    assert!(
        !dir.path().join("maecenas-data").exists(),
        "nothing is created on a failed start"
    );
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let url = "postgres://maecenas:hunter2secret@127.0.0.1:1/nothing";
    let out = run(maecenas(dir.path()).args(["serve", "--database-url", url])).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(
            "cannot connect to the database at postgres://maecenas:***@127.0.0.1:1/nothing"
        ),
        "{err}"
    );
    assert!(err.contains("Connection refused"), "{err}");
    assert!(!err.contains("hunter2secret"), "password leaked: {err}");

    let out =
        run(maecenas(dir.path()).args(["migrate", "--database-url", "mysql://127.0.0.1/x"])).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unsupported database URL"),
        "{}",
        stderr(&out)
    );
}

both_backends! {
    async fn migrate_and_admin_users(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let url = db.isolated_url();
        let out = run(maecenas(dir.path()).args(["migrate", "--json", "--database-url", &url])).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let applied: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(applied["applied"][0], "m0001_accounts");

        let out = run(maecenas(dir.path()).args([
            "admin", "user", "create", "--email", "Root@Example.org", "--password",
            "correct horse battery", "--name", "Root", "--json", "--database-url", &url,
        ]))
        .await;
        assert!(out.status.success(), "{}", stderr(&out));
        let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(created["email"], "root@example.org");
        assert_eq!(created["name"], "Root");
        let id = created["id"].as_i64().unwrap();
        // The row is really there, seen through another connection.
        assert_eq!(db.store.user_by_id(id).await.unwrap().unwrap().email, "root@example.org");

        let out = run(maecenas(dir.path()).args(["admin", "user", "list", "--json", "--database-url", &url])).await;
        let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["id"], id);

        for (email, password, says) in [
            ("root@example.org", "correct horse battery", "already exists"),
            ("weak@example.org", "short", "password: Choose a password of at least 10 characters."),
        ] {
            let out = run(maecenas(dir.path()).args([
                "admin", "user", "create", "--email", email, "--password", password, "--database-url", &url,
            ]))
            .await;
            assert_eq!(out.status.code(), Some(1));
            assert!(stderr(&out).contains(says), "{}", stderr(&out));
        }
        assert_eq!(db.store.count_users().await.unwrap(), 1);
    }

    async fn serve_end_to_end(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let bind = format!("127.0.0.1:{port}");
        let child = maecenas(dir.path())
            .args(["serve", "--bind", &bind, "--database-url", &db.isolated_url()])
            .env("MAECENAS_LOG__FORMAT", "json")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let base = format!("http://{bind}");
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
                ready = r.status() == 200;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "server did not become ready");

        let html = client.get(format!("{base}/signup")).send().await.unwrap().text().await.unwrap();
        let response = client
            .post(format!("{base}/signup"))
            .form(&[("csrf_token", csrf_token(&html).as_str()), ("email", "e2e@example.org"), ("password", "correct horse battery")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        assert_eq!(db.store.user_by_email("e2e@example.org").await.unwrap().unwrap().full_name, "e2e");
        assert!(dir.path().join("maecenas-data/secret.key").exists(), "secret generated on first start");

        let pid = child.id().unwrap().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().await.unwrap();
        assert!(killed.success());
        let out = tokio::time::timeout(Duration::from_secs(15), child.wait_with_output()).await.unwrap().unwrap();
        assert!(out.status.success(), "exit {:?}", out.status);
        let logs = stderr(&out);
        assert!(logs.contains("SIGTERM received"), "{logs}");
        // JSON log lines carry the request id of each request.
        assert!(logs.lines().any(|l| l.starts_with('{') && l.contains("request_id")), "{logs}");
    }
}
