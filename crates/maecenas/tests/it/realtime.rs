//! The Centrifugo v2 WebSocket at `/connection/websocket` through the real server, frame by frame
//! as DonationAlerts clients see it (`specs/donationalerts-centrifugo.md` §1, §4.3, §7).

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use maecenas_testkit::{TestApp, TestDb};
use maecenas_types::{Clock, UserId};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, protocol::frame::coding::CloseCode},
};

const CHANNEL: &str = "$alerts:donation_42";

struct Ws(WebSocketStream<MaybeTlsStream<TcpStream>>);

async fn app() -> TestApp {
    TestApp::spawn(TestDb::sqlite().await).await
}

async fn open(app: &TestApp) -> Ws {
    let url = format!("ws://{}/connection/websocket", app.addr);
    let (ws, response) = connect_async(url).await.unwrap();
    assert_eq!(response.status(), 101);
    Ws(ws)
}

impl Ws {
    async fn send(&mut self, text: &str) {
        self.0.send(Message::text(text)).await.unwrap();
    }

    /// The next text frame (pings are answered by tungstenite and skipped).
    async fn recv(&mut self) -> String {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.0.next())
                .await
                .expect("a frame within 10 s")
                .expect("stream open")
                .expect("frame");
            match message {
                Message::Text(text) => return text.as_str().to_owned(),
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// Reads until the close frame; returns its code and reason.
    async fn closed(&mut self) -> (u16, String) {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.0.next())
                .await
                .expect("a close within 10 s");
            match message {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (u16::from(frame.code), frame.reason.as_str().to_owned());
                }
                Some(Ok(Message::Close(None))) | None => panic!("closed without a code"),
                Some(Ok(_)) => {}
                Some(Err(err)) => panic!("read error before the close frame: {err}"),
            }
        }
    }

    /// Connects as user 42; returns the client id.
    async fn connect(&mut self, app: &TestApp) -> String {
        let token = app
            .state
            .realtime()
            .issue_connection_token("42", None)
            .unwrap();
        self.send(&format!(
            r#"{{"params":{{"token":"{token}","name":"js"}},"id":1}}"#
        ))
        .await;
        let reply: Value = serde_json::from_str(&self.recv().await).unwrap();
        reply["result"]["client"].as_str().unwrap().to_owned()
    }

    /// Subscribes `client` to `channel` with a token for it, as command `id`.
    async fn subscribe(&mut self, app: &TestApp, client: &str, channel: &str, id: u32) {
        let token = sub_token(app, client, channel);
        self.send(&format!(
            r#"{{"params":{{"channel":"{channel}","token":"{token}"}},"method":1,"id":{id}}}"#
        ))
        .await;
    }
}

fn sub_token(app: &TestApp, client: &str, channel: &str) -> String {
    app.state
        .realtime()
        .issue_subscription_token(client, channel, None)
        .unwrap()
}

fn join(client: &str) -> String {
    format!(
        "{{\"result\":{{\"type\":1,\"channel\":\"{CHANNEL}\",\"data\":{{\"info\":{{\"user\":\"42\",\"client\":\"{client}\"}}}}}}}}\n"
    )
}

fn publication(seq: u64, donation: &str) -> String {
    format!(
        "{{\"result\":{{\"channel\":\"{CHANNEL}\",\"data\":{{\"seq\":{seq},\"data\":{donation}}}}}}}\n"
    )
}

fn donation(id: i64) -> Value {
    serde_json::json!({
        "id": id, "name": "Donations", "username": "Ann", "message_type": "text",
        "message": "hi", "amount": 5, "currency": "USD", "is_shown": 0,
        "created_at": "2026-11-01 12:00:00", "shown_at": null, "reason": "default",
    })
}

fn assert_close(close: (u16, String), code: u16, reason: &str) {
    assert_eq!(close.0, code, "{close:?}");
    assert_eq!(close.1, reason);
}

const BAD_REQUEST: &str = r#"{"reason":"bad request","reconnect":false}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_replies_with_a_uuid_v4_client_and_the_version() {
    let app = app().await;
    let mut ws = open(&app).await;
    let token = app
        .state
        .realtime()
        .issue_connection_token("42", None)
        .unwrap();
    ws.send(&format!(
        r#"{{"params":{{"token":"{token}","name":"js"}},"id":1}}"#
    ))
    .await;
    let frame = ws.recv().await;
    let reply: Value = serde_json::from_str(&frame).unwrap();
    let client = reply["result"]["client"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(client).unwrap().get_version_num(), 4);
    assert_eq!(
        frame,
        format!("{{\"id\":1,\"result\":{{\"client\":\"{client}\",\"version\":\"2.8.6\"}}}}\n")
    );
    // Another connection gets another id.
    let mut other = open(&app).await;
    assert_ne!(other.connect(&app).await, client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_then_join_then_publications_then_ping_and_unsubscribe() {
    let app = app().await;
    let mut ws = open(&app).await;
    let client = ws.connect(&app).await;
    ws.subscribe(&app, &client, CHANNEL, 2).await;
    assert_eq!(ws.recv().await, "{\"id\":2,\"result\":{}}\n");
    assert_eq!(ws.recv().await, join(&client));

    let realtime = app.state.realtime();
    assert_eq!(realtime.subscribers(CHANNEL), 1);
    assert_eq!(
        realtime
            .publish_donation(UserId(42), &donation(1), None)
            .await
            .unwrap()
            .unwrap(),
        1
    );
    assert_eq!(
        realtime
            .publish_donation(UserId(42), &donation(2), None)
            .await
            .unwrap()
            .unwrap(),
        2
    );
    assert_eq!(ws.recv().await, publication(1, &donation(1).to_string()));
    assert_eq!(ws.recv().await, publication(2, &donation(2).to_string()));

    ws.send(r#"{"id":3,"method":7}"#).await;
    assert_eq!(ws.recv().await, "{\"id\":3}\n");
    ws.send(&format!(
        r#"{{"id":4,"method":2,"params":{{"channel":"{CHANNEL}"}}}}"#
    ))
    .await;
    assert_eq!(ws.recv().await, "{\"id\":4,\"result\":{}}\n");
    assert_eq!(realtime.subscribers(CHANNEL), 0);
    realtime
        .publish_donation(UserId(42), &donation(3), None)
        .await
        .unwrap()
        .unwrap();
    ws.send(r#"{"id":5,"method":7}"#).await;
    assert_eq!(
        ws.recv().await,
        "{\"id\":5}\n",
        "no publication after unsubscribe"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_json_first_command_not_connect_and_id_zero_close_3003() {
    let app = app().await;
    let token = app
        .state
        .realtime()
        .issue_connection_token("42", None)
        .unwrap();
    for frame in [
        "{not json".to_owned(),
        " ".to_owned(),
        r#"{"id":1,"method":7}"#.to_owned(),
        r#"{"id":1,"method":"subscribe","params":{"channel":"$alerts:donation_42"}}"#.to_owned(),
        format!(r#"{{"params":{{"token":"{token}"}},"id":0}}"#),
        format!(r#"{{"params":{{"token":"{token}"}}}}"#),
        r#"{"id":1,"params":{}}"#.to_owned(),
    ] {
        let mut ws = open(&app).await;
        ws.send(&frame).await;
        assert_close(ws.closed().await, 3003, BAD_REQUEST);
    }
    // After connect: bad JSON, id 0 and a second connect all close with 3003 too.
    for frame in [
        "[]".to_owned(),
        r#"{"id":0,"method":7}"#.to_owned(),
        format!(r#"{{"params":{{"token":"{token}"}},"id":2}}"#),
    ] {
        let mut ws = open(&app).await;
        ws.connect(&app).await;
        ws.send(&frame).await;
        assert_close(ws.closed().await, 3003, BAD_REQUEST);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_connection_token_closes_3002() {
    let app = app().await;
    let foreign = maecenas_realtime::TokenKey::new([1; 32])
        .issue_connection_token("42", None)
        .unwrap();
    for token in ["garbage", foreign.as_str()] {
        let mut ws = open(&app).await;
        ws.send(&format!(r#"{{"params":{{"token":"{token}"}},"id":1}}"#))
            .await;
        assert_close(
            ws.closed().await,
            3002,
            r#"{"reason":"invalid token","reconnect":false}"#,
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_connection_token_gets_error_109_and_may_connect_again() {
    let app = app().await;
    let realtime = app.state.realtime();
    let past = app.clock.now() - chrono::Duration::minutes(1);
    let expired = realtime.issue_connection_token("42", Some(past)).unwrap();
    let mut ws = open(&app).await;
    ws.send(&format!(r#"{{"params":{{"token":"{expired}"}},"id":1}}"#))
        .await;
    assert_eq!(
        ws.recv().await,
        "{\"id\":1,\"error\":{\"code\":109,\"message\":\"token expired\"}}\n"
    );
    // Still open and unauthenticated: a fresh token connects, with expires/ttl from its exp.
    let future = app.clock.now() + chrono::Duration::hours(1);
    let fresh = realtime.issue_connection_token("42", Some(future)).unwrap();
    ws.send(&format!(r#"{{"params":{{"token":"{fresh}"}},"id":2}}"#))
        .await;
    let reply: Value = serde_json::from_str(&ws.recv().await).unwrap();
    assert_eq!(reply["id"], 2);
    assert_eq!(reply["result"]["expires"], true);
    assert_eq!(reply["result"]["ttl"], 3600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_refusals_103_102_109_and_105() {
    let app = app().await;
    let realtime = app.state.realtime();
    let mut ws = open(&app).await;
    let client = ws.connect(&app).await;
    let denied = |id: u32| {
        format!("{{\"id\":{id},\"error\":{{\"code\":103,\"message\":\"permission denied\"}}}}\n")
    };

    // A token for another channel, then one for another client, then none at all.
    let other_channel = sub_token(&app, &client, "$alerts:donation_43");
    let other_client = sub_token(&app, "5b1f6a4e-6c2e-4a43-9d8e-0a4f3b2c1d00", CHANNEL);
    for (id, token) in [(2, other_channel), (3, other_client), (4, String::new())] {
        ws.send(&format!(
            r#"{{"params":{{"channel":"{CHANNEL}","token":"{token}"}},"method":1,"id":{id}}}"#
        ))
        .await;
        assert_eq!(ws.recv().await, denied(id));
    }
    // Unknown namespace.
    ws.subscribe(&app, &client, "$secrets:x", 5).await;
    assert_eq!(
        ws.recv().await,
        "{\"id\":5,\"error\":{\"code\":102,\"message\":\"unknown channel\"}}\n"
    );
    // Expired subscription token.
    let past = app.clock.now() - chrono::Duration::seconds(1);
    let expired = realtime
        .issue_subscription_token(&client, CHANNEL, Some(past))
        .unwrap();
    ws.send(&format!(
        r#"{{"params":{{"channel":"{CHANNEL}","token":"{expired}"}},"method":1,"id":6}}"#
    ))
    .await;
    assert_eq!(
        ws.recv().await,
        "{\"id\":6,\"error\":{\"code\":109,\"message\":\"token expired\"}}\n"
    );
    // Subscribed once; the second time is 105.
    ws.subscribe(&app, &client, CHANNEL, 7).await;
    assert_eq!(ws.recv().await, "{\"id\":7,\"result\":{}}\n");
    assert_eq!(ws.recv().await, join(&client));
    ws.subscribe(&app, &client, CHANNEL, 8).await;
    assert_eq!(
        ws.recv().await,
        "{\"id\":8,\"error\":{\"code\":105,\"message\":\"already subscribed\"}}\n"
    );
    assert_eq!(realtime.subscribers(CHANNEL), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn string_method_names_and_several_commands_in_one_frame() {
    let app = app().await;
    let realtime = app.state.realtime();
    let token = realtime.issue_connection_token("42", None).unwrap();
    let mut ws = open(&app).await;
    // connect + two pings in one frame: three replies, one per WebSocket frame, in order.
    ws.send(&format!(
        "{{\"id\":1,\"method\":\"connect\",\"params\":{{\"token\":\"{token}\"}}}}\n{{\"id\":2,\"method\":\"PING\"}}\n{{\"id\":3,\"method\":7}}"
    ))
    .await;
    let reply: Value = serde_json::from_str(&ws.recv().await).unwrap();
    assert_eq!(reply["id"], 1);
    let client = reply["result"]["client"].as_str().unwrap().to_owned();
    assert_eq!(ws.recv().await, "{\"id\":2}\n");
    assert_eq!(ws.recv().await, "{\"id\":3}\n");

    let sub = sub_token(&app, &client, CHANNEL);
    ws.send(&format!(
        r#"{{"id":4,"method":"subscribe","params":{{"channel":"{CHANNEL}","token":"{sub}"}}}}"#
    ))
    .await;
    assert_eq!(ws.recv().await, "{\"id\":4,\"result\":{}}\n");
    assert_eq!(ws.recv().await, join(&client));
    // An unknown method number is 104.
    ws.send(r#"{"id":5,"method":99}"#).await;
    assert_eq!(
        ws.recv().await,
        "{\"id\":5,\"error\":{\"code\":104,\"message\":\"method not found\"}}\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_message_closes_1009() {
    let app = app().await;
    let mut ws = open(&app).await;
    ws.connect(&app).await;
    let big = format!(
        r#"{{"id":2,"method":7,"params":{{"pad":"{}"}}}}"#,
        "x".repeat(65_536)
    );
    ws.send(&big).await;
    let (code, _) = ws.closed().await;
    assert_eq!(code, u16::from(CloseCode::Size));
    assert_eq!(code, 1009);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_closed_3008_while_another_keeps_receiving() {
    let app = app().await;
    let realtime = app.state.realtime().clone();
    let mut slow = open(&app).await;
    let slow_id = slow.connect(&app).await;
    slow.subscribe(&app, &slow_id, CHANNEL, 2).await;
    let mut fast = open(&app).await;
    let fast_id = fast.connect(&app).await;
    fast.subscribe(&app, &fast_id, CHANNEL, 2).await;
    assert_eq!(fast.recv().await, "{\"id\":2,\"result\":{}}\n");
    assert_eq!(fast.recv().await, join(&fast_id));
    assert_eq!(realtime.subscribers(CHANNEL), 2);

    // 32 KiB publications in batches the fast client drains; the slow one never reads.
    let payload = serde_json::json!({ "pad": "x".repeat(32 * 1024) });
    let mut seq = 0;
    while realtime.subscribers(CHANNEL) == 2 {
        assert!(seq < 5_000, "the slow client was never closed");
        for _ in 0..50 {
            seq = realtime.publish(CHANNEL, &payload).await.unwrap();
        }
        loop {
            let frame = fast.recv().await;
            let got: Value = serde_json::from_str(&frame).unwrap();
            if got["result"]["data"]["seq"] == seq {
                break;
            }
        }
    }
    // The fast client is unaffected; it may hear the slow one leave (type 2) first.
    realtime.publish(CHANNEL, &donation(1)).await.unwrap();
    let leave = join(&slow_id).replace("\"type\":1", "\"type\":2");
    let mut next = fast.recv().await;
    if next == leave {
        next = fast.recv().await;
    }
    assert_eq!(next, publication(seq + 1, &donation(1).to_string()));
    assert_close(
        slow.closed().await,
        3008,
        r#"{"reason":"slow","reconnect":true}"#,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resubscribing_with_recover_gets_the_missed_publications() {
    let app = app().await;
    let realtime = app.state.realtime();
    let mut ws = open(&app).await;
    let client = ws.connect(&app).await;
    ws.subscribe(&app, &client, CHANNEL, 2).await;
    ws.recv().await;
    ws.recv().await;
    realtime
        .publish_donation(UserId(42), &donation(1), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ws.recv().await, publication(1, &donation(1).to_string()));
    ws.0.close(None).await.unwrap();
    drop(ws);

    // Missed while away.
    realtime
        .publish_donation(UserId(42), &donation(2), None)
        .await
        .unwrap()
        .unwrap();
    realtime
        .publish_donation(UserId(42), &donation(3), None)
        .await
        .unwrap()
        .unwrap();

    let mut ws = open(&app).await;
    let client = ws.connect(&app).await;
    let token = sub_token(&app, &client, CHANNEL);
    ws.send(&format!(
        r#"{{"params":{{"channel":"{CHANNEL}","token":"{token}","recover":true,"seq":1}},"method":1,"id":2}}"#
    ))
    .await;
    let frame = ws.recv().await;
    let reply: Value = serde_json::from_str(&frame).unwrap();
    let epoch = reply["result"]["epoch"].as_str().unwrap();
    assert!(!epoch.is_empty());
    assert_eq!(
        frame,
        format!(
            "{{\"id\":2,\"result\":{{\"recoverable\":true,\"seq\":3,\"epoch\":\"{epoch}\",\"publications\":[{{\"seq\":3,\"data\":{}}},{{\"seq\":2,\"data\":{}}}],\"recovered\":true}}}}\n",
            donation(3),
            donation(2)
        )
    );
    assert_eq!(ws.recv().await, join(&client));
    // Live publications continue from there.
    realtime
        .publish_donation(UserId(42), &donation(4), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ws.recv().await, publication(4, &donation(4).to_string()));
}
