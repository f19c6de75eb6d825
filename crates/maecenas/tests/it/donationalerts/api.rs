//! The four endpoints answering well-formed requests: values checked against the seed.

use chrono::{Duration, TimeZone, Utc};
use maecenas_store::{events, money::NewDonation};
use maecenas_testkit::both_backends;
use maecenas_types::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Demo, send};

both_backends! {
    async fn da_user_oauth_is_the_profile_with_a_socket_token(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.token(&d.creds.creator.email, "oauth-user-show").await;
        let (status, body) = send(d.get("/api/v1/user/oauth").bearer_auth(&token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let data = &body["data"];
        assert_eq!(data["id"], d.creator.id);
        assert_eq!(data["code"], "noravance");
        assert_eq!(data["name"], "Nora Vance");
        assert_eq!(data["email"], "creator@maecenas.example");
        assert_eq!(data["language"], "en_US");
        assert!(data["avatar"].is_string());
        let keys: Vec<&String> = data.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 7, "{keys:?}");
        let socket = data["socket_connection_token"].as_str().unwrap();
        let claims = d.app.state.realtime().key().verify_connection(socket, d.app.clock.now()).unwrap();
        assert_eq!(claims.user, d.creator.id.to_string());
        assert_eq!(claims.exp, None, "DA clients never refresh it");
    }

    async fn da_donations_newest_first_with_every_field(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.token(&d.creds.creator.email, "oauth-donation-index").await;
        let (status, body) = send(d.get("/api/v1/alerts/donations").bearer_auth(&token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let data = body["data"].as_array().unwrap();
        assert_eq!(data.len(), 10);
        let rows = d.app.db.store.donations_to(d.creator.id, 100).await.unwrap();
        let ids: Vec<i64> = data.iter().map(|x| x["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, rows.iter().map(|r| r.id).collect::<Vec<_>>(), "newest first");
        // The newest seed donation: Ana, 10 BRL an hour before the seed, not shown yet.
        let ana = &data[0];
        let expected_keys = [
            "amount", "amount_in_user_currency", "created_at", "created_at_ts", "currency", "id",
            "is_shown", "message", "message_type", "name", "payin_system", "reason", "recipient",
            "recipient_name", "shown_at", "shown_at_ts", "username",
        ];
        let mut keys: Vec<&str> = ana.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, expected_keys);
        assert_eq!(ana["username"], "Ana");
        assert_eq!(ana["message"], "Primeira doação, boa sorte!");
        assert_eq!(ana["message_type"], "text");
        assert_eq!(ana["name"], "Donations");
        assert_eq!(ana["amount"], json!(10));
        assert_eq!(ana["currency"], "BRL");
        assert_eq!(ana["is_shown"], 0);
        assert_eq!(ana["created_at"], "2026-11-01 11:00:00");
        let created = Utc.with_ymd_and_hms(2026, 11, 1, 11, 0, 0).unwrap();
        assert_eq!(ana["created_at_ts"], created.timestamp());
        assert_eq!(ana["shown_at"], Value::Null);
        assert_eq!(ana["shown_at_ts"], Value::Null);
        assert_eq!(ana["recipient_name"], "Nora Vance");
        assert_eq!(ana["recipient"]["user_id"], d.creator.id);
        assert_eq!(ana["recipient"]["code"], "noravance");
        assert_eq!(ana["payin_system"], "sandbox");
        assert_eq!(ana["reason"], "Donation");
        let in_usd = rows[0].amount_in_user_currency_cents;
        assert_eq!(ana["amount_in_user_currency"].as_f64().unwrap(), in_usd as f64 / 100.0);
        // The oldest: Vasya, 500 RUB ten days before, shown.
        let vasya = &data[9];
        assert_eq!(vasya["username"], "Vasya");
        assert_eq!(vasya["amount"], json!(500));
        assert_eq!(vasya["currency"], "RUB");
        assert_eq!(vasya["is_shown"], 1);
        assert_eq!(vasya["created_at"], "2026-10-22 12:00:00");
        assert!(vasya["shown_at"].is_string());
        let path = d.app.url("/api/v1/alerts/donations");
        assert_eq!(body["links"], json!({
            "first": format!("{path}?page=1"), "last": format!("{path}?page=1"),
            "prev": null, "next": null,
        }));
        let meta = &body["meta"];
        assert_eq!(
            (meta["current_page"].clone(), meta["from"].clone(), meta["last_page"].clone(), meta["per_page"].clone(), meta["to"].clone(), meta["total"].clone()),
            (json!(1), json!(1), json!(1), json!(30), json!(10), json!(10))
        );
        assert_eq!(meta["path"], path);
    }

    async fn da_donations_pages_of_thirty(db: TestDb) {
        let d = Demo::new(db).await;
        let now = d.app.clock.now();
        let more: Vec<NewDonation> = (0..25).map(|i| NewDonation {
            recipient_user_id: d.creator.id,
            donor_user_id: None,
            username: format!("fan{i}"),
            message: String::new(),
            amount_cents: 12_50,
            currency: "USD".to_owned(),
            amount_in_user_currency_cents: 12_50,
            payin_system: "sandbox".to_owned(),
            created_at: now + Duration::minutes(i),
            shown_at: None,
        }).collect();
        d.app.db.store.create_donations(more).await.unwrap();
        let token = d.token(&d.creds.creator.email, "oauth-donation-index").await;
        let path = d.app.url("/api/v1/alerts/donations");
        let (status, one) = send(d.get("/api/v1/alerts/donations?page=1").bearer_auth(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(one["data"].as_array().unwrap().len(), 30);
        assert_eq!(one["data"][0]["username"], "fan24");
        assert_eq!(one["data"][0]["amount"], json!(12.5));
        assert_eq!(one["links"]["next"], format!("{path}?page=2"));
        assert_eq!(one["links"]["last"], format!("{path}?page=2"));
        assert_eq!(one["meta"]["to"], 30);
        assert_eq!(one["meta"]["total"], 35);
        let (_, two) = send(d.get("/api/v1/alerts/donations?page=2").bearer_auth(&token)).await;
        let names: Vec<&str> = two["data"].as_array().unwrap().iter().map(|x| x["username"].as_str().unwrap()).collect();
        assert_eq!(names, ["Mert", "Joao", "Marie", "pixelfan", "Vasya"]);
        assert_eq!(two["links"]["prev"], format!("{path}?page=1"));
        assert_eq!(two["links"]["next"], Value::Null);
        assert_eq!((two["meta"]["from"].clone(), two["meta"]["to"].clone()), (json!(31), json!(35)));
        let labels: Vec<&str> = two["meta"]["links"].as_array().unwrap().iter().map(|l| l["label"].as_str().unwrap()).collect();
        assert_eq!(labels, ["&laquo; Previous", "1", "2", "Next &raquo;"]);
        assert_eq!(two["meta"]["links"][2]["active"], true);
        let (_, past) = send(d.get("/api/v1/alerts/donations?page=3").bearer_auth(&token)).await;
        assert_eq!(past["data"], json!([]));
        assert_eq!((past["meta"]["from"].clone(), past["meta"]["to"].clone()), (Value::Null, Value::Null));
    }

    async fn da_custom_alert_from_json_form_and_query(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.token(&d.creds.creator.email, "oauth-custom_alert-store").await;
        let (status, json_body) = send(d.post("/api/v1/custom_alert").bearer_auth(&token).json(&json!({
            "external_id": "ext-1", "header": "Hello", "message": "World", "is_shown": 1,
            "image_url": "https://img.example/a.png", "sound_url": null,
        }))).await;
        assert_eq!(status, StatusCode::OK, "{json_body}");
        let alert = &json_body["data"];
        assert_eq!(alert["external_id"], "ext-1");
        assert_eq!(alert["header"], "Hello");
        assert_eq!(alert["message"], "World");
        assert_eq!(alert["is_shown"], 1);
        assert_eq!(alert["image_url"], "https://img.example/a.png");
        assert_eq!(alert["sound_url"], Value::Null);
        assert_eq!(alert["created_at"], "2026-11-01 12:00:00");
        assert_eq!(alert["shown_at"], "2026-11-01 12:00:00");
        // DonationAlertsAPI's form, with `headline`.
        let (status, form) = send(d.post("/api/v1/custom_alert").bearer_auth(&token)
            .form(&[("external_id", "ext-2"), ("headline", "From a form"), ("message", "m"), ("is_shown", "0")])).await;
        assert_eq!(status, StatusCode::OK, "{form}");
        assert_eq!(form["data"]["header"], "From a form");
        assert_eq!(form["data"]["is_shown"], 0);
        assert_eq!(form["data"]["shown_at"], Value::Null);
        // The UE plugin: the query string and an empty body.
        let (status, query) = send(d.post("/api/v1/custom_alert?dummy=1&header=Q&message=from%20query").bearer_auth(&token)).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(query["data"]["message"], "from query");
        let ids: Vec<String> = [&json_body, &form, &query].iter().map(|b| b["data"]["id"].to_string()).collect();
        let events = d.app.db.store.events_after(0, 1000).await.unwrap();
        let alert_events: Vec<&String> = events.iter()
            .filter(|e| e.kind == events::CUSTOM_ALERT_CREATE)
            .map(|e| &e.subject_id).collect();
        assert_eq!(alert_events, ids.iter().collect::<Vec<_>>(), "one event per alert");
    }

    async fn da_subscribe_signs_only_permitted_channels(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.token(&d.creds.creator.email, "oauth-donation-subscribe oauth-goal-subscribe").await;
        let me = d.creator.id;
        let client = "d558c046-c679-43e3-a62d-65989ab55f7c";
        let asked = json!({"client": client, "channels": [
            format!("$alerts:donation_{me}"), format!("$alerts:donation_{}", me + 1),
            format!("$goals:goal_{me}"), format!("$polls:poll_{me}"), "$other:thing", "public",
        ]});
        let (status, body) = send(d.post("/api/v1/centrifuge/subscribe").bearer_auth(&token).json(&asked)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let channels = body["channels"].as_array().unwrap();
        let names: Vec<&str> = channels.iter().map(|c| c["channel"].as_str().unwrap()).collect();
        assert_eq!(names, [format!("$alerts:donation_{me}"), format!("$goals:goal_{me}")]);
        let key = d.app.state.realtime().key();
        for c in channels {
            key.verify_subscription(c["token"].as_str().unwrap(), client, c["channel"].as_str().unwrap(), d.app.clock.now()).unwrap();
        }
        // A form with `channels[]`, as PHP reads arrays; and the query string.
        let channel = format!("$alerts:donation_{me}");
        let (_, form) = send(d.post("/api/v1/centrifuge/subscribe").bearer_auth(&token)
            .form(&[("client", client), ("channels[]", channel.as_str())])).await;
        assert_eq!(form["channels"][0]["channel"], channel);
        let (_, query) = send(d.post(&format!("/api/v1/centrifuge/subscribe?client={client}&channels[0]=%24alerts%3Adonation_{me}")).bearer_auth(&token)).await;
        assert_eq!(query["channels"][0]["channel"], channel);
        // Without the subscribe scope: answered, but nothing signed.
        let other = d.token(&d.creds.creator.email, "oauth-user-show").await;
        let (status, none) = send(d.post("/api/v1/centrifuge/subscribe").bearer_auth(&other).json(&asked)).await;
        assert_eq!((status, none), (StatusCode::OK, json!({"channels": []})));
    }
}
