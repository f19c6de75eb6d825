//! `maecenas admin client create` and `admin token issue`, run as a child process on both
//! backends: output shapes, what is stored, and the errors a typo gets.

use std::sync::Arc;

use maecenas_oauth::{OAuthService, params::ClientCredentials};
use maecenas_testkit::both_backends;
use maecenas_types::{SystemClock, TokenHash};
use serde_json::Value;

use crate::cli::{maecenas, run, stderr};

both_backends! {
    async fn cli_admin_client_create_and_token_issue(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let url = db.isolated_url();
        let admin = |args: &[&str]| {
            let mut command = maecenas(dir.path());
            command.arg("admin").args(args).args(["--database-url", &url]);
            command
        };
        let out = run(&mut admin(&["user", "create", "--email", "Creator@Example.org", "--password",
            "correct horse battery"])).await;
        assert!(out.status.success(), "{}", stderr(&out));

        let out = run(&mut admin(&["client", "create", "--owner", "creator@example.org", "--name", "My bot",
            "--redirect-uri", "https://bot.example.com/cb", "--redirect-uri", "http://127.0.0.1:9000/cb", "--json"])).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let created: Value = serde_json::from_slice(&out.stdout).unwrap();
        let keys: Vec<&str> = created.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["client_id", "client_secret", "id"]);
        let id = created["id"].as_i64().unwrap();
        let client_id = created["client_id"].as_str().unwrap();
        let secret = created["client_secret"].as_str().unwrap();
        assert!(client_id.len() >= 32 && client_id.chars().all(|c| c.is_ascii_alphanumeric()), "{client_id}");

        // Stored: the hash of the secret, never the secret; both redirect URIs.
        let row = db.store.oauth_client_by_id(id).await.unwrap().unwrap();
        assert_eq!(row.client_id, client_id);
        assert_eq!(row.secret_hash.as_deref(), Some(TokenHash::of(secret).0.as_str()));
        assert_eq!(row.redirect_uris, r#"["https://bot.example.com/cb","http://127.0.0.1:9000/cb"]"#);
        let service = OAuthService::new(db.store.clone(), Arc::new(SystemClock));
        let presented = |secret: &str| ClientCredentials {
            client_id: client_id.to_owned(), secret: Some(secret.to_owned()), via_basic: false,
        };
        assert_eq!(service.authenticate(&presented(secret)).await.unwrap().id, id);
        assert!(service.authenticate(&presented("wrong")).await.is_err());

        let out = run(&mut admin(&["token", "issue", "--user", "creator@example.org", "--client", client_id,
            "--scope", "campaigns identity  campaigns.members", "--json"])).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let issued: Value = serde_json::from_slice(&out.stdout).unwrap();
        let keys: Vec<&str> = issued.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["access_token", "expires_in", "refresh_token", "scope", "token_type", "version"]);
        assert_eq!(issued["expires_in"], 2_678_400);
        assert_eq!(issued["token_type"], "Bearer");
        assert_eq!(issued["version"], "0.0.1");
        assert_eq!(issued["scope"], "identity campaigns campaigns.members");
        let grant = service.check_access_token(issued["access_token"].as_str().unwrap()).await.unwrap().unwrap();
        assert_eq!(grant.client_id, id);
        assert_eq!(grant.scopes.to_string(), "identity campaigns campaigns.members");
        let user = db.store.user_by_email("creator@example.org").await.unwrap().unwrap();
        assert_eq!(grant.user_id, user.id);

        for (args, says) in [
            (vec!["client", "create", "--owner", "nobody@example.org", "--name", "x", "--redirect-uri",
                "https://a.example/cb"], "owner: no account with e-mail nobody@example.org"),
            (vec!["client", "create", "--owner", "creator@example.org", "--name", "x", "--redirect-uri",
                "http://evil.example/cb"], "redirect-uri:"),
            (vec!["token", "issue", "--user", "creator@example.org", "--client", client_id, "--scope",
                "identity bogus"], "scope: unknown scope \"bogus\""),
            (vec!["token", "issue", "--user", "creator@example.org", "--client", "nope", "--scope",
                "identity"], "client: no OAuth client \"nope\""),
        ] {
            let out = run(&mut admin(&args)).await;
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        }
        assert_eq!(db.store.oauth_clients_owned_by(user.id).await.unwrap().len(), 1);
    }
}
