//! A donation written to the store reaches a Centrifugo subscriber of its recipient's channel
//! through the event outbox — nothing in the request path publishes — with the same donation
//! object the REST API shows. On SQLite and PostgreSQL.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use maecenas_store::{accounts::NewUser, money::NewDonation};
use maecenas_testkit::{TestApp, both_backends};
use maecenas_types::Clock;
use serde_json::Value;
use tokio_tungstenite::{connect_async, tungstenite::Message};

/// A socket connected for `user_id` and subscribed to their donation channel.
pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a socket for `user_id`, connects and subscribes it to `$alerts:donation_<user_id>`.
pub(crate) async fn subscribed_socket(app: &TestApp, user_id: i64) -> Socket {
    let channel = format!("$alerts:donation_{user_id}");
    let (mut ws, _) = connect_async(format!("ws://{}/connection/websocket", app.addr))
        .await
        .unwrap();
    let token = app
        .state
        .realtime()
        .issue_connection_token(&user_id.to_string(), None)
        .unwrap();
    ws.send(Message::text(format!(
        r#"{{"params":{{"token":"{token}"}},"id":1}}"#
    )))
    .await
    .unwrap();
    let client = next_text(&mut ws).await["result"]["client"]
        .as_str()
        .unwrap()
        .to_owned();
    let sub = app
        .state
        .realtime()
        .issue_subscription_token(&client, &channel, None)
        .unwrap();
    ws.send(Message::text(format!(
        r#"{{"params":{{"channel":"{channel}","token":"{sub}"}},"method":1,"id":2}}"#
    )))
    .await
    .unwrap();
    assert_eq!(next_text(&mut ws).await["id"], 2, "subscribed");
    ws
}

/// The next publication on `ws` (skipping the JOIN push and other frames).
pub(crate) async fn next_publication(ws: &mut Socket) -> Value {
    loop {
        let frame = next_text(ws).await;
        if frame["result"]["data"]["seq"].is_u64() {
            return frame;
        }
    }
}

/// The next text frame, skipping pings.
pub(crate) async fn next_text<S>(ws: &mut S) -> Value
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")
            .expect("stream open")
            .expect("frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str().trim()).unwrap();
        }
    }
}

both_backends! {
    async fn a_stored_donation_reaches_the_recipients_socket(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let now = app.clock.now();
        let streamer = app.db.store.create_user(
            NewUser { email: "s@example.org".into(), password_hash: None, full_name: "Streamer".into(), vanity: None },
            now,
        ).await.unwrap();
        let channel = format!("$alerts:donation_{}", streamer.id);
        let mut ws = subscribed_socket(&app, streamer.id).await;

        let stored = app.db.store.create_donations(vec![NewDonation {
            recipient_user_id: streamer.id, donor_user_id: None, username: "Ann".into(),
            message: "<b>hi</b>".into(), amount_cents: 50_000, currency: "RUB".into(),
            amount_in_user_currency_cents: 600, payin_system: "sandbox".into(), created_at: now, shown_at: None,
        }]).await.unwrap();

        let publication = next_publication(&mut ws).await;
        assert_eq!(publication["result"]["channel"], channel.as_str());
        let donation = &publication["result"]["data"]["data"];
        assert_eq!(donation["id"], stored[0].id);
        assert_eq!(donation["username"], "Ann");
        assert_eq!(donation["message"], "<b>hi</b>", "the wire carries the text; overlays escape it");
        assert_eq!(donation["amount"], 500);
        assert_eq!(donation["currency"], "RUB");
        assert_eq!(donation["is_shown"], 0);
        assert!(donation["created_at"].as_str().unwrap().len() == 19, "YYYY-MM-DD HH:MM:SS");
        app.stop().await;
    }
}
