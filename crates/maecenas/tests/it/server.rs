//! The accept loop under abuse: clients that dribble headers (slowloris) or send nothing are cut
//! off at the header-read timeout while normal requests keep being served.

use std::time::{Duration, Instant};

use maecenas_testkit::{TestApp, TestDb};
use maecenas_web::Limits;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// Sends `GET / HTTP/1.1…` one byte a second until the server closes the connection; returns
/// how long it stayed open.
async fn dribble(addr: std::net::SocketAddr) -> Duration {
    let started = Instant::now();
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let request =
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    for byte in request {
        if socket.write_all(&[*byte]).await.is_err() {
            return started.elapsed();
        }
        let mut buf = [0_u8; 512];
        // A closed connection reads as 0 bytes (or an error) once the server gives up.
        match tokio::time::timeout(Duration::from_secs(1), socket.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {
                // The server may answer 408 before closing: keep reading until the close.
                let _ = tokio::time::timeout(Duration::from_secs(1), socket.read(&mut buf)).await;
                return started.elapsed();
            }
            Err(_) => {}
        }
    }
    panic!("server still reading headers after {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_clients_are_cut_off_while_others_are_served() {
    let limits = Limits {
        header_read_timeout_secs: HEADER_TIMEOUT.as_secs(),
        ..Limits::default()
    };
    let app = TestApp::spawn_with(TestDb::sqlite().await, limits).await;
    let slow: Vec<_> = (0..50).map(|_| tokio::spawn(dribble(app.addr))).collect();
    let silent = TcpStream::connect(app.addr).await.unwrap();

    // While 50 slow clients are connected, ordinary requests are answered promptly.
    let client = app.client();
    for _ in 0..10 {
        let started = Instant::now();
        let response = client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "healthz took {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    for handle in slow {
        let open_for = handle.await.unwrap();
        assert!(
            open_for >= HEADER_TIMEOUT - Duration::from_millis(500),
            "closed too early: {open_for:?}"
        );
        assert!(
            open_for <= HEADER_TIMEOUT + Duration::from_secs(2),
            "closed too late: {open_for:?}"
        );
    }

    // A connection that never sends a byte is closed too.
    let mut silent = silent;
    let mut buf = [0_u8; 256];
    let started = Instant::now();
    let closed = tokio::time::timeout(HEADER_TIMEOUT + Duration::from_secs(3), async {
        loop {
            match silent.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "silent connection still open after {:?}",
        started.elapsed()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_refused() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let mut socket = TcpStream::connect(app.addr).await.unwrap();
    let huge = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(500 * 1024)
    );
    let _ = socket.write_all(huge.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 431"),
        "{text}"
    );
    // The server is still fine.
    assert_eq!(
        app.client()
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_request_in_flight_finish() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let client = app.client();
    // A keep-alive connection with a finished request does not hold shutdown up.
    assert_eq!(
        client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let started = Instant::now();
    app.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        started.elapsed()
    );
}
