//! Brute force on the token endpoints is rate limited per client (security-reliability OA-30,
//! RL-06, RL-07), on the injected clock.

use maecenas_testkit::both_backends;

use super::fixture::{Fixture, REDIRECT, error, register, tokens};

both_backends! {
    async fn oa_30_secret_guessing_is_limited_per_client(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        let attempt = |secret: &str| {
            f.post("/api/oauth2/token").form(&[
                ("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT),
                ("client_id", f.client.client_id.as_str()), ("client_secret", secret),
            ])
        };
        // The default allowance: 60 a minute per client.
        for _ in 0..60 {
            error(attempt("guess").send().await.unwrap(), 401, "invalid_client").await;
        }
        let limited = attempt("guess").send().await.unwrap();
        assert_eq!(limited.headers()["retry-after"], "1");
        assert_eq!(limited.headers()["cache-control"], "no-store");
        error(limited, 429, "slow_down").await;
        // Even the right secret waits: a guesser learns nothing while limited.
        error(attempt(&f.secret).send().await.unwrap(), 429, "slow_down").await;

        // Another client is not affected.
        let (other, other_secret) = register(&f.app, f.user_id, "Other app").await;
        let other_code = f.code_for(&other, None).await;
        tokens(
            f.post("/api/oauth2/token")
                .form(&[("grant_type", "authorization_code"), ("code", other_code.as_str()), ("redirect_uri", REDIRECT),
                    ("client_id", other.client_id.as_str()), ("client_secret", other_secret.as_str())])
                .send().await.unwrap(),
        )
        .await;

        // One second later one request's worth has come back.
        f.app.clock.advance(chrono::Duration::seconds(1));
        tokens(attempt(&f.secret).send().await.unwrap()).await;
        error(attempt(&f.secret).send().await.unwrap(), 429, "slow_down").await;
    }
}
