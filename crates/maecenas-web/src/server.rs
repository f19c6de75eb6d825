//! The accept loop. `axum::serve` sets no header-read timeout (security-reliability AB-09), so
//! connections are served here with hyper's HTTP/1 connection builder, a real timer, a header-read timeout,
//! a connection cap and graceful shutdown.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{Router, extract::ConnectInfo};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
};
use maecenas_types::ConnectionSlot;
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

use crate::settings::Limits;

/// Serves `router` on `listener` until `shutdown` completes, then lets open requests finish for
/// up to `limits.shutdown_grace_secs`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    // HTTP/1 only: no protocol sniffing before the header timer starts.
    let mut builder = auto::Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout())
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    tokio::pin!(shutdown);

    loop {
        let accepted = tokio::select! {
            accepted = accept(&listener, &permits) => accepted,
            () = &mut shutdown => break,
        };
        let Some((stream, peer, permit)) = accepted else {
            continue;
        };
        let router = router.clone();
        // Each request carries the connection's slot; an upgraded connection (WebSocket) keeps
        // a clone, so it counts against the cap until it closes.
        let slot = ConnectionSlot::new(permit);
        let request_slot = slot.clone();
        let service = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req.extensions_mut().insert(request_slot.clone());
            router.clone().oneshot(req)
        });
        let (builder, watcher) = (builder.clone(), graceful.watcher());
        let header_timeout = limits.header_read_timeout();
        tokio::spawn(async move {
            // hyper starts its header timer at the first byte: a client that sends nothing at
            // all would otherwise hold its connection slot forever.
            let mut first = [0_u8; 1];
            let peeked = tokio::time::timeout(header_timeout, stream.peek(&mut first)).await;
            if matches!(peeked, Ok(Ok(1..))) {
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                if let Err(err) = watcher.watch(conn.into_owned()).await {
                    tracing::debug!(%peer, error = %err, "connection ended with an error");
                }
            } else {
                tracing::debug!(%peer, "no request within the header timeout; closing");
            }
            drop(slot);
        });
    }

    drop(listener);
    let grace = Duration::from_secs(limits.shutdown_grace_secs);
    // HTTP connections finish their requests; upgraded ones (told to close by whoever owns
    // them, e.g. WebSockets with 3001) give back their slots.
    let all_closed = async {
        graceful.shutdown().await;
        let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
        let _ = permits.acquire_many(all).await;
    };
    tokio::select! {
        () = all_closed => tracing::info!("all connections closed"),
        () = tokio::time::sleep(grace) => tracing::warn!(?grace, "shutdown grace period over; dropping open connections"),
    }
    Ok(())
}

/// Waits for a connection slot, then a connection. `None` on a transient accept error (the
/// error is logged and, for resource exhaustion, followed by a short pause).
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> Option<(
    tokio::net::TcpStream,
    SocketAddr,
    tokio::sync::OwnedSemaphorePermit,
)> {
    let permit = permits.clone().acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, peer)) => {
            let _ = stream.set_nodelay(true);
            Some((stream, peer, permit))
        }
        Err(err) => {
            tracing::warn!(error = %err, "accept failed");
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}
