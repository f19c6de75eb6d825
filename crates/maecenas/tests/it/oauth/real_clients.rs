//! Real client libraries nobody here wrote get and refresh tokens from the running server:
//! Python `patreon==0.5.0` (parameters in the query string), npm `patreon@0.4.1`
//! (`PATREON_OAUTH_HOST`), Python `DonationAlertsAPI==2.0.2` (`/oauth/token`, integer client
//! id) and `requests-oauthlib==2.0.0` through the whole authorize → consent → code → token
//! → refresh flow. If a library breaks, the server is wrong, not the library.

use std::{path::PathBuf, process::Output, time::Duration};

use maecenas_testkit::both_backends;
use serde_json::Value;
use tokio::process::Command;

use super::fixture::{Fixture, REDIRECT};

/// `tests/clients` at the workspace root.
fn clients_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients");
    dir.canonicalize().unwrap_or(dir)
}

fn python() -> PathBuf {
    let python = clients_dir().join(".venv/bin/python");
    assert!(
        python.exists(),
        "the client libraries' virtualenv is missing: run scripts/test (it creates tests/clients/.venv \
         from tests/clients/requirements.txt)"
    );
    python
}

/// Runs a client script in `tests/clients`, failing the test with its output if it fails.
async fn run(command: &mut Command) -> Value {
    command.current_dir(clients_dir()).kill_on_drop(true);
    let output: Output = tokio::time::timeout(Duration::from_secs(60), command.output())
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

fn token<'v>(body: &'v Value, key: &str) -> &'v str {
    body[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {body}"))
}

both_backends! {
    async fn patreon_python_0_5_0_gets_and_refreshes_tokens(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        let base = f.app.url("");
        let out = run(Command::new(python()).args([
            "patreon_oauth.py", &base, &f.client.client_id, &f.secret, &code, REDIRECT,
        ]))
        .await;
        let (tokens, refreshed) = (&out["tokens"], &out["refreshed"]);
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["version"], "0.0.1");
        assert_eq!(tokens["expires_in"], 2_678_400);
        assert_ne!(token(tokens, "refresh_token"), token(refreshed, "refresh_token"), "rotated");
        assert!(f.access_is_valid(token(refreshed, "access_token")).await);
        // The library's first refresh token was spent by the refresh.
        assert_eq!(f.refresh(token(tokens, "refresh_token")).await.status(), 400);
    }

    async fn patreon_npm_0_4_1_gets_and_refreshes_tokens(db: TestDb) {
        let f = Fixture::new(db).await;
        let module = clients_dir().join("node_modules/patreon/package.json");
        assert!(module.exists(), "npm patreon@0.4.1 is missing: run `npm ci --prefix tests/clients`");
        let code = f.code(None).await;
        let host = f.app.url("");
        let out = run(
            Command::new("node")
                .args(["patreon_js_oauth.mjs", &f.client.client_id, &f.secret, &code, REDIRECT])
                .env("PATREON_OAUTH_HOST", host.trim_end_matches('/')),
        )
        .await;
        let (tokens, refreshed) = (&out["tokens"], &out["refreshed"]);
        assert_eq!(tokens["token_type"], "Bearer");
        assert!(tokens["scope"].as_str().unwrap().contains("identity"));
        assert!(f.access_is_valid(token(tokens, "access_token")).await);
        assert!(f.access_is_valid(token(refreshed, "access_token")).await);
    }

    async fn donationalerts_api_2_0_2_gets_a_token(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        let base = f.app.url("");
        // DonationAlerts clients name the application by its integer id.
        let id = f.client.id.to_string();
        let out = run(Command::new(python()).args([
            "donationalerts_oauth.py", &base, &id, &f.secret, &code, REDIRECT,
        ]))
        .await;
        assert_eq!(out["token_type"], "Bearer");
        assert!(out["expires_in"].as_i64().unwrap() > 0);
        assert!(!token(&out, "refresh_token").is_empty());
        assert!(f.access_is_valid(token(&out, "access_token")).await);
    }

    async fn requests_oauthlib_runs_the_code_flow_through_consent(db: TestDb) {
        let f = Fixture::new(db).await;
        let password = "a browser's good password";
        f.app.state.accounts().sign_up(maecenas_core::SignUp {
            email: "flow@example.org".into(), password: password.into(), name: "Flo".into(),
        }).await.unwrap();
        let base = f.app.url("");
        let out = run(
            Command::new(python())
                .args(["requests_oauthlib_flow.py", &base, &f.client.client_id, &f.secret, REDIRECT, "flow@example.org", password])
                // The server is plain http on loopback.
                .env("OAUTHLIB_INSECURE_TRANSPORT", "1"),
        )
        .await;
        assert_eq!(out["state_ok"], true, "the state came back: {out}");
        let (tokens, refreshed) = (&out["token"], &out["refreshed"]);
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["scope"], serde_json::json!(["identity", "identity[email]", "campaigns"]), "oauthlib splits the scope");
        assert_ne!(token(tokens, "refresh_token"), token(refreshed, "refresh_token"));
        let grant = f.app.state.oauth().check_access_token(token(refreshed, "access_token")).await.unwrap().unwrap();
        let flo = f.app.db.store.user_by_email("flow@example.org").await.unwrap().unwrap();
        assert_eq!(grant.user_id, flo.id, "the token acts for the user who consented");
    }
}
