//! Accounts through the real HTTP server: sign up, log in, log out, profile, and every way a
//! form can be wrong — each on SQLite and PostgreSQL.

use maecenas_testkit::{TestApp, both_backends};
use reqwest::StatusCode;

use crate::support::{csrf_token, location, log_in, sign_up, submit};

const PASSWORD: &str = "correct horse battery";

both_backends! {
    async fn sign_up_log_out_log_in(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let client = app.client();

        let created = sign_up(&app, &client, "Ada@Example.org", PASSWORD).await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&created), "/profile");
        let cookie = created
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("maecenas_session="))
            .expect("session cookie set");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain-http public URL must not set Secure: {cookie}");
        let token = cookie.split(';').next().unwrap().trim_start_matches("maecenas_session=");
        let stored = app.db.store.list_users().await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].email, "ada@example.org", "e-mail is normalised");
        assert!(stored[0].password_hash.as_deref().unwrap().starts_with("$argon2id$"));
        assert!(!stored[0].password_hash.as_deref().unwrap().contains(token));

        let profile = client.get(app.url("/profile")).send().await.unwrap();
        assert_eq!(profile.status(), StatusCode::OK);
        let html = profile.text().await.unwrap();
        assert!(html.contains("ada@example.org"));
        assert!(html.contains("Ada Lovelace"));

        let logout = client
            .post(app.url("/logout"))
            .form(&[("csrf_token", csrf_token(&html))])
            .send()
            .await
            .unwrap();
        assert_eq!(logout.status(), StatusCode::SEE_OTHER);
        let after = client.get(app.url("/profile")).send().await.unwrap();
        assert_eq!(after.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&after), "/login?next=%2Fprofile");
        // The old token is dead on the server too, not only forgotten by the browser.
        assert!(app.state.sessions().user(token).await.unwrap().is_none());

        let back = log_in(&app, &client, "ada@example.org", PASSWORD).await;
        assert_eq!(back.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&back), "/profile");
        let profile = client.get(app.url("/profile")).send().await.unwrap();
        assert_eq!(profile.status(), StatusCode::OK);
        app.stop().await;
    }

    async fn wrong_password_is_refused(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let client = app.client();
        assert_eq!(sign_up(&app, &client, "bo@example.org", PASSWORD).await.status(), 303);
        let other = app.client();
        for (email, password) in [("bo@example.org", "wrong horse battery"), ("nobody@example.org", PASSWORD)] {
            let response = log_in(&app, &other, email, password).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            let html = response.text().await.unwrap();
            assert!(html.contains("That e-mail and password do not match an account."), "{html}");
            assert!(!html.contains("maecenas_session"));
        }
        let profile = other.get(app.url("/profile")).send().await.unwrap();
        assert_eq!(profile.status(), StatusCode::SEE_OTHER);
        app.stop().await;
    }

    async fn repeated_failures_are_throttled(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let client = app.client();
        assert_eq!(sign_up(&app, &client, "cy@example.org", PASSWORD).await.status(), 303);
        let guesser = app.client();
        for _ in 0..5 {
            let response = log_in(&app, &guesser, "cy@example.org", "not the password").await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        // Even the right password waits now: the guesser learns nothing.
        let locked = log_in(&app, &guesser, "cy@example.org", PASSWORD).await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
        assert!(locked.text().await.unwrap().contains("Too many attempts"));
        // The limiter runs on the injected clock: once the wait is over, one attempt comes back.
        app.clock.advance(chrono::Duration::seconds(i64::try_from(wait).unwrap()));
        let back = log_in(&app, &guesser, "cy@example.org", PASSWORD).await;
        assert_eq!(back.status(), StatusCode::SEE_OTHER);
        // …and only one: the account is limited again, whoever asks.
        assert_eq!(log_in(&app, &app.client(), "cy@example.org", PASSWORD).await.status(), 429);
        app.stop().await;
    }

    async fn taken_email_is_refused_and_nothing_written(db: TestDb) {
        let app = TestApp::spawn(db).await;
        assert_eq!(sign_up(&app, &app.client(), "di@example.org", PASSWORD).await.status(), 303);
        let again = sign_up(&app, &app.client(), " DI@example.org ", "another good secret").await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert!(again.text().await.unwrap().contains("already exists"));
        assert_eq!(app.db.store.count_users().await.unwrap(), 1);
        app.stop().await;
    }

    async fn weak_password_and_bad_email_are_refused(db: TestDb) {
        let app = TestApp::spawn(db).await;
        for (email, password, says) in [
            ("ed@example.org", "short", "at least 10 characters"),
            ("ed@example.org", "password123", "too easy to guess"),
            ("ed@example.org", "aaaaaaaaaaaaaaaa", "too easy to guess"),
            ("not-an-email", PASSWORD, "needs an @"),
        ] {
            let response = sign_up(&app, &app.client(), email, password).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{email} {password}");
            let html = response.text().await.unwrap();
            assert!(html.contains(says), "expected {says:?} in {html}");
            assert!(!html.contains(password) || password == PASSWORD, "password echoed back");
        }
        assert_eq!(app.db.store.count_users().await.unwrap(), 0);
        app.stop().await;
    }

    async fn oversized_body_is_refused_and_nothing_written(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let client = app.client();
        let html = client.get(app.url("/signup")).send().await.unwrap().text().await.unwrap();
        let token = csrf_token(&html);
        let huge = "x".repeat(100 * 1024);
        let response = client
            .post(app.url("/signup"))
            .form(&[("csrf_token", token.as_str()), ("email", "fi@example.org"), ("password", PASSWORD), ("name", &huge)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(response.text().await.unwrap().contains("larger than this server accepts"));
        assert_eq!(app.db.store.count_users().await.unwrap(), 0);
        app.stop().await;
    }

    async fn forms_without_csrf_token_are_refused(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let client = app.client();
        // A page on another site can post the form but can neither read the cookie nor sign it.
        let _ = client.get(app.url("/signup")).send().await.unwrap();
        for token in ["", "forged"] {
            let response = client
                .post(app.url("/signup"))
                .form(&[("csrf_token", token), ("email", "gu@example.org"), ("password", PASSWORD)])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
            assert!(response.text().await.unwrap().contains("did not come from this site"));
        }
        // A valid token without its cookie (another browser's) is refused too.
        let html = client.get(app.url("/signup")).send().await.unwrap().text().await.unwrap();
        let stolen = csrf_token(&html);
        let response = app
            .client()
            .post(app.url("/signup"))
            .form(&[("csrf_token", stolen.as_str()), ("email", "gu@example.org"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.db.store.count_users().await.unwrap(), 0);
        app.stop().await;
    }

    async fn profile_edits_are_saved(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let client = app.client();
        assert_eq!(sign_up(&app, &client, "ha@example.org", PASSWORD).await.status(), 303);
        let saved = submit(&app, &client, "/profile", "/profile", &[("name", "Hypatia"), ("about", "<b>maths</b>")]).await;
        assert_eq!(saved.status(), StatusCode::OK);
        let html = saved.text().await.unwrap();
        assert!(html.contains("Profile saved."));
        assert!(html.contains("&#60;b&#62;maths&#60;/b&#62;"), "HTML in the about text is escaped");
        assert!(!html.contains("<b>maths</b>"));
        let too_long = "n".repeat(101);
        let refused = submit(&app, &client, "/profile", "/profile", &[("name", &too_long), ("about", "")]).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.db.store.list_users().await.unwrap()[0].full_name, "Hypatia");
        app.stop().await;
    }

    async fn pages_cannot_be_framed_and_probes_answer(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let client = app.client();
        for path in ["/", "/login", "/signup", "/no-such-page"] {
            let response = client.get(app.url(path)).send().await.unwrap();
            let headers = response.headers();
            assert_eq!(headers["x-frame-options"], "DENY", "{path}");
            assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert!(headers.contains_key("x-request-id"));
        }
        let missing = client.get(app.url("/no-such-page")).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert!(missing.text().await.unwrap().contains("There is no page at this address."));
        let health = client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        assert_eq!(health.text().await.unwrap(), r#"{"status":"ok"}"#);
        let ready = client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.text().await.unwrap(), r#"{"status":"ready"}"#);
        app.stop().await;
    }

    async fn login_never_redirects_off_site(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let client = app.client();
        assert_eq!(sign_up(&app, &client, "io@example.org", PASSWORD).await.status(), 303);
        let other = app.client();
        let html = other.get(app.url("/login?next=//evil.example/x")).send().await.unwrap().text().await.unwrap();
        let response = other
            .post(app.url("/login"))
            .form(&[("csrf_token", csrf_token(&html).as_str()), ("email", "io@example.org"), ("password", PASSWORD), ("next", "https://evil.example/")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/profile");
        app.stop().await;
    }
}

both_backends! {
    async fn readyz_reports_an_unreachable_database(db: TestDb) {
        let app = TestApp::spawn(db).await;
        app.db.store.clone().close().await.unwrap();
        let ready = app.client().get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(ready.text().await.unwrap().contains("database unreachable"));
        app.stop().await;
    }
}
