//! `maecenas sandbox donation` as a child process against a running server's database: the row
//! and its event are written by the CLI, and the server's outbox publishes the donation to a
//! socket subscribed before it was made. Bad options are refused with nothing stored. On SQLite
//! and PostgreSQL.

use chrono::TimeZone;
use maecenas_store::{accounts::NewUser, events};
use maecenas_testkit::{TestApp, both_backends};
use maecenas_types::Clock;
use serde_json::{Value, json};

use crate::{
    alerts_outbox::{next_publication, subscribed_socket},
    cli::{maecenas, run, stderr},
};

both_backends! {
    async fn sandbox_donation_from_the_cli_reaches_a_subscribed_socket(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let streamer = app.db.store.create_user(
            NewUser { email: "streamer@example.org".into(), password_hash: None, full_name: "Streamer".into(), vanity: None },
            app.clock.now(),
        ).await.unwrap();
        let mut ws = subscribed_socket(&app, streamer.id).await;

        let dir = tempfile::tempdir().unwrap();
        let url = app.db.isolated_url();
        let out = run(maecenas(dir.path()).args([
            "sandbox", "donation", "--to", "Streamer@Example.org", "--amount", "500", "--currency", "rub",
            "--username", "Ann", "--message", "<b>Привет</b> & \"hi\"", "--json", "--database-url", &url,
        ])).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
        let id = printed["id"].as_i64().unwrap();
        let channel = format!("$alerts:donation_{}", streamer.id);
        assert_eq!(printed["amount"], 500, "major units, as given");
        assert_eq!(printed["currency"], "RUB");
        assert_eq!(printed["username"], "Ann");
        assert_eq!(printed["channel"], channel.as_str());
        assert_eq!(printed["recipient_user_id"], streamer.id);

        // Stored in minor units with its event, through the same transaction.
        let row = app.db.store.donation_by_id(id).await.unwrap().unwrap();
        assert_eq!((row.amount_cents, row.currency.as_str(), row.recipient_user_id), (50_000, "RUB", streamer.id));
        assert_eq!(row.amount_in_user_currency_cents, 500, "500 RUB at the sandbox rate in the streamer's USD");
        let donation_events: Vec<_> = app.db.store.events_after(0, 100).await.unwrap().into_iter()
            .filter(|e| e.kind == events::DONATION_CREATE).collect();
        assert_eq!(donation_events.len(), 1);
        assert_eq!(donation_events[0].subject_id, id.to_string());
        assert_eq!(donation_events[0].user_id, Some(streamer.id));

        // The running server publishes it: the DonationAlerts donation object, field for field.
        let publication = next_publication(&mut ws).await;
        assert_eq!(publication["result"]["channel"], channel.as_str());
        assert!(publication["result"]["data"]["seq"].as_u64().unwrap() >= 1);
        let got = &publication["result"]["data"]["data"];
        let created_at = row.created_at.format("%Y-%m-%d %H:%M:%S").to_string();
        assert_eq!(got, &json!({
            "id": id, "name": "Donations", "username": "Ann", "recipient_name": "Streamer",
            "recipient": {"user_id": streamer.id, "code": format!("id{}", streamer.id), "name": "Streamer", "avatar": ""},
            "message_type": "text", "message": "<b>Привет</b> & \"hi\"", "payin_system": "sandbox",
            "amount": 500, "currency": "RUB", "is_shown": 0, "amount_in_user_currency": 5,
            "created_at": created_at, "created_at_ts": row.created_at.timestamp(),
            "shown_at": null, "shown_at_ts": null, "reason": "Donation",
        }));

        // Human output, an anonymous donor and decimals.
        let out = run(maecenas(dir.path()).args([
            "sandbox", "donation", "--to", "streamer@example.org", "--amount", "12.5", "--currency", "EUR",
            "--database-url", &url,
        ])).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("12.5 EUR from an anonymous donor"), "{text}");
        let anonymous = next_publication(&mut ws).await;
        assert_eq!(anonymous["result"]["data"]["data"]["username"], Value::Null);
        assert_eq!(anonymous["result"]["data"]["data"]["amount"], 12.5);
        assert_eq!(anonymous["result"]["data"]["data"]["amount_in_user_currency"], 13.5);
        app.stop().await;
    }

    async fn sandbox_donation_refuses_bad_options_and_stores_nothing(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let url = db.isolated_url();
        let streamer = db.store.create_user(
            NewUser { email: "streamer@example.org".into(), password_hash: None, full_name: "S".into(), vanity: None },
            chrono::Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
        ).await.unwrap();
        let long_name = "n".repeat(65);
        let long_message = "m".repeat(301);
        for (amount, currency, to, extra, says) in [
            ("0", "RUB", "streamer@example.org", None, "amount: give a positive amount in RUB"),
            ("12.345", "EUR", "streamer@example.org", None, "at most 2 decimals"),
            ("-5", "EUR", "streamer@example.org", None, "amount: give a positive amount"),
            ("1000001", "USD", "streamer@example.org", None, "amount: at most 1000000 USD"),
            ("5", "XYZ", "streamer@example.org", None, "currency: unsupported currency \"XYZ\""),
            ("5", "USD", "nobody@example.org", None, "to: no account with e-mail nobody@example.org"),
            ("5", "USD", "not-an-email", None, "to: "),
            ("5", "USD", "streamer@example.org", Some(("--username", long_name.as_str())), "username: at most 64 characters"),
            ("5", "USD", "streamer@example.org", Some(("--message", long_message.as_str())), "message: at most 300 characters"),
        ] {
            let mut command = maecenas(dir.path());
            let amount_arg = format!("--amount={amount}");
            command.args(["sandbox", "donation", "--to", to, &amount_arg, "--currency", currency, "--database-url", &url]);
            if let Some((flag, value)) = extra {
                command.args([flag, value]);
            }
            let out = run(&mut command).await;
            assert_eq!(out.status.code(), Some(1), "{amount} {currency} {to}");
            assert!(stderr(&out).contains(says), "{amount} {currency} {to}: {}", stderr(&out));
        }
        assert!(db.store.donations_to(streamer.id, 10).await.unwrap().is_empty());
        assert!(db.store.events_after(0, 10).await.unwrap().is_empty(), "no event either");

        let help = run(maecenas(dir.path()).args(["sandbox", "donation", "--help"])).await;
        let help = String::from_utf8_lossy(&help.stdout);
        assert!(help.contains("MAJOR units"), "{help}");
    }
}
