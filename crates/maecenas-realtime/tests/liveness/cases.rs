//! The cases: each serves its own `Realtime` with short timers.

use std::{sync::Arc, time::Duration};

use chrono::{TimeZone, Utc};
use futures::{SinkExt, StreamExt};
use maecenas_realtime::{Realtime, RealtimeConfig};
use maecenas_types::{Clock, ManualClock};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async, tungstenite::Message};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn serve(config: RealtimeConfig) -> (Realtime, Arc<ManualClock>, String) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap(),
    ));
    let realtime = Realtime::new([3; 32], clock.clone(), config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "ws://{}/connection/websocket",
        listener.local_addr().unwrap()
    );
    let app = maecenas_realtime::router::<()>(realtime.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (realtime, clock, url)
}

fn short() -> RealtimeConfig {
    RealtimeConfig {
        ping_interval: Duration::from_millis(300),
        connect_timeout: Duration::from_millis(300),
        ..RealtimeConfig::default()
    }
}

async fn next(ws: &mut Ws) -> Message {
    tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("a message within 5 s")
        .expect("open")
        .expect("frame")
}

async fn next_text(ws: &mut Ws) -> String {
    loop {
        match next(ws).await {
            Message::Text(text) => return text.as_str().to_owned(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected text, got {other:?}"),
        }
    }
}

async fn close_code(ws: &mut Ws) -> u16 {
    loop {
        if let Message::Close(Some(frame)) = next(ws).await {
            return u16::from(frame.code);
        }
    }
}

async fn connect(
    realtime: &Realtime,
    url: &str,
    exp: Option<chrono::DateTime<Utc>>,
) -> (Ws, String) {
    let (mut ws, _) = connect_async(url).await.unwrap();
    let token = realtime.issue_connection_token("42", exp).unwrap();
    ws.send(Message::text(format!(
        r#"{{"id":1,"params":{{"token":"{token}"}}}}"#
    )))
    .await
    .unwrap();
    let reply: serde_json::Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    let client = reply["result"]["client"].as_str().unwrap().to_owned();
    (ws, client)
}

#[tokio::test]
async fn no_connect_in_time_closes_3007() {
    let (_, _, url) = serve(short()).await;
    let (mut ws, _) = connect_async(&url).await.unwrap();
    assert_eq!(close_code(&mut ws).await, 3007);
}

#[tokio::test]
async fn the_server_pings_and_a_client_that_answers_stays() {
    let (realtime, _, url) = serve(short()).await;
    let (mut ws, _) = connect(&realtime, &url, None).await;
    // tungstenite answers pings while we read; after several intervals we are still served.
    let mut pings = 0;
    while pings < 3 {
        if let Message::Ping(payload) = next(&mut ws).await {
            assert_eq!(&payload[..], b"ping");
            pings += 1;
        }
    }
    ws.send(Message::text(r#"{"id":2,"method":7}"#))
        .await
        .unwrap();
    assert_eq!(next_text(&mut ws).await, "{\"id\":2}\n");
}

#[tokio::test]
async fn an_expired_connection_closes_3005_and_an_expired_subscription_3006() {
    let (realtime, clock, url) = serve(short()).await;
    let exp = clock.now() + chrono::Duration::seconds(60);
    let (mut ws, _) = connect(&realtime, &url, Some(exp)).await;
    clock.advance(chrono::Duration::seconds(61));
    assert_eq!(close_code(&mut ws).await, 3005);

    let (mut ws, client) = connect(&realtime, &url, None).await;
    let channel = "$alerts:donation_42";
    let token = realtime
        .issue_subscription_token(
            &client,
            channel,
            Some(clock.now() + chrono::Duration::seconds(60)),
        )
        .unwrap();
    ws.send(Message::text(format!(
        r#"{{"id":2,"method":1,"params":{{"channel":"{channel}","token":"{token}"}}}}"#
    )))
    .await
    .unwrap();
    assert_eq!(
        next_text(&mut ws).await,
        "{\"id\":2,\"result\":{\"expires\":true,\"ttl\":60}}\n"
    );
    clock.advance(chrono::Duration::seconds(60));
    assert_eq!(close_code(&mut ws).await, 3006);
}

#[tokio::test]
async fn a_command_flood_gets_111() {
    let config = RealtimeConfig {
        command_burst: 5,
        commands_per_second: 1,
        ..RealtimeConfig::default()
    };
    let (realtime, _, url) = serve(config).await;
    let (mut ws, _) = connect(&realtime, &url, None).await;
    let frame: Vec<String> = (2..=8)
        .map(|id| format!(r#"{{"id":{id},"method":7}}"#))
        .collect();
    ws.send(Message::text(frame.join("\n"))).await.unwrap();
    let mut replies = Vec::new();
    for _ in 2..=8 {
        replies.push(next_text(&mut ws).await);
    }
    // connect took one token of five: four pings pass, the rest are refused.
    assert_eq!(replies[3], "{\"id\":5}\n");
    assert_eq!(
        replies[4],
        "{\"id\":6,\"error\":{\"code\":111,\"message\":\"too many requests\"}}\n"
    );
    assert_eq!(replies.iter().filter(|r| r.contains("111")).count(), 3);
}

#[tokio::test]
async fn a_connected_client_that_never_answers_pings_is_dropped_without_a_close_frame() {
    let (realtime, _, url) = serve(short()).await;
    let (mut ws, _) = connect(&realtime, &url, None).await;
    // Not reading means tungstenite sends no pongs: the read deadline (twice the ping
    // interval) passes.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("dropped within 5 s")
        {
            Some(Ok(Message::Ping(_))) => {}
            Some(Ok(other)) => panic!("unexpected {other:?}"),
            None | Some(Err(_)) => break,
        }
    }
}
