//! The OAuth token endpoints over real HTTP on both backends: parameters wherever clients put
//! them, client authentication, single-use codes, PKCE, refresh rotation and races. Tests are
//! named after the requirement they check (`security-reliability.md` §1). `admin client` and
//! `admin token` are in [`cli`]; revocation, introspection and metadata in [`revocation`]; the
//! developer portal in [`portal`]; the authorization endpoints in [`authorize`]; consent, codes,
//! the implicit grant and connected apps in [`consent`].

mod authorize;
mod browser;
mod cli;
mod consent;
mod fixture;
mod limits;
mod portal;
mod real_clients;
mod revocation;

use maecenas_testkit::both_backends;
use serde_json::json;

use fixture::{CHALLENGE, Fixture, REDIRECT, VERIFIER, error, outcome, register, text, tokens};

both_backends! {
    async fn oa_26_params_in_query_form_or_json(db: TestDb) {
        let f = Fixture::new(db).await;
        // Form body (most clients), on the legacy path too.
        for path in ["/api/oauth2/token", "/oauth2/token"] {
            let code = f.code(None).await;
            let body = tokens(
                f.post(path)
                    .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT),
                        ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
                    .send().await.unwrap(),
            )
            .await;
            let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys.len(), 6, "{body}");
            assert_eq!(body["expires_in"], 2_678_400);
            assert_eq!(body["token_type"], "Bearer");
            assert_eq!(body["version"], "0.0.1");
            assert_eq!(body["scope"], "identity identity[email] campaigns");
            assert!(f.access_is_valid(text(&body, "access_token")).await);
            assert_ne!(body["access_token"], body["refresh_token"]);
        }
        // patreon==0.5.0: everything in the query string of a POST with an empty body.
        let code = f.code(None).await;
        let body = tokens(
            f.post("/api/oauth2/token")
                .query(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT),
                    ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
                .send().await.unwrap(),
        )
        .await;
        assert!(f.access_is_valid(text(&body, "access_token")).await);
        // A JSON body (the Laravel example).
        let code = f.code(None).await;
        let body = tokens(
            f.post("/api/oauth2/token")
                .json(&json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                    "client_id": f.client.client_id, "client_secret": f.secret}))
                .send().await.unwrap(),
        )
        .await;
        assert!(f.access_is_valid(text(&body, "access_token")).await);
        // Split between query and body.
        let code = f.code(None).await;
        let body = tokens(
            f.post("/api/oauth2/token?grant_type=authorization_code")
                .form(&[("code", code.as_str()), ("redirect_uri", REDIRECT),
                    ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
                .send().await.unwrap(),
        )
        .await;
        assert!(f.access_is_valid(text(&body, "access_token")).await);
    }

    async fn oa_28_invalid_client(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        let form = |id: &str, secret: &str| {
            vec![("grant_type", "authorization_code".to_owned()), ("code", code.clone()),
                ("redirect_uri", REDIRECT.to_owned()), ("client_id", id.to_owned()), ("client_secret", secret.to_owned())]
        };
        for (id, secret) in [("no-such-client", f.secret.as_str()), (f.client.client_id.as_str(), "wrong"),
            (f.client.client_id.as_str(), "")] {
            let response = f.post("/api/oauth2/token").form(&form(id, secret)).send().await.unwrap();
            assert!(response.headers().get("www-authenticate").is_none());
            error(response, 401, "invalid_client").await;
        }
        // Failed Basic authentication gets the challenge.
        let response = f.post("/api/oauth2/token")
            .basic_auth(&f.client.client_id, Some("wrong"))
            .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT)])
            .send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Basic realm=\"maecenas\"");
        error(response, 401, "invalid_client").await;
        // The code survived all of that.
        tokens(f.exchange(&code, &[]).await).await;
    }

    async fn oa_29_basic_auth(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        let body = tokens(
            f.post("/api/oauth2/token")
                .basic_auth(&f.client.client_id, Some(&f.secret))
                .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT)])
                .send().await.unwrap(),
        )
        .await;
        assert!(f.access_is_valid(text(&body, "access_token")).await);
        // Basic and client_secret_post at once.
        let code = f.code(None).await;
        let response = f.post("/api/oauth2/token")
            .basic_auth(&f.client.client_id, Some(&f.secret))
            .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT),
                ("client_secret", &f.secret)])
            .send().await.unwrap();
        error(response, 400, "invalid_request").await;
    }

    async fn oa_23_reused_code_revokes_tokens(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        let first = tokens(f.exchange(&code, &[]).await).await;
        assert!(f.access_is_valid(text(&first, "access_token")).await);
        error(f.exchange(&code, &[]).await, 400, "invalid_grant").await;
        assert!(!f.access_is_valid(text(&first, "access_token")).await, "access token from the code revoked");
        error(f.refresh(text(&first, "refresh_token")).await, 400, "invalid_grant").await;
        // Other grants are untouched.
        let other = tokens(f.exchange(&f.code(None).await, &[]).await).await;
        assert!(f.access_is_valid(text(&other, "access_token")).await);
    }

    async fn oa_22_expired_code(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        f.app.clock.advance(chrono::Duration::seconds(59));
        let fresh = f.code(None).await;
        f.app.clock.advance(chrono::Duration::seconds(2));
        error(f.exchange(&code, &[]).await, 400, "invalid_grant").await;
        tokens(f.exchange(&fresh, &[]).await).await;
    }

    async fn oa_24_code_bound_to_redirect_uri_and_client(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        for wrong in ["https://client.example.com/cb/", "https://CLIENT.example.com/cb", "https://client.example.com/cb?x=1",
            "https://client.example.com:443/cb"] {
            let response = f.post("/api/oauth2/token")
                .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", wrong),
                    ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
                .send().await.unwrap();
            error(response, 400, "invalid_grant").await;
        }
        let (other, other_secret) = register(&f.app, f.user_id, "Another app").await;
        let response = f.post("/api/oauth2/token")
            .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT),
                ("client_id", &other.client_id), ("client_secret", &other_secret)])
            .send().await.unwrap();
        error(response, 400, "invalid_grant").await;
        // Neither attempt burned the code or revoked anything.
        tokens(f.exchange(&code, &[]).await).await;
    }

    async fn oa_19_pkce_verifier_required_iff_challenge(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(Some(CHALLENGE)).await;
        error(f.exchange(&code, &[]).await, 400, "invalid_grant").await;
        let wrong = "x".repeat(43);
        error(f.exchange(&code, &[("code_verifier", &wrong)]).await, 400, "invalid_grant").await;
        error(f.exchange(&code, &[("code_verifier", "short")]).await, 400, "invalid_request").await;
        tokens(f.exchange(&code, &[("code_verifier", VERIFIER)]).await).await;
        // Downgrade: a verifier for a code issued without a challenge.
        let plain = f.code(None).await;
        error(f.exchange(&plain, &[("code_verifier", VERIFIER)]).await, 400, "invalid_grant").await;
        // Replaying the PKCE code with a wrong verifier is refused without revoking (OA-23).
        error(f.exchange(&code, &[("code_verifier", &wrong)]).await, 400, "invalid_grant").await;
    }

    async fn oa_28_duplicated_parameter(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        let response = f.post(&format!("/api/oauth2/token?code={code}"))
            .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT),
                ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
            .send().await.unwrap();
        error(response, 400, "invalid_request").await;
        let response = f.post("/api/oauth2/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("grant_type=authorization_code&grant_type=refresh_token&code={code}&client_id={}&client_secret={}",
                f.client.client_id, f.secret))
            .send().await.unwrap();
        error(response, 400, "invalid_request").await;
        tokens(f.exchange(&code, &[]).await).await;
    }

    async fn oa_42_unsupported_grant_type(db: TestDb) {
        let f = Fixture::new(db).await;
        for grant in ["password", "client_credentials", "implicit"] {
            let response = f.post("/api/oauth2/token")
                .form(&[("grant_type", grant), ("username", "a"), ("password", "b"),
                    ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
                .send().await.unwrap();
            error(response, 400, "unsupported_grant_type").await;
        }
        let response = f.post("/api/oauth2/token")
            .form(&[("client_id", &f.client.client_id), ("client_secret", &f.secret)])
            .send().await.unwrap();
        error(response, 400, "invalid_request").await;
    }

    async fn ab_oversized_token_body_is_413(db: TestDb) {
        let f = Fixture::new(db).await;
        let padding = "a".repeat(17 * 1024);
        for path in ["/api/oauth2/token", "/oauth/token"] {
            let response = f.post(path)
                .form(&[("grant_type", "authorization_code"), ("padding", &padding)])
                .send().await.unwrap();
            error(response, 413, "invalid_request").await;
        }
    }

    async fn da_integer_client_id_on_oauth_token(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        // alerts-api / kash-88 style: JSON, integer client id, no redirect_uri, a scope to ignore.
        let response = f.post("/oauth/token")
            .json(&json!({"grant_type": "authorization_code", "client_id": f.client.id,
                "client_secret": f.secret, "code": code, "scope": "oauth-user-show"}))
            .send().await.unwrap();
        let body = tokens(response).await;
        let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["access_token", "expires_in", "refresh_token", "token_type"]);
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 31_536_000);
        assert!(f.access_is_valid(text(&body, "access_token")).await);
        // Form-encoded refresh with the integer id.
        let id = f.client.id.to_string();
        let refreshed = tokens(
            f.post("/oauth/token")
                .form(&[("grant_type", "refresh_token"), ("refresh_token", text(&body, "refresh_token")),
                    ("client_id", &id), ("client_secret", &f.secret)])
                .send().await.unwrap(),
        )
        .await;
        assert!(f.access_is_valid(text(&refreshed, "access_token")).await);
    }

    async fn oa_33_refresh_rotation_reuse_revokes_grant(db: TestDb) {
        let f = Fixture::new(db).await;
        let first = tokens(f.exchange(&f.code(None).await, &[]).await).await;
        let second = tokens(f.refresh(text(&first, "refresh_token")).await).await;
        assert_ne!(first["refresh_token"], second["refresh_token"], "rotated");
        assert_eq!(second["scope"], first["scope"]);
        assert!(f.access_is_valid(text(&second, "access_token")).await);
        // The spent refresh token again: refused, and the whole grant dies.
        error(f.refresh(text(&first, "refresh_token")).await, 400, "invalid_grant").await;
        assert!(!f.access_is_valid(text(&second, "access_token")).await);
        assert!(!f.access_is_valid(text(&first, "access_token")).await);
        error(f.refresh(text(&second, "refresh_token")).await, 400, "invalid_grant").await;
    }

    async fn oa_32_refresh_bound_to_client(db: TestDb) {
        let f = Fixture::new(db).await;
        let first = tokens(f.exchange(&f.code(None).await, &[]).await).await;
        let (other, other_secret) = register(&f.app, f.user_id, "Another app").await;
        let response = f.post("/api/oauth2/token")
            .form(&[("grant_type", "refresh_token"), ("refresh_token", text(&first, "refresh_token")),
                ("client_id", &other.client_id), ("client_secret", &other_secret)])
            .send().await.unwrap();
        error(response, 400, "invalid_grant").await;
        tokens(f.refresh(text(&first, "refresh_token")).await).await;
    }

    async fn oa_35_refresh_may_narrow_never_widen(db: TestDb) {
        let f = Fixture::new(db).await;
        let first = tokens(f.exchange(&f.code(None).await, &[]).await).await;
        let wider = f.post("/api/oauth2/token")
            .form(&[("grant_type", "refresh_token"), ("refresh_token", text(&first, "refresh_token")),
                ("scope", "identity campaigns.members"),
                ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
            .send().await.unwrap();
        error(wider, 400, "invalid_scope").await;
        let narrow = tokens(
            f.post("/api/oauth2/token")
                .form(&[("grant_type", "refresh_token"), ("refresh_token", text(&first, "refresh_token")),
                    ("scope", "identity"), ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
                .send().await.unwrap(),
        )
        .await;
        assert_eq!(narrow["scope"], "identity");
        // The new refresh token keeps the original scope.
        let again = tokens(f.refresh(text(&narrow, "refresh_token")).await).await;
        assert_eq!(again["scope"], "identity identity[email] campaigns");
    }

    async fn oa_25_concurrent_code_redemption_one_wins(db: TestDb) {
        let f = std::sync::Arc::new(Fixture::new(db).await);
        let code = f.code(None).await;
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let (f, code) = (f.clone(), code.clone());
            set.spawn(async move { outcome(f.exchange(&code, &[]).await).await });
        }
        let mut wins = 0;
        while let Some(result) = set.join_next().await {
            let (status, body) = result.unwrap();
            match status {
                200 => wins += 1,
                400 => assert_eq!(body["error"], "invalid_grant"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(wins, 1);
    }

    async fn oa_38_concurrent_refresh_race(db: TestDb) {
        let f = std::sync::Arc::new(Fixture::new(db).await);
        let first = tokens(f.exchange(&f.code(None).await, &[]).await).await;
        let refresh = text(&first, "refresh_token").to_owned();
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let (f, refresh) = (f.clone(), refresh.clone());
            set.spawn(async move { outcome(f.refresh(&refresh).await).await });
        }
        let mut winners = Vec::new();
        while let Some(result) = set.join_next().await {
            let (status, body) = result.unwrap();
            match status {
                200 => winners.push(body),
                400 => assert_eq!(body["error"], "invalid_grant"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert!(winners.len() <= 1, "{} refreshes succeeded", winners.len());
        // The losers were reuse: the grant, the winner's new tokens included, is revoked.
        for won in &winners {
            assert!(!f.access_is_valid(text(won, "access_token")).await);
            error(f.refresh(text(won, "refresh_token")).await, 400, "invalid_grant").await;
        }
    }

    async fn oa_31_39_41_secrets_are_random_and_only_their_hashes_stored(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        let first = tokens(f.exchange(&code, &[]).await).await;
        let second = tokens(f.refresh(text(&first, "refresh_token")).await).await;
        let secrets = [
            f.secret.as_str(),
            code.as_str(),
            text(&first, "access_token"),
            text(&first, "refresh_token"),
            text(&second, "access_token"),
            text(&second, "refresh_token"),
        ];
        // OA-39: 256 bits from the OS generator, as 64 hex digits, never twice the same; access
        // and refresh tokens have 12 more in front, their issue time.
        for secret in secrets {
            let tokens = [&first, &second].iter().any(|t| {
                [text(t, "access_token"), text(t, "refresh_token")].contains(&secret)
            });
            assert_eq!(secret.len(), if tokens { 76 } else { 64 }, "{secret}");
            assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()), "{secret}");
        }
        let distinct: std::collections::HashSet<_> = secrets.iter().collect();
        assert_eq!(distinct.len(), secrets.len());
        // OA-31/41: a full dump of the database holds none of them, only their SHA-256.
        let dump = f.app.db.dump();
        assert!(dump.contains(&f.client.client_id), "the dump is of the right database");
        for secret in secrets {
            let random = &secret[secret.len() - 64..];
            assert!(!dump.contains(random), "{secret} is stored in clear");
            assert!(dump.contains(&maecenas_types::TokenHash::of(secret).0), "hash of {secret}");
        }
    }
}
