//! The WebSocket as part of the server: a graceful shutdown closes sockets with 3001 so clients
//! reconnect, WebSockets count against `limits.max_connections`, and the `Origin` allow-list.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use maecenas_realtime::RealtimeSettings;
use maecenas_testkit::{TestApp, TestDb};
use maecenas_web::Limits;
use tokio_tungstenite::{
    connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

async fn connected(
    app: &TestApp,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let (mut ws, _) = connect_async(format!("ws://{}/connection/websocket", app.addr))
        .await
        .unwrap();
    let token = app
        .state
        .realtime()
        .issue_connection_token("42", None)
        .unwrap();
    ws.send(Message::text(format!(
        r#"{{"params":{{"token":"{token}"}},"id":1}}"#
    )))
    .await
    .unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(reply.to_text().unwrap().contains("\"client\""), "{reply}");
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_closes_sockets_with_3001_so_clients_reconnect() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let mut ws = connected(&app).await;
    let started = Instant::now();
    let stopping = tokio::spawn(app.stop());
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(frame))) => break frame.expect("a close code"),
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert_eq!(u16::from(close.code), 3001);
    assert_eq!(
        close.reason.as_str(),
        r#"{"reason":"shutdown","reconnect":true}"#
    );
    drop(ws);
    stopping.await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websockets_count_against_the_connection_cap() {
    let limits = Limits {
        max_connections: 2,
        ..Limits::default()
    };
    let app = TestApp::spawn_with(TestDb::sqlite().await, limits).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(1500))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let first = connected(&app).await;
    let _second = connected(&app).await;
    // Both slots are held by upgraded connections: a third connection is not served.
    let refused = client.get(app.url("/healthz")).send().await;
    assert!(refused.is_err(), "served past the cap: {refused:?}");
    drop(first);
    let mut served = false;
    for _ in 0..20 {
        if let Ok(r) = client.get(app.url("/healthz")).send().await {
            served = r.status() == 200;
            break;
        }
    }
    assert!(served, "a closed WebSocket gives its slot back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_allowed_origins_may_open_the_socket_when_a_list_is_set() {
    let realtime = RealtimeSettings {
        allowed_origins: vec!["https://overlay.example".into()],
        ..RealtimeSettings::default()
    };
    let app = TestApp::spawn_configured(TestDb::sqlite().await, Limits::default(), realtime).await;
    let url = format!("ws://{}/connection/websocket", app.addr);
    let with_origin = |origin: &str| {
        let mut request = url.as_str().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("origin", HeaderValue::from_str(origin).unwrap());
        request
    };
    let refused = connect_async(with_origin("https://evil.example")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
        }
        other => panic!("expected 403, got {other:?}"),
    }
    let (_, response) = connect_async(with_origin("https://overlay.example"))
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    // Non-browser clients send no Origin and are let in.
    let (_, response) = connect_async(url.as_str()).await.unwrap();
    assert_eq!(response.status(), 101);
    app.stop().await;

    // By default every origin may connect (OBS sources and DA clients send all kinds).
    let open = TestApp::spawn(TestDb::sqlite().await).await;
    let mut request = format!("ws://{}/connection/websocket", open.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", HeaderValue::from_static("null"));
    let (_, response) = connect_async(request).await.unwrap();
    assert_eq!(response.status(), 101);
    open.stop().await;
}
