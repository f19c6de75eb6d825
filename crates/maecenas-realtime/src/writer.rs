//! The writing half of a connection: one queued frame per WebSocket message, ping frames on a
//! timer, and the close path (what is left in the queue, then the close frame, time-boxed).
//! Frames waiting in the queue are written together and flushed once: many messages, one
//! write, but never two messages in one frame (DonationAlerts clients read one per frame).

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use futures::{Sink, SinkExt};
use tokio::{
    sync::watch,
    time::{Duration, Instant, timeout},
};

use crate::protocol::Disconnect;

/// How long the close path may take to write what is left and the close frame.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Most queued frames written before one flush.
const MAX_BATCH: usize = 32;

/// What the writer reads from.
pub(crate) struct Writer {
    /// The connection's outbound queue.
    pub(crate) rx: flume::Receiver<Utf8Bytes>,
    /// Set when the connection is to close.
    pub(crate) closed: watch::Receiver<Option<Disconnect>>,
    /// How often to send a ping frame.
    pub(crate) ping_interval: Duration,
}

/// Sends queued frames one per WebSocket message, and a ping frame every `ping_interval`.
/// When the connection is closed, sends what is still queued (unless the client is too slow
/// to take it) and the close frame, within [`CLOSE_TIMEOUT`].
pub(crate) async fn write_loop<S: Sink<Message> + Unpin>(mut w: Writer, mut sink: S) {
    let start = Instant::now() + w.ping_interval;
    let mut ping = tokio::time::interval_at(start, w.ping_interval);
    loop {
        let message = tokio::select! {
            biased;
            _ = w.closed.changed() => break,
            frame = w.rx.recv_async() => match frame {
                Ok(frame) => Message::Text(frame),
                Err(_) => return,
            },
            _ = ping.tick() => Message::Ping(axum::body::Bytes::from_static(b"ping")),
        };
        tokio::select! {
            biased;
            _ = w.closed.changed() => break,
            sent = write_batch(&mut sink, message, &w.rx) => if !sent { return },
        }
    }
    let Some(reason) = *w.closed.borrow() else {
        return;
    };
    let _ = timeout(CLOSE_TIMEOUT, async {
        if reason != Disconnect::SLOW {
            while let Ok(frame) = w.rx.try_recv() {
                if sink.feed(Message::Text(frame)).await.is_err() {
                    return;
                }
            }
        }
        let frame = CloseFrame {
            code: reason.code,
            reason: Utf8Bytes::from(reason.close_text()),
        };
        let _ = sink.send(Message::Close(Some(frame))).await;
    })
    .await;
}

/// Writes `first` and whatever else is queued (up to [`MAX_BATCH`]), then flushes once.
async fn write_batch<S: Sink<Message> + Unpin>(
    sink: &mut S,
    first: Message,
    rx: &flume::Receiver<Utf8Bytes>,
) -> bool {
    if sink.feed(first).await.is_err() {
        return false;
    }
    for _ in 1..MAX_BATCH {
        let Ok(frame) = rx.try_recv() else {
            break;
        };
        if sink.feed(Message::Text(frame)).await.is_err() {
            return false;
        }
    }
    sink.flush().await.is_ok()
}
