//! The writing half of a connection: one queued frame per WebSocket message, ping frames on a
//! timer, and the close path (what is left in the queue, then the close frame, time-boxed).

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use tokio::{
    sync::{mpsc, watch},
    time::{Duration, Instant, timeout},
};

use crate::protocol::Disconnect;

/// How long the close path may take to write what is left and the close frame.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the writer reads from.
pub(crate) struct Writer {
    /// The connection's outbound queue.
    pub(crate) rx: mpsc::Receiver<Utf8Bytes>,
    /// Set when the connection is to close.
    pub(crate) closed: watch::Receiver<Option<Disconnect>>,
    /// How often to send a ping frame.
    pub(crate) ping_interval: Duration,
}

/// Sends queued frames one per WebSocket message, and a ping frame every `ping_interval`.
/// When the connection is closed, sends what is still queued (unless the client is too slow
/// to take it) and the close frame, within [`CLOSE_TIMEOUT`].
pub(crate) async fn write_loop(mut w: Writer, mut send: impl AsyncFnMut(Message) -> bool) {
    let start = Instant::now() + w.ping_interval;
    let mut ping = tokio::time::interval_at(start, w.ping_interval);
    loop {
        let message = tokio::select! {
            biased;
            _ = w.closed.changed() => break,
            frame = w.rx.recv() => match frame {
                Some(frame) => Message::Text(frame),
                None => return,
            },
            _ = ping.tick() => Message::Ping(axum::body::Bytes::from_static(b"ping")),
        };
        tokio::select! {
            biased;
            _ = w.closed.changed() => break,
            sent = send(message) => if !sent { return },
        }
    }
    let Some(reason) = *w.closed.borrow() else {
        return;
    };
    let _ = timeout(CLOSE_TIMEOUT, async {
        if reason != Disconnect::SLOW {
            while let Ok(frame) = w.rx.try_recv() {
                if !send(Message::Text(frame)).await {
                    return;
                }
            }
        }
        let frame = CloseFrame {
            code: reason.code,
            reason: Utf8Bytes::from(reason.close_text()),
        };
        send(Message::Close(Some(frame))).await;
    })
    .await;
}
