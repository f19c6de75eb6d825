//! Bad input and the edges: no or unknown token, a missing scope, another user's channels,
//! invalid pages, validation errors, unknown paths, the per-application limit on the manual
//! clock, and CORS.

use chrono::Duration;
use maecenas_testkit::both_backends;
use reqwest::StatusCode;
use serde_json::json;

use super::{Demo, send};

both_backends! {
    async fn da_unauthenticated_and_missing_scope(db: TestDb) {
        let d = Demo::new(db).await;
        let unauthenticated = json!({"message": "Unauthenticated."});
        for path in ["/api/v1/user/oauth", "/api/v1/alerts/donations"] {
            assert_eq!(send(d.get(path)).await, (StatusCode::UNAUTHORIZED, unauthenticated.clone()));
            assert_eq!(send(d.get(path).bearer_auth("not-a-token")).await, (StatusCode::UNAUTHORIZED, unauthenticated.clone()));
        }
        assert_eq!(send(d.post("/api/v1/custom_alert")).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(send(d.post("/api/v1/centrifuge/subscribe")).await.0, StatusCode::UNAUTHORIZED);
        let token = d.token(&d.creds.creator.email, "oauth-donation-subscribe").await;
        let forbidden = json!({"message": "Invalid scope(s) provided."});
        assert_eq!(send(d.get("/api/v1/user/oauth").bearer_auth(&token)).await, (StatusCode::FORBIDDEN, forbidden.clone()));
        assert_eq!(send(d.get("/api/v1/alerts/donations").bearer_auth(&token)).await, (StatusCode::FORBIDDEN, forbidden.clone()));
        assert_eq!(send(d.post("/api/v1/custom_alert").bearer_auth(&token).json(&json!({"header": "x"}))).await, (StatusCode::FORBIDDEN, forbidden));
        let token = d.creator_token().await;
        let (status, body) = send(d.get("/api/v1/no/such/thing").bearer_auth(&token)).await;
        assert_eq!((status, body), (StatusCode::NOT_FOUND, json!({"message": "Not Found"})));
        assert_eq!(send(d.post("/api/v1/user/oauth").bearer_auth(&token)).await.0, StatusCode::METHOD_NOT_ALLOWED);
    }

    async fn da_invalid_pages_are_422(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.creator_token().await;
        for (page, message) in [("abc", "The page must be an integer."), ("1.5", "The page must be an integer."),
                                ("0", "The page must be at least 1."), ("-2", "The page must be an integer.")] {
            let (status, body) = send(d.get(&format!("/api/v1/alerts/donations?page={page}")).bearer_auth(&token)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
            assert_eq!(body, json!({"message": message, "errors": {"page": [message]}}), "{page}");
        }
    }

    async fn da_custom_alert_validation(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.creator_token().await;
        let (status, body) = send(d.post("/api/v1/custom_alert").bearer_auth(&token).json(&json!({
            "external_id": "x".repeat(33), "header": "h".repeat(256), "message": "m".repeat(301),
            "is_shown": 2, "image_url": "i".repeat(256), "sound_url": 5,
        }))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body, json!({
            "message": "The external id must not be greater than 32 characters. (and 5 more errors)",
            "errors": {
                "external_id": ["The external id must not be greater than 32 characters."],
                "header": ["The header must not be greater than 255 characters."],
                "message": ["The message must not be greater than 300 characters."],
                "is_shown": ["The is shown field must be 0 or 1."],
                "image_url": ["The image url must not be greater than 255 characters."],
                "sound_url": ["The sound url must be a string."],
            },
        }));
        // Exactly at the limits (counted in characters, not bytes) is fine.
        let (status, ok) = send(d.post("/api/v1/custom_alert").bearer_auth(&token)
            .form(&[("external_id", "я".repeat(32)), ("headline", "ж".repeat(255)), ("message", "m".repeat(300))])).await;
        assert_eq!(status, StatusCode::OK, "{ok}");
        let (status, body) = send(d.post("/api/v1/custom_alert").bearer_auth(&token)
            .header("content-type", "application/json").body("{not json")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(d.app.db.store.events_after(0, 1000).await.unwrap().iter()
            .filter(|e| e.kind == maecenas_store::events::CUSTOM_ALERT_CREATE).count() == 1, "only the valid one was stored");
    }

    async fn da_subscribe_validation(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.creator_token().await;
        let (status, body) = send(d.post("/api/v1/centrifuge/subscribe").bearer_auth(&token).json(&json!({}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"], json!({
            "channels": ["The channels field is required."], "client": ["The client field is required."],
        }));
        let (status, body) = send(d.post("/api/v1/centrifuge/subscribe").bearer_auth(&token)
            .json(&json!({"client": "not-a-uuid", "channels": ["$alerts:donation_1"]}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body, json!({"message": "The client must be a valid UUID.", "errors": {"client": ["The client must be a valid UUID."]}}));
    }

    async fn da_subscribe_never_signs_another_users_channel(db: TestDb) {
        let d = Demo::new(db).await;
        let scopes = "oauth-donation-subscribe oauth-goal-subscribe oauth-poll-subscribe";
        let (creator, patron) = (d.creator.id, d.app.db.store.user_by_email(&d.creds.patron.email).await.unwrap().unwrap().id);
        let client = "d558c046-c679-43e3-a62d-65989ab55f7c";
        let ask = |me: i64, them: i64| json!({"client": client, "channels": [
            format!("$alerts:donation_{them}"), format!("$goals:goal_{them}"), format!("$polls:poll_{them}"),
            format!("$alerts:donation_{them}0"), format!("$alerts:donation_0{me}"), format!("$alerts:donation_{me} "),
        ]});
        // The patron, with every subscribe scope, asks for the creator's channels: nothing.
        let patron_token = d.token(&d.creds.patron.email, scopes).await;
        let (status, body) = send(d.post("/api/v1/centrifuge/subscribe").bearer_auth(&patron_token).json(&ask(patron, creator))).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"channels": []})));
        // And the other way round.
        let creator_token = d.token(&d.creds.creator.email, scopes).await;
        let (status, body) = send(d.post("/api/v1/centrifuge/subscribe").bearer_auth(&creator_token).json(&ask(creator, patron))).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"channels": []})));
        // Nothing lost: each still gets their own.
        let own = json!({"client": client, "channels": [format!("$alerts:donation_{patron}")]});
        let (_, body) = send(d.post("/api/v1/centrifuge/subscribe").bearer_auth(&patron_token).json(&own)).await;
        assert_eq!(body["channels"][0]["channel"], format!("$alerts:donation_{patron}"));
        // A token signed for the patron's own channel is no token for the creator's.
        let key = d.app.state.realtime().key();
        let token = body["channels"][0]["token"].as_str().unwrap();
        assert!(key.verify_subscription(token, client, &format!("$alerts:donation_{creator}"), maecenas_types::Clock::now(d.app.clock.as_ref())).is_err());
    }

    async fn da_sixty_a_minute_per_application(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.creator_token().await;
        // Another user's token through the same application shares the limit.
        let other = d.token(&d.creds.patron.email, "oauth-user-show").await;
        // Every answer carries the limit, as Laravel's throttle sends it.
        let first = d.get("/api/v1/user/oauth").bearer_auth(&token).send().await.unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(first.headers()["x-ratelimit-limit"], "60");
        assert_eq!(first.headers()["x-ratelimit-remaining"], "59");
        for i in 1..60 {
            let t = if i % 2 == 0 { &token } else { &other };
            let (status, _) = send(d.get("/api/v1/user/oauth").bearer_auth(t)).await;
            assert_eq!(status, StatusCode::OK, "request {i}");
        }
        let response = d.get("/api/v1/alerts/donations").bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(header("retry-after"), "1");
        assert_eq!(header("x-ratelimit-limit"), "60");
        assert_eq!(header("x-ratelimit-remaining"), "0");
        assert_eq!(response.json::<serde_json::Value>().await.unwrap(), json!({"message": "Too Many Attempts."}));
        // Unauthenticated requests are refused before they count.
        assert_eq!(send(d.get("/api/v1/user/oauth")).await.0, StatusCode::UNAUTHORIZED);
        d.app.clock.advance(Duration::seconds(1));
        assert_eq!(send(d.get("/api/v1/user/oauth").bearer_auth(&token)).await.0, StatusCode::OK);
        assert_eq!(send(d.get("/api/v1/user/oauth").bearer_auth(&token)).await.0, StatusCode::TOO_MANY_REQUESTS);
    }

    async fn da_cors_for_browser_clients(db: TestDb) {
        let d = Demo::new(db).await;
        let origin = "http://overlay.example:3000";
        let preflight = d.app.client()
            .request(reqwest::Method::OPTIONS, d.app.url("/api/v1/centrifuge/subscribe"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization,content-type,x-requested-with")
            .send().await.unwrap();
        assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
        let h = |r: &reqwest::Response, name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(h(&preflight, "access-control-allow-origin").as_deref(), Some(origin));
        assert_eq!(h(&preflight, "access-control-allow-credentials").as_deref(), Some("true"));
        let allowed = h(&preflight, "access-control-allow-headers").unwrap().to_ascii_lowercase();
        for name in ["authorization", "content-type", "x-requested-with"] {
            assert!(allowed.contains(name), "{allowed}");
        }
        assert!(h(&preflight, "access-control-allow-methods").unwrap().contains("POST"));
        let token = d.creator_token().await;
        let me = d.creator.id;
        let response = d.post("/api/v1/centrifuge/subscribe")
            .header("origin", origin)
            .header("x-requested-with", "XMLHttpRequest")
            .bearer_auth(&token)
            .json(&json!({"client": "d558c046-c679-43e3-a62d-65989ab55f7c", "channels": [format!("$alerts:donation_{me}")]}))
            .send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(h(&response, "access-control-allow-origin").as_deref(), Some(origin));
        assert_eq!(h(&response, "access-control-allow-credentials").as_deref(), Some("true"));
        // Errors carry the headers too, so the browser can read them.
        let denied = d.get("/api/v1/user/oauth").header("origin", origin).send().await.unwrap();
        assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(h(&denied, "access-control-allow-origin").as_deref(), Some(origin));
    }
}
