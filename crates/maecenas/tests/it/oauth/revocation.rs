//! Revocation (RFC 7009), introspection (RFC 7662) and metadata (RFC 8414) over HTTP on both
//! backends (security-reliability §1.8–1.10, §10 items 9–10).

use maecenas_testkit::both_backends;
use maecenas_types::Clock;
use reqwest::Response;
use serde_json::{Value, json};

use super::fixture::{Fixture, error, outcome, register, text, tokens};

impl Fixture {
    /// Tokens for the fixture's client through the token endpoint.
    async fn pair(&self) -> Value {
        let code = self.code(None).await;
        tokens(self.exchange(&code, &[]).await).await
    }

    async fn revoke_as(&self, id: &str, secret: &str, form: &[(&str, &str)]) -> Response {
        let mut form = form.to_vec();
        form.extend([("client_id", id), ("client_secret", secret)]);
        self.post("/oauth2/revoke")
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    async fn revoke(&self, form: &[(&str, &str)]) -> Response {
        self.revoke_as(&self.client.client_id, &self.secret, form)
            .await
    }

    async fn introspect_as(&self, id: &str, secret: &str, token: &str) -> Response {
        self.post("/oauth2/introspect")
            .form(&[
                ("token", token),
                ("client_id", id),
                ("client_secret", secret),
            ])
            .send()
            .await
            .unwrap()
    }

    async fn introspect(&self, token: &str) -> Value {
        let (status, body) = outcome(
            self.introspect_as(&self.client.client_id, &self.secret, token)
                .await,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// A revocation answer: 200, empty body, not cacheable.
async fn revoked_ok(response: Response) {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.text().await.unwrap(), "");
}

both_backends! {
    async fn oa_43_revoke_unknown_token_200(db: TestDb) {
        let f = Fixture::new(db).await;
        for hint in [None, Some("access_token"), Some("refresh_token"), Some("no_such_hint")] {
            let mut form = vec![("token", "not-a-token-we-issued")];
            form.extend(hint.map(|h| ("token_type_hint", h)));
            revoked_ok(f.revoke(&form).await).await;
        }
        // Already revoked: still 200.
        let pair = f.pair().await;
        for _ in 0..2 {
            revoked_ok(f.revoke(&[("token", text(&pair, "access_token"))]).await).await;
        }
        // Client authentication is required, and the token parameter too.
        let anonymous = f.post("/oauth2/revoke").form(&[("token", "x")]).send().await.unwrap();
        error(anonymous, 401, "invalid_client").await;
        error(f.revoke_as(&f.client.client_id, "wrong", &[("token", "x")]).await, 401, "invalid_client").await;
        error(f.revoke(&[]).await, 400, "invalid_request").await;
        error(f.revoke(&[("token", "a"), ("token", "b")]).await, 400, "invalid_request").await;
    }

    async fn oa_44_cannot_revoke_other_clients_token(db: TestDb) {
        let f = Fixture::new(db).await;
        let pair = f.pair().await;
        let (other, other_secret) = register(&f.app, f.user_id, "Other app").await;
        for token in ["access_token", "refresh_token"] {
            for hint in ["access_token", "refresh_token"] {
                revoked_ok(
                    f.revoke_as(&other.client_id, &other_secret,
                        &[("token", text(&pair, token)), ("token_type_hint", hint)]).await,
                )
                .await;
            }
        }
        // Nothing happened: the access token works and the refresh token refreshes.
        assert!(f.access_is_valid(text(&pair, "access_token")).await);
        tokens(f.refresh(text(&pair, "refresh_token")).await).await;
    }

    async fn revoke_refresh_revokes_grant(db: TestDb) {
        let f = Fixture::new(db).await;
        // A refresh token, named with the wrong hint, over Basic on the /api path.
        let pair = f.pair().await;
        let response = f.post("/api/oauth2/revoke")
            .basic_auth(&f.client.client_id, Some(&f.secret))
            .form(&[("token", text(&pair, "refresh_token")), ("token_type_hint", "access_token")])
            .send().await.unwrap();
        revoked_ok(response).await;
        assert!(!f.access_is_valid(text(&pair, "access_token")).await);
        error(f.refresh(text(&pair, "refresh_token")).await, 400, "invalid_grant").await;
        assert_eq!(f.introspect(text(&pair, "access_token")).await, json!({"active": false}));

        // An access token alone: the grant lives on and its refresh token still works.
        let pair = f.pair().await;
        revoked_ok(f.revoke(&[("token", text(&pair, "access_token"))]).await).await;
        assert!(!f.access_is_valid(text(&pair, "access_token")).await);
        let fresh = tokens(f.refresh(text(&pair, "refresh_token")).await).await;
        assert!(f.access_is_valid(text(&fresh, "access_token")).await);
    }

    async fn oa_46_introspection_requires_client_auth(db: TestDb) {
        let f = Fixture::new(db).await;
        let pair = f.pair().await;
        let access = text(&pair, "access_token");
        // A bearer token is no client authentication.
        let bearer = f.post("/oauth2/introspect").bearer_auth(access).form(&[("token", access)])
            .send().await.unwrap();
        error(bearer, 401, "invalid_client").await;
        error(f.introspect_as(&f.client.client_id, "wrong", access).await, 401, "invalid_client").await;
        error(f.introspect_as("no-such-client", &f.secret, access).await, 401, "invalid_client").await;
        let basic = f.post("/oauth2/introspect").basic_auth(&f.client.client_id, Some("wrong"))
            .form(&[("token", access)]).send().await.unwrap();
        assert_eq!(basic.headers()["www-authenticate"], "Basic realm=\"maecenas\"");
        error(basic, 401, "invalid_client").await;
        // Basic with the right secret works.
        let ok = f.post("/api/oauth2/introspect").basic_auth(&f.client.client_id, Some(&f.secret))
            .form(&[("token", access)]).send().await.unwrap();
        let (status, body) = outcome(ok).await;
        assert_eq!((status, &body["active"]), (200, &json!(true)));
    }

    async fn oa_47_inactive_is_only_active_false(db: TestDb) {
        let f = Fixture::new(db).await;
        let inactive = json!({"active": false});
        assert_eq!(f.introspect("total-bs").await, inactive);
        // Another client's live token.
        let (other, other_secret) = register(&f.app, f.user_id, "Other app").await;
        let pair = f.pair().await;
        let (_, body) = outcome(f.introspect_as(&other.client_id, &other_secret, text(&pair, "access_token")).await).await;
        assert_eq!(body, inactive);
        // A spent refresh token.
        let fresh = tokens(f.refresh(text(&pair, "refresh_token")).await).await;
        assert_eq!(f.introspect(text(&pair, "refresh_token")).await, inactive);
        // Revoked.
        revoked_ok(f.revoke(&[("token", text(&fresh, "access_token"))]).await).await;
        assert_eq!(f.introspect(text(&fresh, "access_token")).await, inactive);
        // Expired (31 days).
        let pair = f.pair().await;
        assert_eq!(f.introspect(text(&pair, "access_token")).await["active"], true);
        f.app.clock.advance(chrono::Duration::seconds(2_678_400));
        assert_eq!(f.introspect(text(&pair, "access_token")).await, inactive);
        assert_eq!(f.introspect(text(&pair, "refresh_token")).await["active"], true);
    }

    async fn introspect_active_fields(db: TestDb) {
        let f = Fixture::new(db).await;
        let issued_at = f.app.clock.now().timestamp();
        let pair = f.pair().await;
        let body = f.introspect(text(&pair, "access_token")).await;
        let issuer = format!("http://{}", f.app.addr);
        assert_eq!(
            body,
            json!({
                "active": true,
                "scope": "identity identity[email] campaigns",
                "client_id": f.client.client_id,
                "sub": f.user_id.to_string(),
                "token_type": "Bearer",
                "exp": issued_at + 2_678_400,
                "iat": issued_at,
                "iss": issuer,
            })
        );
        // A refresh token is described too, without an access-token type.
        let body = f.introspect(text(&pair, "refresh_token")).await;
        assert_eq!(body["active"], true);
        assert_eq!(body["sub"], f.user_id.to_string());
        assert!(body.get("token_type").is_none(), "{body}");
    }

    async fn oa_50_metadata_exact_issuer_and_s256(db: TestDb) {
        let f = Fixture::new(db).await;
        let response = f.app.client().get(f.app.url("/.well-known/oauth-authorization-server"))
            .send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let doc: Value = response.json().await.unwrap();
        // The test server's public URL is `http://ADDR/`; the issuer drops the slash.
        let issuer = format!("http://{}", f.app.addr);
        assert_eq!(doc["issuer"], issuer);
        assert_eq!(f.app.url("/.well-known/oauth-authorization-server"),
            format!("{issuer}/.well-known/oauth-authorization-server"));
        assert_eq!(doc["authorization_endpoint"], format!("{issuer}/oauth2/authorize"));
        assert_eq!(doc["token_endpoint"], format!("{issuer}/api/oauth2/token"));
        assert_eq!(doc["revocation_endpoint"], format!("{issuer}/oauth2/revoke"));
        assert_eq!(doc["introspection_endpoint"], format!("{issuer}/oauth2/introspect"));
        assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(doc["response_types_supported"], json!(["code", "token"]));
        assert_eq!(doc["grant_types_supported"], json!(["authorization_code", "refresh_token", "implicit"]));
        for key in ["token_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported",
            "introspection_endpoint_auth_methods_supported"] {
            assert_eq!(doc[key], json!(["client_secret_post", "client_secret_basic"]), "{key}");
        }
        let scopes: Vec<&str> = doc["scopes_supported"].as_array().unwrap().iter()
            .map(|s| s.as_str().unwrap()).collect();
        for scope in maecenas_types::Scope::ALL {
            assert!(scopes.contains(&scope.as_str()), "{scope}");
        }
        // The advertised endpoints are the ones that answer, and `iss` matches exactly.
        let pair = f.pair().await;
        let body = tokens(
            f.app.client().post(text(&doc, "introspection_endpoint"))
                .form(&[("token", text(&pair, "access_token")), ("client_id", &f.client.client_id),
                    ("client_secret", &f.secret)])
                .send().await.unwrap(),
        )
        .await;
        assert_eq!(body["iss"], doc["issuer"]);
        let revoked = f.app.client().post(text(&doc, "revocation_endpoint"))
            .form(&[("token", text(&pair, "access_token")), ("client_id", &f.client.client_id),
                ("client_secret", &f.secret)])
            .send().await.unwrap();
        revoked_ok(revoked).await;
        assert!(!f.access_is_valid(text(&pair, "access_token")).await);
    }
}
